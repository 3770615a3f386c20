"""``POST /partner/purchases/batch`` (contract §13): per-item results in order, each item
on its own with the single endpoint's answer, duplicates, replays and the limits."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from clicknback.audit.models import AuditLog
from clicknback.audit.services import SYSTEM
from merchants.tests.factories import MerchantFactory
from offers.tests.factories import OfferFactory
from partners.services import partner_update
from partners.tests.factories import partner_purchase, purchase_body
from purchases.models import CashbackTransaction, Purchase
from purchases.tests.factories import ingest
from users.tests.factories import UserFactory
from wallets.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db

URL = "/api/v1/partner/purchases/batch"
SINGLE = "/api/v1/partner/purchases"


def send(client, items):
    return client.post(URL, {"items": items}, format="json")


def without_clock(error: dict) -> dict:
    """The error without the bounds computed from the clock (a second may pass between calls)."""
    details = {k: v for k, v in error["details"].items() if k not in ("earliest", "latest")}
    return error | {"details": details}


def outcomes(response) -> list[str]:
    return [row["outcome"] for row in response.json()["results"]]


def test_a_batch_answers_per_item_results_in_order_with_a_summary(partner_client, user, merchant):
    # given
    items = [purchase_body(user, merchant, external_id=f"b-{i}", amount=f"{i + 1}0.00") for i in range(3)]
    # when
    response = send(partner_client, items)
    # then
    assert response.status_code == 200
    body = response.json()
    assert [(row["index"], row["external_id"]) for row in body["results"]] == [(0, "b-0"), (1, "b-1"), (2, "b-2")]
    assert outcomes(response) == ["created"] * 3
    assert [row["purchase"]["amount"] for row in body["results"]] == ["10.00", "20.00", "30.00"]
    assert all("error" not in row for row in body["results"])
    assert body["summary"] == {"created": 3, "duplicate": 0, "rejected": 0}
    assert Wallet.objects.get(user=user).pending_balance == Decimal("3.00")


def test_a_created_item_is_what_the_single_endpoint_would_create(partner_client, user, merchant):
    # given
    moment = (timezone.now() - dt.timedelta(days=2)).replace(microsecond=0).isoformat()
    single = partner_client.post(
        SINGLE, purchase_body(user, merchant, external_id="s-1", purchased_at=moment), format="json"
    ).json()
    # when
    batched = send(partner_client, [purchase_body(user, merchant, external_id="s-2", purchased_at=moment)])
    # then
    item = batched.json()["results"][0]["purchase"]
    different = {"id", "external_id", "created_at", "updated_at"}
    assert set(item) == set(single)
    assert {k: v for k, v in item.items() if k not in different} == {
        k: v for k, v in single.items() if k not in different
    }
    rows = {row.resource_id: row for row in AuditLog.objects.filter(action="purchase.ingested")}
    assert rows[item["id"]].details.keys() == rows[single["id"]].details.keys()
    assert rows[item["id"]].actor_type == "partner"


@pytest.fixture
def faults(partner, merchant):
    """Bodies that each fail one check of the single endpoint."""
    inactive_merchant = OfferFactory(merchant__active=False).merchant
    bare_merchant = MerchantFactory()
    partner_update(
        partner_id=partner.pk, merchant_ids=[merchant.pk, inactive_merchant.pk, bare_merchant.pk], actor=SYSTEM
    )
    ingest(UserFactory(), external_id="someone-else-s")
    return {
        "amount": {"amount": "-1"},
        "purchased_at": {"purchased_at": "not a date"},
        "external_id": {"external_id": ""},
        "user_id": {"user_id": "nope"},
        "merchant_not_allowed": {"merchant_id": str(OfferFactory().merchant_id)},
        "duplicate": {"external_id": "someone-else-s"},
        "user_not_eligible": {"user_id": str(UserFactory(is_active=False).pk)},
        "date": {"purchased_at": (timezone.now() + dt.timedelta(hours=1)).isoformat()},
        "currency": {"currency": "GBP"},
        "merchant_not_eligible": {"merchant_id": str(inactive_merchant.pk)},
        "offer": {"merchant_id": str(bare_merchant.pk)},
    }


@pytest.mark.parametrize(
    "fault",
    [
        "amount",
        "purchased_at",
        "external_id",
        "user_id",
        "merchant_not_allowed",
        "duplicate",
        "user_not_eligible",
        "date",
        "currency",
        "merchant_not_eligible",
        "offer",
    ],
)
def test_a_failing_item_carries_the_single_endpoint_s_error_and_blocks_no_other(
    partner_client, user, merchant, faults, fault
):
    # given
    bad = purchase_body(user, merchant, **{"external_id": "bad", **faults[fault]})
    single = partner_client.post(SINGLE, bad, format="json").json()["error"]
    items = [purchase_body(user, merchant, external_id="ok-a"), bad, purchase_body(user, merchant, external_id="ok-b")]
    # when
    response = send(partner_client, items)
    # then
    assert response.status_code == 200
    rows = response.json()["results"]
    expected = "duplicate" if fault == "duplicate" else "rejected"
    assert [row["outcome"] for row in rows] == ["created", expected, "created"]
    assert without_clock(rows[1]["error"]) == without_clock(single)
    assert "purchase" not in rows[1]
    assert Purchase.objects.filter(partner__isnull=False).count() == 2
    assert Wallet.objects.get(user=user).pending_balance == Decimal("10.00")


@pytest.mark.parametrize("item", [5, "text", None, [], True])
def test_an_item_that_is_not_an_object_is_rejected_on_its_own(partner_client, user, merchant, item):
    # when
    response = send(partner_client, [item, purchase_body(user, merchant, external_id="fine")])
    # then
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["outcome"] for row in rows] == ["rejected", "created"]
    assert rows[0]["external_id"] is None
    assert rows[0]["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["summary"] == {"created": 1, "duplicate": 0, "rejected": 1}


def test_an_external_id_repeated_in_a_batch_the_first_wins(partner, partner_client, user, merchant):
    # given
    items = [
        purchase_body(user, merchant, external_id="twice", amount="10.00"),
        purchase_body(user, merchant, external_id="other"),
        purchase_body(user, merchant, external_id="twice", amount="99.00"),
        purchase_body(user, merchant, external_id="twice", amount="77.00"),
    ]
    # when
    response = send(partner_client, items)
    # then
    rows = response.json()["results"]
    assert [row["outcome"] for row in rows] == ["created", "created", "duplicate", "duplicate"]
    created = Purchase.objects.get(external_id="twice")
    assert created.amount == Decimal("10.00")
    for row in rows[2:]:
        assert row["error"]["code"] == "DUPLICATE_PURCHASE"
        assert row["error"]["details"]["purchase_id"] == str(created.pk)
        assert row["purchase"]["id"] == str(created.pk)
    assert response.json()["summary"] == {"created": 2, "duplicate": 2, "rejected": 0}
    assert CashbackTransaction.objects.count() == 2


def test_a_repeat_of_a_rejected_first_item_creates_nothing(partner_client, user, merchant):
    # given: the first report of the id fails; the repeat would pass on its own
    items = [
        purchase_body(user, merchant, external_id="first-bad", currency="USD"),
        purchase_body(user, merchant, external_id="first-bad"),
    ]
    # when
    response = send(partner_client, items)
    # then
    rows = response.json()["results"]
    assert rows[0]["outcome"] == "rejected"
    assert rows[0]["error"]["code"] == "UNSUPPORTED_CURRENCY"
    assert rows[1]["outcome"] == "duplicate"
    assert not Purchase.objects.exists()


def test_a_duplicate_of_a_stored_purchase_carries_it_only_when_it_is_this_partner_s(
    partner, other_partner, partner_client, user, merchant
):
    # given
    mine = partner_purchase(partner, user, external_id="mine")
    partner_purchase(other_partner, user, external_id="theirs")
    # when
    response = send(
        partner_client,
        [purchase_body(user, merchant, external_id="mine"), purchase_body(user, merchant, external_id="theirs")],
    )
    # then
    mine_row, theirs_row = response.json()["results"]
    assert (mine_row["outcome"], mine_row["purchase"]["id"]) == ("duplicate", str(mine.pk))
    assert mine_row["error"]["details"]["purchase_id"] == str(mine.pk)
    assert theirs_row["outcome"] == "duplicate"
    assert "purchase" not in theirs_row
    assert "purchase_id" not in theirs_row["error"]["details"]


def test_sending_the_same_batch_again_creates_and_credits_nothing(partner_client, user, other_user, merchant):
    # given
    items = [purchase_body(u, merchant, external_id=f"re-{i}") for i, u in enumerate([user, other_user] * 5)]
    items.append(purchase_body(user, merchant, external_id="re-bad", currency="USD"))
    first = send(partner_client, items)
    counts = (Purchase.objects.count(), LedgerEntry.objects.count(), AuditLog.objects.count())
    balances = sorted(Wallet.objects.values_list("pending_balance", flat=True))
    # when
    again = send(partner_client, items)
    # then
    assert first.json()["summary"] == {"created": 10, "duplicate": 0, "rejected": 1}
    assert again.json()["summary"] == {"created": 0, "duplicate": 10, "rejected": 1}
    assert [row["purchase"]["id"] for row in again.json()["results"][:10]] == [
        row["purchase"]["id"] for row in first.json()["results"][:10]
    ]
    assert (Purchase.objects.count(), LedgerEntry.objects.count(), AuditLog.objects.count()) == counts
    assert sorted(Wallet.objects.values_list("pending_balance", flat=True)) == balances == [Decimal("25.00")] * 2


def test_the_monthly_cap_adds_up_inside_a_batch(partner, partner_client, user):
    # given: 10 %, cap 10.00
    offer = OfferFactory(cashback_value=Decimal("10.00"), monthly_cap=Decimal("10.00"))
    partner_update(partner_id=partner.pk, merchant_ids=[offer.merchant_id], actor=SYSTEM)
    items = [purchase_body(user, offer.merchant, amount="80.00") for _ in range(3)]
    # when
    response = send(partner_client, items)
    # then
    assert [row["purchase"]["cashback_amount"] for row in response.json()["results"]] == ["8.00", "2.00", "0.00"]
    assert Wallet.objects.get(user=user).pending_balance == Decimal("10.00")


def test_every_created_item_is_audited_as_the_partner_with_its_key(
    partner, partner_key_row, partner_client, user, merchant
):
    # when
    response = send(partner_client, [purchase_body(user, merchant) for _ in range(3)])
    # then
    ids = {row["purchase"]["id"] for row in response.json()["results"]}
    rows = AuditLog.objects.filter(action="purchase.ingested")
    assert {row.resource_id for row in rows} == ids
    assert {(row.actor_type, row.actor_id, row.details["api_key_id"]) for row in rows} == {
        ("partner", partner.pk, str(partner_key_row.pk))
    }


def test_a_batch_of_a_thousand_is_accepted_in_few_queries(partner_client, merchant, django_assert_max_num_queries):
    # given: 1,000 items across 50 users
    users = UserFactory.create_batch(50)
    offer = merchant.offers.get()
    offer.monthly_cap = Decimal("100000.00")
    offer.save()
    items = [purchase_body(users[i % 50], merchant, external_id=f"k-{i:04d}", amount="20.00") for i in range(1000)]
    # when
    with django_assert_max_num_queries(40):
        response = send(partner_client, items)
    # then
    assert response.status_code == 200
    assert response.json()["summary"] == {"created": 1000, "duplicate": 0, "rejected": 0}
    assert set(Wallet.objects.values_list("pending_balance", flat=True)) == {Decimal("20.00")}


@pytest.mark.parametrize("count", [0, 1001])
def test_a_batch_of_no_items_or_more_than_a_thousand_is_422_and_nothing_is_done(partner_client, user, merchant, count):
    # given
    items = [purchase_body(user, merchant, external_id=f"n-{i}") for i in range(count)]
    # when
    response = send(partner_client, items)
    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["violations"][0]["field"] == "items"
    assert not Purchase.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"items": None}, {"items": {}}, {"items": "x"}, {"items": 3}, [{"external_id": "x"}], "items", 7],
)
def test_a_body_that_is_not_a_list_of_items_is_422(partner_client, body):
    # when
    response = partner_client.post(URL, body, format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert not Purchase.objects.exists()


def test_malformed_json_is_a_4xx_envelope(partner_client):
    response = partner_client.post(URL, b'{"items": [', content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "code" in response.json()["error"]


def test_the_batch_needs_a_partner_key(api_client, user_client, user, merchant):
    for client in (api_client, user_client):
        response = send(client, [purchase_body(user, merchant)])
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "INVALID_API_KEY"
    assert not Purchase.objects.exists()


def test_items_take_json_numbers_and_refuse_exponents_one_by_one(partner_client, user, merchant):
    # given: 10.50 as a JSON number (0.52 at 5 %) and 1e3, which no amount may be
    def item(external_id: str, amount: str) -> str:
        return (
            f'{{"external_id":"{external_id}","user_id":"{user.pk}","merchant_id":"{merchant.pk}",'
            f'"amount":{amount},"currency":"EUR"}}'
        )

    raw = f'{{"items": [{item("num-1", "10.50")}, {item("num-2", "1e3")}]}}'
    # when
    response = partner_client.post(URL, raw, content_type="application/json")
    # then
    first, second = response.json()["results"]
    assert (first["outcome"], first["purchase"]["cashback_amount"]) == ("created", "0.52")
    assert (second["outcome"], second["error"]["code"]) == ("rejected", "VALIDATION_ERROR")
    assert second["error"]["details"]["violations"][0]["field"] == "amount"


def test_an_item_with_a_purchased_at_beyond_the_calendar_is_rejected_alone(partner_client, user, merchant):
    items = [purchase_body(user, merchant, purchased_at="0001-01-01T00:00:00+14:00"), purchase_body(user, merchant)]
    response = send(partner_client, items)
    assert response.status_code == 200
    assert outcomes(response) == ["rejected", "created"]
