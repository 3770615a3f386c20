"""Back-office helpers: admin writes go through the same services as the API.

Django admin saves a form with ``obj.save()`` after validation, where a refused write
can no longer become a form error. ``ServiceForm`` therefore performs its write by
calling the service from ``clean()``: a ``DomainError`` turns into a form error (shown
on the page, never a 500), and on success the service's object becomes the form's
instance. ``ServiceModelAdmin.save_model`` then has nothing left to do. The admin's own
transaction wraps the view, so the service's transaction and audit row commit with it.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages

from clicknback.audit.services import Actor
from clicknback.errors import DomainError


def domain_error_to_form(form: forms.BaseForm, exc: DomainError) -> None:
    violations = exc.details.get("violations") or []
    placed = False
    for violation in violations:
        field = violation.get("field")
        if field in form.fields and field in getattr(form, "cleaned_data", {}):
            form.add_error(field, violation.get("reason") or exc.message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class ServiceForm(forms.ModelForm):
    admin_user = None

    def call_service(self, cleaned_data: dict, actor: Actor):
        """Perform the write; return the saved model instance."""
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        try:
            obj = self.call_service(cleaned, Actor.admin(self.admin_user))
        except DomainError as exc:
            domain_error_to_form(self, exc)
        else:
            self.instance = obj
            # Model validation runs after clean(): let it see what the service stored
            # (e.g. the normalised email), not the raw input.
            model_fields = self._meta.fields or ()
            for name in list(cleaned):
                if name in model_fields and hasattr(obj, name):
                    cleaned[name] = getattr(obj, name)
        return cleaned


class ServiceModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose add/change forms write through services (see ServiceForm)."""

    add_form: type[ServiceForm] | None = None  # the add page's form (change pages use ``form``)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None and self.add_form is not None:
            kwargs["form"] = self.add_form
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"admin_user": request.user})

    def save_model(self, request, obj, form, change):
        """Nothing to save: the service already wrote the object in ``form.clean()``."""


def run_for_each(modeladmin: admin.ModelAdmin, request, queryset, call, done_message: str) -> None:
    """Apply ``call(obj, actor)`` to every selected row; report each refusal as an error."""
    actor = Actor.admin(request.user)
    done = 0
    for obj in queryset:
        try:
            call(obj, actor)
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message.format(count=done), messages.SUCCESS)
