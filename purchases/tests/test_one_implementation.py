"""The job and the back office move money through the same transitions: a purchase
confirmed (or rejected) by the confirmation job leaves exactly the ledger and audit rows
that an operator's confirmation (or rejection) leaves."""

from decimal import Decimal

import pytest
from django.db import transaction

from clicknback.audit.models import AuditLog
from clicknback.audit.services import SYSTEM
from offers.tests.factories import OfferFactory
from purchases.confirmation import purchase_claim_due, purchase_verify_chunk, rejection_reason
from purchases.models import Purchase
from purchases.services import purchase_confirm, purchase_reject
from purchases.tests.factories import ingest
from users.tests.factories import UserFactory
from wallets.models import Bucket, LedgerEntry
from wallets.services import wallet_lock, wallet_post

pytestmark = pytest.mark.django_db


class NeverMatches:
    def verify(self, purchase) -> bool:
        return False


def ledger_rows(purchase) -> list[tuple]:
    return sorted(
        LedgerEntry.objects.filter(source_id=purchase.pk).values_list(
            "bucket", "amount", "currency", "reason", "source_type", "actor_type"
        )
    )


def audit_rows(purchase) -> list[tuple]:
    """The transition's audit rows (the ingestion's names its own external id)."""
    rows = (
        AuditLog.objects.filter(resource_id=str(purchase.pk))
        .exclude(action="purchase.ingested")
        .order_by("occurred_at", "id")
    )
    return [(row.action, row.resource_type, row.outcome, row.actor_type, row.details) for row in rows]


def owing_user():
    """A user owing 2.00 of clawback: the next confirmation settles it first."""
    user = UserFactory()
    with transaction.atomic():
        wallet_post(
            wallet=wallet_lock(user_id=user.pk),
            movements=[(Bucket.OWED, Decimal("2.00"))],
            reason="test_setup",
            source_type="test",
            source_id=user.pk,
            actor=SYSTEM,
        )
    return user


def test_the_job_confirms_with_the_same_ledger_and_audit_rows_as_an_operator(settings):
    # given: two users in the same state (owing 2.00), each with one pending purchase
    offer = OfferFactory(cashback_value=Decimal("10.00"), monthly_cap=Decimal("1000.00"))
    by_operator = ingest(owing_user(), offer=offer, amount=Decimal("40.00"))
    purchase_confirm(purchase_id=by_operator.pk, actor=SYSTEM)
    by_job = ingest(owing_user(), offer=offer, amount=Decimal("40.00"))
    # when: the job confirms the second one
    claims = purchase_claim_due(limit=10)
    counts = purchase_verify_chunk(purchase_ids=[c.purchase_id for c in claims], claim_token=claims[0].token)
    # then
    assert counts == {"confirmed": 1}
    assert [row[0] for row in audit_rows(by_job)] == ["purchase.confirmed"]
    assert ledger_rows(by_job) == ledger_rows(by_operator)
    assert audit_rows(by_job) == audit_rows(by_operator)
    assert ("owed", Decimal("-2.00"), "EUR", "cashback_confirmed", "purchase", "system") in ledger_rows(by_job)


def test_the_job_rejects_with_the_same_ledger_and_audit_rows_as_an_operator(settings):
    # given: the last attempt is due, and the bank finds nothing
    settings.PURCHASE_VERIFIER_CLASS = "purchases.tests.test_one_implementation.NeverMatches"
    settings.PURCHASE_MAX_VERIFICATION_ATTEMPTS = 1
    offer = OfferFactory(cashback_value=Decimal("10.00"), monthly_cap=Decimal("1000.00"))
    by_operator = ingest(UserFactory(), offer=offer, amount=Decimal("40.00"))
    purchase_reject(purchase_id=by_operator.pk, reason=rejection_reason(1), actor=SYSTEM)
    by_job = ingest(UserFactory(), offer=offer, amount=Decimal("40.00"))
    # when
    claims = purchase_claim_due(limit=10)
    counts = purchase_verify_chunk(purchase_ids=[c.purchase_id for c in claims], claim_token=claims[0].token)
    # then
    assert counts == {"rejected": 1}
    assert Purchase.objects.get(pk=by_job.pk).status_reason == rejection_reason(1)
    assert [row[0] for row in audit_rows(by_job)] == ["purchase.rejected"]
    assert ledger_rows(by_job) == ledger_rows(by_operator)
    assert audit_rows(by_job) == audit_rows(by_operator)
