"""Back office for payouts. Every action goes through ``payout_process`` as the admin.

The full destination is never displayed: only ``destination_masked``.
"""

from typing import cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from clicknback.audit.services import Actor
from clicknback.errors import DomainError
from clicknback.sql import concrete_field
from payouts.models import IdempotencyKey, Payout, PayoutStatus
from payouts.services import payout_process


class PayoutActionForm(forms.Form):
    value = forms.CharField(max_length=255, strip=True)

    def __init__(self, *args, label: str, max_length: int = 255, **kwargs):
        super().__init__(*args, **kwargs)
        value = cast(forms.CharField, self.fields["value"])
        value.label = label
        value.max_length = max_length
        value.widget.attrs.update({"maxlength": str(max_length), "size": "60"})


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user_email",
        "amount",
        "currency",
        "method",
        "status",
        "destination_masked",
        "external_reference",
        "requested_at",
        "processed_at",
    )
    list_filter = ("status", "method", "requested_at", "processed_at")
    search_fields = ("user__email", "external_reference", "=id", "=user__id")
    date_hierarchy = "requested_at"
    list_select_related = ("user",)
    date_hierarchy = "requested_at"
    ordering = ("-requested_at", "-id")
    exclude = ("destination",)
    readonly_fields = (
        "id",
        "user",
        "amount",
        "currency",
        "method",
        "status",
        "destination_masked",
        "external_reference",
        "failure_reason",
        "requested_at",
        "processed_at",
        "updated_at",
    )
    actions = ("mark_processing", "mark_completed", "mark_failed")

    @admin.display(description="User", ordering="user__email")
    def user_email(self, payout: Payout) -> str:
        return payout.user.email

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Fields are read-only; state changes happen through the actions only.
        return False

    def has_process_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def _process(self, request, queryset, status: str, **fields) -> None:
        done, refused = 0, []
        actor = Actor.admin(request.user)
        for payout in queryset.order_by("pk"):
            try:
                payout_process(payout_id=payout.pk, status=status, actor=actor, **fields)
                done += 1
            except DomainError as exc:
                refused.append(f"{payout.pk}: {exc.message}")
        if done:
            self.message_user(request, f"{done} payout(s) marked {status}.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, f"Refused — {message}", messages.ERROR)

    def _process_with_form(self, request, queryset, *, action: str, status: str, label: str, field: str, title: str):
        max_length = concrete_field(Payout, field).max_length or 255
        if request.POST.get("apply"):
            form = PayoutActionForm(request.POST, label=label, max_length=max_length)
            if form.is_valid():
                self._process(request, queryset, status, **{field: form.cleaned_data["value"]})
                return None
        else:
            form = PayoutActionForm(label=label, max_length=max_length)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "queryset": queryset.select_related("user"),
            "form": form,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/payouts/payout/process_action.html", context)

    @admin.action(description="Mark selected payouts as processing", permissions=["process"])
    def mark_processing(self, request, queryset):
        self._process(request, queryset, PayoutStatus.PROCESSING)

    @admin.action(description="Mark selected payouts as completed (asks for the reference)", permissions=["process"])
    def mark_completed(self, request, queryset):
        return self._process_with_form(
            request,
            queryset,
            action="mark_completed",
            status=PayoutStatus.COMPLETED,
            label="External reference",
            field="external_reference",
            title="Mark payouts completed",
        )

    @admin.action(description="Mark selected payouts as failed (asks for the reason)", permissions=["process"])
    def mark_failed(self, request, queryset):
        return self._process_with_form(
            request,
            queryset,
            action="mark_failed",
            status=PayoutStatus.FAILED,
            label="Failure reason",
            field="failure_reason",
            title="Mark payouts failed",
        )


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ("key", "user_email", "payout", "created_at")
    list_filter = ("created_at",)
    search_fields = ("user__email", "key")
    list_select_related = ("user", "payout")
    ordering = ("-created_at", "-id")
    readonly_fields = ("user", "key", "request_hash", "payout", "created_at")

    @admin.display(description="User", ordering="user__email")
    def user_email(self, key: IdempotencyKey) -> str:
        return key.user.email

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
