"""Payout test data. ``PayoutFactory`` writes rows only (for list and read tests); money
tests request and process payouts through the services (``request_payout``,
``process_payout``) on wallets funded with ``tests.support.funding.fund_wallet``, so
wallets always match their ledgers."""

from decimal import Decimal

import factory

from clicknback.audit.services import SYSTEM, Actor
from payouts.models import Payout, PayoutMethod, PayoutStatus
from payouts.services import payout_process, payout_request
from tests.support.ibans import BANK_DETAILS, VALID_IBAN
from users.tests.factories import UserFactory

CARD_DETAILS = {"card_token": "tok_visa_4242"}


class PayoutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payout

    user = factory.SubFactory(UserFactory)
    amount = Decimal("10.00")
    currency = "EUR"
    method = PayoutMethod.BANK_TRANSFER
    status = PayoutStatus.REQUESTED
    destination = factory.LazyFunction(lambda: {"iban": VALID_IBAN, "account_holder": "Alice Example"})
    destination_masked = "****" + VALID_IBAN[-4:]


def request_payout(user, *, amount: Decimal, method: str = PayoutMethod.BANK_TRANSFER, details=None) -> Payout:
    """A requested payout through ``payout_request``, to ``BANK_DETAILS`` unless told."""
    return payout_request(user=user, amount=amount, method=method, details=details or dict(BANK_DETAILS))


def process_payout(payout: Payout, *, status: str, admin=None, reference: str = "BANK-REF-1") -> Payout:
    """``payout`` moved to ``status`` through ``payout_process``, by ``admin`` or the system;
    a completed one gets ``reference``, a failed one a failure reason."""
    return payout_process(
        payout_id=payout.pk,
        status=status,
        actor=Actor.admin(admin) if admin else SYSTEM,
        external_reference=reference if status == PayoutStatus.COMPLETED else "",
        failure_reason="Bank refused the transfer." if status == PayoutStatus.FAILED else "",
    )
