"""Query budgets of the endpoints the benchmark loads (docs/benchmarks.md).

Each request's SQL statements are counted (not timed): a change that adds a query to a
hot path, or an N+1 on a page, fails here long before it shows in `make bench`.
Transaction control (BEGIN, SAVEPOINT, COMMIT) is counted too.
"""

import uuid
from decimal import Decimal

import pytest

from merchants.tests.factories import MerchantFactory
from offers.tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


def _earn(user, amount: str) -> None:
    """Give ``user`` available cashback through the services (ingest, then confirm)."""
    from clicknback.audit.services import SYSTEM
    from purchases.services import purchase_confirm, purchase_ingest

    offer = OfferFactory(cashback_value=Decimal("20.00"), monthly_cap=Decimal("1000.00"))
    purchase = purchase_ingest(
        caller=user,
        external_id=f"budget-{uuid.uuid4()}",
        user_id=user.pk,
        merchant_id=offer.merchant_id,
        amount=Decimal(amount),
        currency="EUR",
    )
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)


def test_wallet_read_costs_two_queries(user, user_client, django_assert_max_num_queries):
    # given
    _earn(user, "100.00")

    # when
    with django_assert_max_num_queries(2):
        response = user_client.get("/api/v1/users/me/wallet")

    # then
    assert response.status_code == 200


def test_wallet_transactions_page_costs_two_queries_whatever_its_size(user, user_client, django_assert_max_num_queries):
    # given: more credits than a page holds
    for _ in range(12):
        _earn(user, "10.00")

    # when
    with django_assert_max_num_queries(2):
        response = user_client.get("/api/v1/users/me/wallet/transactions?limit=100")

    # then
    assert response.status_code == 200
    assert len(response.json()["data"]) == 12


def test_active_offers_page_costs_three_queries_whatever_its_size(user_client, django_assert_max_num_queries):
    # given
    OfferFactory.create_batch(25)

    # when
    with django_assert_max_num_queries(3):
        response = user_client.get("/api/v1/offers/active?limit=100")

    # then
    assert response.status_code == 200
    assert len(response.json()["data"]) == 25


def test_purchase_ingestion_costs_eight_statements(user, user_client, django_assert_num_queries):
    # given: a user who already has a wallet (its first purchase also creates it: 2 more).
    # The eight: auth user, offer joined with its merchant, BEGIN, INSERT purchase (the
    # unique external_id decides duplicates), wallet FOR UPDATE, cap sum, one statement
    # writing the cashback, wallet, ledger and audit rows (send_together), COMMIT.
    from wallets.models import Wallet

    Wallet.objects.create(user=user)
    offer = OfferFactory(merchant=MerchantFactory())
    body = {
        "external_id": "budget-ingest-1",
        "user_id": str(user.pk),
        "merchant_id": str(offer.merchant_id),
        "amount": "25.00",
        "currency": "EUR",
    }

    # when
    with django_assert_num_queries(8):
        response = user_client.post("/api/v1/purchases", body, format="json")

    # then
    assert response.status_code == 201


def test_payout_request_costs_six_statements(user, user_client, django_assert_num_queries):
    # given: no Idempotency-Key, so no key is read or written. The six: auth user, BEGIN,
    # wallet FOR UPDATE, the month's payouts sum (after the lock: a sum in the locking
    # statement would read the snapshot taken before the wait and miss a concurrent
    # payout), one statement writing the payout, wallet, ledger and audit rows
    # (send_together), COMMIT.
    _earn(user, "100.00")
    body = {"amount": "10.00", "method": "card", "details": {"card_token": "tok_budget_0001"}}

    # when
    with django_assert_num_queries(6):
        response = user_client.post("/api/v1/users/payouts", body, format="json")

    # then
    assert response.status_code == 201


def test_payout_request_with_an_idempotency_key_costs_two_more_statements(user, user_client, django_assert_num_queries):
    # given: in the payout's transaction, the key's advisory lock and the read of its row
    # (none yet); the key's row joins the statement writing the payout
    _earn(user, "100.00")
    body = {"amount": "10.00", "method": "card", "details": {"card_token": "tok_budget_0002"}}

    # when
    with django_assert_num_queries(8):
        response = user_client.post("/api/v1/users/payouts", body, format="json", HTTP_IDEMPOTENCY_KEY="budget-1")

    # then
    assert response.status_code == 201


def test_a_partner_batch_costs_the_same_statements_for_10_items_as_for_200():
    from users.tests.factories import UserFactory

    # given: users with wallets, and offers at a few merchants (one partner linked to them)
    users = [UserFactory() for _ in range(20)]
    offers = [OfferFactory(monthly_cap=Decimal("1000.00")) for _ in range(3)]
    merchant_ids = [offer.merchant_id for offer in offers]
    from clicknback.audit.services import SYSTEM
    from partners.services import partner_create

    partner = partner_create(name=f"budget-{uuid.uuid4().hex[:6]}", merchant_ids=merchant_ids, actor=SYSTEM)

    # when
    def statements(size: int) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from clicknback.audit.models import ActorType
        from clicknback.audit.services import Actor
        from purchases.ingestion import PurchaseReport, Reporter, purchases_ingest

        reporter = Reporter(
            actor=Actor(ActorType.PARTNER, partner.pk), partner_id=partner.pk, merchant_ids=frozenset(merchant_ids)
        )
        reports = [
            PurchaseReport(
                external_id=f"batch-{size}-{uuid.uuid4()}",
                user_id=users[index % len(users)].pk,
                merchant_id=merchant_ids[index % len(merchant_ids)],
                amount=Decimal("40.00"),
                currency="EUR",
            )
            for index in range(size)
        ]
        with CaptureQueriesContext(connection) as captured:
            results = purchases_ingest(reports=reports, reporter=reporter)
        assert [result.outcome for result in results] == ["created"] * size
        return len(captured.captured_queries)

    small, large = statements(10), statements(200)

    # then: a fixed number of statements, whatever the size (no round trip per item)
    assert small == large
    assert large <= 10, large
