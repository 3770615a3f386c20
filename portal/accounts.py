"""Account pages: sign up, change the password, forgot it and reset it by the emailed link.

They call the same services as ``POST /users``, ``POST /users/me/password`` and
``POST /auth/password-reset[/confirm]``, count against the same per-IP throttles, and
show the services' errors on the fields they concern.
"""

import math

from django import forms
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clicknback.errors import DomainError
from portal.forms import DescribedErrorsMixin
from users import services
from users.api import reset_link
from users.errors import EmailAlreadyRegistered, InvalidCredentials, InvalidResetToken, PasswordNotComplexEnough
from users.throttles import PasswordResetRateThrottle, RegistrationRateThrottle

RULES_HELP = "At least 8 characters, with an upper-case and a lower-case letter, a digit and a symbol."


class SignUpForm(DescribedErrorsMixin, forms.Form):
    email = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        help_text=RULES_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class PasswordChangeForm(DescribedErrorsMixin, forms.Form):
    current_password = forms.CharField(
        label="Current password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label="New password",
        strip=False,
        help_text=RULES_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ForgotPasswordForm(DescribedErrorsMixin, forms.Form):
    email = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )


class ResetPasswordForm(DescribedErrorsMixin, forms.Form):
    new_password = forms.CharField(
        label="New password",
        strip=False,
        help_text=RULES_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
    )


def _throttled(request, throttle_class) -> int | None:
    """Seconds to wait when this client IP is over the budget (shared with the API)."""
    throttle = throttle_class()
    # A DRF throttle on a Django view: it counts per client IP and never reads the view.
    if throttle.allow_request(request, None):
        return None
    return math.ceil(throttle.wait() or 60)


def _render(request, template: str, context: dict, status: int = 200, wait: int | None = None):
    response = render(request, template, {**context, "throttled_for": wait}, status=429 if wait else status)
    if wait:
        response["Retry-After"] = str(wait)
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("/wallet/")
    form = SignUpForm(request.POST or None)
    if request.method != "POST":
        return _render(request, "portal/signup.html", {"form": form})
    wait = _throttled(request, RegistrationRateThrottle)
    if wait:
        return _render(request, "portal/signup.html", {"form": form}, wait=wait)
    if form.is_valid():
        try:
            user = services.user_register(email=form.cleaned_data["email"], password=form.cleaned_data["password"])
        except EmailAlreadyRegistered:
            form.add_error("email", "This email is already registered. Sign in, or reset your password.")
        except PasswordNotComplexEnough as exc:
            form.add_error("password", exc.details["violations"][0]["reason"])
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome to ClickNBack: your wallet is ready.")
            return redirect("/wallet/")
    form.describe_errors()
    return _render(request, "portal/signup.html", {"form": form}, status=422)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    context = {"nav": "account", "form": form}
    if request.method != "POST":
        return _render(request, "portal/password_change.html", context)
    if form.is_valid():
        try:
            user = services.password_change(user_id=request.user.pk, **form.cleaned_data)
        except InvalidCredentials:
            form.add_error("current_password", "That is not your current password.")
        except PasswordNotComplexEnough as exc:
            form.add_error("new_password", exc.details["violations"][0]["reason"])
        else:
            update_session_auth_hash(request, user)  # this browser stays signed in
            messages.success(request, "Your password is changed. Other devices have to sign in again.")
            return redirect("/wallet/")
    form.describe_errors()
    return _render(request, "portal/password_change.html", context, status=422)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def forgot_password(request):
    form = ForgotPasswordForm(request.POST or None)
    if request.method != "POST":
        return _render(request, "portal/password_forgot.html", {"form": form})
    wait = _throttled(request, PasswordResetRateThrottle)
    if wait:
        return _render(request, "portal/password_forgot.html", {"form": form}, wait=wait)
    if not form.is_valid():
        form.describe_errors()
        return _render(request, "portal/password_forgot.html", {"form": form}, status=422)
    services.password_reset_request(email=form.cleaned_data["email"], link_for=lambda token: reset_link(request, token))
    # The same answer whether or not the address has an account.
    return _render(request, "portal/password_forgot.html", {"form": None, "sent_to": form.cleaned_data["email"]})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def reset_password(request, token: str):
    form = ResetPasswordForm(request.POST or None)
    context = {"form": form, "token": token}
    if request.method != "POST":
        return _render(request, "portal/password_reset.html", context)
    wait = _throttled(request, PasswordResetRateThrottle)
    if wait:
        return _render(request, "portal/password_reset.html", context, wait=wait)
    if form.is_valid():
        try:
            services.password_reset_confirm(token=token, new_password=form.cleaned_data["new_password"])
        except InvalidResetToken:
            return _render(request, "portal/password_reset.html", {**context, "form": None, "invalid": True}, 400)
        except PasswordNotComplexEnough as exc:
            form.add_error("new_password", exc.details["violations"][0]["reason"])
        except DomainError as exc:  # pragma: no cover - no other refusal exists
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Your password is changed. Sign in with the new one.")
            return redirect("/wallet/login/")
    form.describe_errors()
    return _render(request, "portal/password_reset.html", context, status=422)
