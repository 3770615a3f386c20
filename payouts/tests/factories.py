"""Payout test data. ``PayoutFactory`` writes rows only (for list/read tests); money
tests go through ``fund_wallet`` + the services so wallets always match their ledgers."""

import uuid
from decimal import Decimal

import factory
from django.db import transaction

from clicknback.audit.services import SYSTEM
from payouts.models import Payout, PayoutMethod, PayoutStatus
from users.tests.factories import UserFactory
from wallets.models import Bucket
from wallets.services import wallet_lock, wallet_post

VALID_IBAN = "DE89370400440532013000"
BANK_DETAILS = {"iban": "de89 3704 0044 0532 0130 00", "account_holder": "Alice Example"}
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
    destination_masked = "****3000"


def fund_wallet(user, *, available: Decimal = Decimal("0.00"), pending: Decimal = Decimal("0.00")):
    """Credit buckets through the ledger (source ``test``), as cashback would."""
    with transaction.atomic():
        wallet = wallet_lock(user_id=user.pk)
        return wallet_post(
            wallet=wallet,
            movements=[(Bucket.AVAILABLE, available), (Bucket.PENDING, pending)],
            reason="test_funding",
            source_type="test",
            source_id=uuid.uuid4(),
            actor=SYSTEM,
        )
