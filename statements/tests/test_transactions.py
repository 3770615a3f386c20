import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from offers.tests.factories import OfferFactory
from payouts.models import Payout
from payouts.tests.factories import PayoutFactory
from purchases.models import CashbackTransaction
from purchases.tests.factories import purchase

pytestmark = pytest.mark.django_db

PATH = "/api/v1/users/me/wallet/transactions"


def _cashback(user, *, amount="2.50", status="pending", offer=None) -> CashbackTransaction:
    """Cashback of ``amount`` in ``status``: a purchase of 20 × amount at a 5 % offer."""
    purchase_status = {"pending": "pending", "available": "confirmed", "reversed": "reversed"}[status]
    return purchase(user, status=purchase_status, offer=offer, amount=Decimal(amount) * 20).cashback


def _age(model, pk, minutes):
    field = "requested_at" if model is Payout else "created_at"
    model.objects.filter(pk=pk).update(**{field: timezone.now() - dt.timedelta(minutes=minutes)})


def test_transactions_merge_cashback_credits_and_payout_debits_newest_first(user, user_client):
    # given
    credit = _cashback(user, amount="2.50", status="available")
    debit = PayoutFactory(user=user, amount=Decimal("10.00"), status="processing")
    _age(CashbackTransaction, credit.pk, 10)
    _age(Payout, debit.pk, 5)
    # when
    response = user_client.get(PATH)
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"offset": 0, "limit": 10, "total": 2}
    assert body["data"][0] == {
        "id": str(debit.pk),
        "type": "payout_debit",
        "amount": "10.00",
        "status": "processing",
        "related_purchase_id": None,
        "related_payout_id": str(debit.pk),
        "created_at": body["data"][0]["created_at"],
        "reason": None,
    }
    assert body["data"][1] == {
        "id": str(credit.pk),
        "type": "cashback_credit",
        "amount": "2.50",
        "status": "available",
        "related_purchase_id": str(credit.purchase_id),
        "related_payout_id": None,
        "created_at": body["data"][1]["created_at"],
        "reason": None,
    }
    assert body["data"][1]["created_at"].endswith("Z")


@pytest.mark.parametrize("status", ["pending", "available", "reversed"])
def test_cashback_credits_carry_the_cashback_status(user, user_client, status):
    # given
    _cashback(user, status=status)
    # when
    items = user_client.get(PATH).json()["data"]
    # then
    credits = [item for item in items if item["type"] == "cashback_credit"]
    assert [item["status"] for item in credits] == [status]


@pytest.mark.parametrize("status", ["requested", "processing", "completed", "failed"])
def test_payout_debits_carry_the_payout_status(user, user_client, status):
    # given
    PayoutFactory(user=user, status=status)
    # when
    item = user_client.get(PATH).json()["data"][0]
    # then
    assert (item["type"], item["status"]) == ("payout_debit", status)


def test_only_the_callers_transactions_are_listed(user, other_user, user_client):
    # given
    _cashback(other_user)
    PayoutFactory(user=other_user)
    mine = PayoutFactory(user=user)
    # when
    data = user_client.get(PATH).json()["data"]
    # then
    assert [item["id"] for item in data] == [str(mine.pk)]


def test_a_user_without_activity_gets_an_empty_page(user_client):
    # when
    body = user_client.get(PATH).json()
    # then
    assert body == {"data": [], "pagination": {"offset": 0, "limit": 10, "total": 0}}


def test_transactions_page_across_both_kinds_in_order(user, user_client):
    # given: alternate credits and debits, one minute apart
    expected = []
    for minute in range(6):
        if minute % 2:
            row = PayoutFactory(user=user)
            _age(Payout, row.pk, minute)
        else:
            row = _cashback(user)
            _age(CashbackTransaction, row.pk, minute)
        expected.append(str(row.pk))
    # when
    first = user_client.get(f"{PATH}?limit=4").json()
    second = user_client.get(f"{PATH}?offset=4&limit=4").json()
    # then
    assert [item["id"] for item in first["data"] + second["data"]] == expected
    assert first["pagination"]["total"] == 6


def test_query_count_does_not_grow_with_the_page(user, user_client, django_assert_max_num_queries):
    # given
    offer = OfferFactory()
    for _ in range(15):
        _cashback(user, offer=offer)
    PayoutFactory.create_batch(15, user=user)
    # when / then: the caller's user row, then one statement for the page and its total
    with django_assert_max_num_queries(2):
        response = user_client.get(f"{PATH}?limit=100")
    assert len(response.json()["data"]) == 30


def test_a_page_past_the_end_is_empty_and_still_tells_the_total(user, user_client):
    # given
    _cashback(user)
    PayoutFactory(user=user)

    # when
    body = user_client.get(f"{PATH}?offset=5&limit=3").json()

    # then
    assert body == {"data": [], "pagination": {"offset": 5, "limit": 3, "total": 2}}


def _history_with_a_tie(user, other_user) -> list[tuple]:
    """Credits and debits of ``user``, two at the same instant; (created, id) newest first."""
    offer = OfferFactory()
    for minute in range(7):
        row = PayoutFactory(user=user) if minute % 3 == 0 else _cashback(user, offer=offer)
        _age(type(row), row.pk, minute)
    same_instant = timezone.now() - dt.timedelta(minutes=30)
    Payout.objects.filter(pk=PayoutFactory(user=user).pk).update(requested_at=same_instant)
    CashbackTransaction.objects.filter(pk=_cashback(user, offer=offer).pk).update(created_at=same_instant)
    _cashback(other_user)
    rows = [(c.created_at, c.pk) for c in CashbackTransaction.objects.filter(user=user)]
    rows += [(p.requested_at, p.pk) for p in Payout.objects.filter(user=user)]
    return sorted(rows, reverse=True)


def test_pages_hold_the_users_rows_newest_first_then_by_id_whatever_the_window(user, other_user):
    # given
    from statements.selectors import wallet_transaction_page

    expected = [pk for _, pk in _history_with_a_tie(user, other_user)]

    for offset, limit in [(0, 10), (0, 3), (3, 3), (6, 4), (8, 5), (9, 1)]:
        # when
        rows, total = wallet_transaction_page(user_id=user.pk, offset=offset, limit=limit)

        # then
        assert [row["tx_id"] for row in rows] == expected[offset : offset + limit], (offset, limit)
        assert total == 9


def test_the_wallet_pages_list_the_same_history_through_the_paginator(user, other_user, django_assert_num_queries):
    # given: the wallet pages page the history with Django's Paginator
    from django.core.paginator import Paginator

    from statements.selectors import WalletTransactionHistory

    expected = [pk for _, pk in _history_with_a_tie(user, other_user)]

    # when: the count and one page, a statement each
    with django_assert_num_queries(2):
        page = Paginator(WalletTransactionHistory(user_id=user.pk), 4).get_page(2)
        listed = [row["tx_id"] for row in page.object_list]

    # then
    assert page.paginator.count == 9 and page.paginator.num_pages == 3
    assert listed == expected[4:8]
    assert [row["tx_id"] for row in WalletTransactionHistory(user_id=user.pk)[:5]] == expected[:5]


def test_the_history_refuses_what_is_not_a_forward_slice(user):
    # given
    from statements.selectors import WalletTransactionHistory

    history = WalletTransactionHistory(user_id=user.pk)

    # when / then
    assert history[3:3] == []
    with pytest.raises(TypeError):
        history[0]
    with pytest.raises(TypeError):
        history[0:10:2]
    with pytest.raises(ValueError):
        history[5:2]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-2"])
def test_bad_paging_is_422(user_client, query):
    assert user_client.get(f"{PATH}?{query}").status_code == 422


def test_transactions_without_a_token_is_401(api_client):
    assert api_client.get(PATH).status_code == 401


def test_a_reversal_and_partial_returns_each_add_a_reversal_row_with_its_reason(user, user_client, admin_user):
    from clicknback.audit.models import ActorType
    from clicknback.audit.services import Actor
    from purchases.reversal import purchase_return
    from purchases.services import purchase_confirm, purchase_reverse

    # given: 5.00 confirmed, 1.00 and 0.50 returned by the partner, then the rest reversed
    offer = OfferFactory(monthly_cap=Decimal("500.00"))
    bought = purchase(user, status="pending", offer=offer, amount=Decimal("100.00"))
    partner = Actor(ActorType.PARTNER, None)
    purchase_confirm(purchase_id=bought.pk, actor=partner)
    purchase_return(purchase_id=bought.pk, return_id="r1", amount=Decimal("20.00"), reason="Size", actor=partner)
    purchase_return(purchase_id=bought.pk, return_id="r2", amount=Decimal("10.00"), reason="Colour", actor=partner)
    purchase_reverse(purchase_id=bought.pk, actor=Actor.admin(admin_user), reason="Fraud check")
    # when
    body = user_client.get(PATH).json()
    # then
    reversals = [(i["amount"], i["status"], i["reason"]) for i in body["data"] if i["type"] == "cashback_reversal"]
    assert sorted(reversals) == [
        ("0.50", "completed", "Colour"),
        ("1.00", "completed", "Size"),
        ("3.50", "completed", "Fraud check"),
    ]
    assert body["pagination"]["total"] == 4
    assert all(i["related_purchase_id"] == str(bought.pk) for i in body["data"])


def test_a_full_return_is_one_reversal_row_not_two(user, user_client):
    from clicknback.audit.models import ActorType
    from clicknback.audit.services import Actor
    from purchases.reversal import purchase_return

    # given
    bought = purchase(user, status="pending", amount=Decimal("40.00"))
    purchase_return(
        purchase_id=bought.pk, return_id="all", amount=None, reason="Returned", actor=Actor(ActorType.PARTNER, None)
    )
    # when
    items = user_client.get(PATH).json()["data"]
    # then
    assert [(i["type"], i["amount"], i["reason"]) for i in items if i["type"] == "cashback_reversal"] == [
        ("cashback_reversal", "2.00", "Returned")
    ]
