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
from payouts.destinations import destination_parse
from payouts.idempotency import IdempotentRequest, request_hash
from payouts.models import Payout, PayoutMethod
from payouts.policy import PayoutTerms, policy_violations
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


def saved_destinations(*, user_id: uuid.UUID, limit: int = 50) -> list[dict]:
    """The user's bank accounts from earlier withdrawals, newest first, one per IBAN,
    masked for showing (the full IBAN stays on the server)."""
    seen: dict[str, dict] = {}
    recent = Payout.objects.filter(user_id=user_id, method=PayoutMethod.BANK_TRANSFER).order_by("-requested_at", "-id")
    for payout in recent.only("id", "destination", "destination_masked")[:limit]:
        iban = (payout.destination or {}).get("iban", "")
        if iban and iban not in seen:
            holder = (payout.destination or {}).get("account_holder", "")
            seen[iban] = {"id": str(payout.pk), "label": f"{payout.destination_masked} · {holder}".strip(" ·")}
    return list(seen.values())


def saved_details(*, user_id: uuid.UUID, payout_id: str) -> dict[str, str] | None:
    """The bank details of one of the user's earlier withdrawals (None if not theirs)."""
    try:
        payout = Payout.objects.filter(user_id=user_id, pk=uuid.UUID(payout_id)).only("destination").first()
    except ValueError:
        return None
    if payout is None or "iban" not in (payout.destination or {}):
        return None
    return {"iban": payout.destination["iban"], "account_holder": payout.destination.get("account_holder", "")}


def preview_problems(form: forms.Form, *, user, terms: PayoutTerms) -> bool:
    """Attach every problem the form has (destination, policy, balance) at once; True if any.

    A preview for the page: ``payout_request`` decides again, under the wallet lock.
    """
    data = form.cleaned_data
    found = bool(form.errors)
    if "method" in data:  # the destination, even when the amount is wrong or missing
        try:
            destination_parse(method=data["method"], details=form.payout_details())  # type: ignore[attr-defined]
        except DomainError as exc:
            attach_service_error(form, exc)
            found = True
    amount = data.get("amount")
    if amount is None:
        return found
    for violation in policy_violations(
        amount=amount, minimum=terms.minimum, limit=terms.limit, remaining=terms.remaining
    ):
        form.add_error("amount", forms.ValidationError(violation["reason"], code="PAYOUT_POLICY_VIOLATION"))
        found = True
    if amount > terms.available:
        form.add_error(
            "amount",
            forms.ValidationError(
                f"Your available balance is {euro(terms.available)}; you cannot withdraw more than that.",
                code="INSUFFICIENT_BALANCE",
            ),
        )
        found = True
    return found
