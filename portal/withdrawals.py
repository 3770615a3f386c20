"""The wallet page's door to the payout service, and the mapping of its errors to fields.

The HTML form calls exactly the service the REST API calls, so a withdrawal is locked,
ledgered and audited identically whichever door it came through.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django import forms

from clicknback.audit.services import Actor
from clicknback.errors import DomainError
from clicknback.money import euro, format_amount
from payouts.idempotency import IdempotentRequest, request_hash
from payouts.services import payout_request

FORM_FIELDS = ("amount", "method", "iban", "account_holder", "card_token")
# Form keys share the API's Idempotency-Key table, in their own namespace.
FORM_KEY_PREFIX = "wallet-form:"


@dataclass(frozen=True)
class Withdrawal:
    payout_id: uuid.UUID
    amount: Decimal
    destination_masked: str
    replayed: bool


def new_form_key() -> str:
    return uuid.uuid4().hex


def withdrawal_request(
    *, user, amount: Decimal, method: str, details: dict[str, str], form_key: str | None = None
) -> Withdrawal:
    """Request a payout through ``payouts.services.payout_request``, at most once per form.

    Each rendered form carries a one-time key, passed to the service exactly like the
    API's ``Idempotency-Key``: a double click or a resubmitted page replays the first
    payout instead of withdrawing twice; a refused request stores no key, so the
    corrected form can be sent again.
    """

    idempotency = None
    if form_key:
        body = {"amount": format_amount(amount), "method": method, "details": details}
        idempotency = IdempotentRequest(key=f"{FORM_KEY_PREFIX}{form_key}", request_hash=request_hash(body))
    payout = payout_request(
        user=user, amount=amount, method=method, details=details, actor=Actor.of(user), idempotency=idempotency
    )
    return Withdrawal(
        payout_id=payout.pk,
        amount=payout.amount,
        destination_masked=payout.destination_masked,
        replayed=payout.replayed,
    )


def _field_for(name: str) -> str | None:
    """``"details.iban"`` → ``"iban"``; unknown names belong to the whole form."""
    last = (name or "").split(".")[-1]
    return last if last in FORM_FIELDS else None


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError):
        return None


def attach_service_error(form: forms.Form, exc: DomainError) -> None:
    """Turn a payout service error into inline errors next to the right fields."""
    details = exc.details or {}
    if exc.code == "INSUFFICIENT_BALANCE":
        available = _decimal(details.get("available_balance"))
        message = (
            f"Your available balance is {euro(available)}; you cannot withdraw more than that."
            if available is not None
            else exc.message
        )
        form.add_error("amount", forms.ValidationError(message, code=exc.code))
        return
    violations = details.get("violations") or []
    if violations:
        for violation in violations:
            field = _field_for(violation.get("field", ""))
            reason = violation.get("reason") or exc.message
            if field is None and exc.code == "PAYOUT_POLICY_VIOLATION":
                field = "amount"
            form.add_error(field, forms.ValidationError(reason, code=exc.code))
        return
    if "IBAN" in exc.code:
        form.add_error("iban", forms.ValidationError(exc.message, code=exc.code))
        return
    if exc.code == "PAYOUT_POLICY_VIOLATION":
        form.add_error("amount", forms.ValidationError(exc.message, code=exc.code))
        return
    form.add_error(None, forms.ValidationError(exc.message, code=exc.code))
