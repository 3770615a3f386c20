"""Wallet page forms. They check shape only; business rules live in the services."""

from typing import cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.http import QueryDict

from clicknback.money import parse_amount
from payouts.models import PayoutMethod


class DescribedErrorsMixin(forms.BaseForm):
    """Points each invalid input at its error text (``aria-describedby``), so screen
    readers announce the message with the field; Django already sets ``aria-invalid``."""

    def describe_errors(self) -> None:
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_error"


class WalletSignInForm(DescribedErrorsMixin, AuthenticationForm):
    """Email + password; Django's ModelBackend refuses inactive accounts."""

    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": "That email and password do not match an active account.",
        "inactive": "That email and password do not match an active account.",
    }

    def clean_username(self) -> str:
        # Emails are stored in lower case (users.User has a CHECK constraint on it).
        return self.cleaned_data["username"].strip().lower()


class WithdrawalForm(DescribedErrorsMixin, forms.Form):
    """The fields of ``POST /users/payouts``; IBAN checksum, balance and policy are the
    payout service's job, and its errors are attached back to these fields."""

    amount = forms.CharField(
        label="Amount (€)",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    method = forms.ChoiceField(
        label="Pay me by",
        choices=PayoutMethod.choices,
        initial=PayoutMethod.BANK_TRANSFER,
        widget=forms.RadioSelect,
    )
    iban = forms.CharField(
        label="IBAN",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "DE89 3704 ..."}),
    )
    account_holder = forms.CharField(
        label="Account holder",
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    saved = forms.CharField(label="Use an account you paid to before", required=False, max_length=64)
    card_token = forms.CharField(
        label="Card token",
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    # A one-time key per rendered form: submitting the same form twice withdraws once.
    form_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_amount(self):
        try:
            return parse_amount(self.cleaned_data["amount"].replace(",", ".").replace("€", "").strip())
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="amount") from None

    def clean_form_key(self) -> str:
        # A tampered key is ignored rather than reported: it only guards double submits.
        key = self.cleaned_data.get("form_key", "")
        return key if key.isalnum() and len(key) <= 64 else ""

    def renew_key(self, key: str) -> None:
        """Give a bound form a fresh one-time key (after its old one was used up)."""
        self.data = cast(QueryDict, self.data).copy()  # a bound form's data is the request's POST
        self.data["form_key"] = key

    saved_details: dict[str, str] | None = None  # set by the view from ``saved``

    def payout_details(self) -> dict[str, str]:
        """The ``details`` object for the chosen method, as the API would receive it."""
        data = self.cleaned_data
        if data["method"] == PayoutMethod.CARD:
            return {"card_token": data.get("card_token", "")}
        if self.saved_details and not data.get("iban"):
            return dict(self.saved_details)
        return {"iban": data.get("iban", ""), "account_holder": data.get("account_holder", "")}
