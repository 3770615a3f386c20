"""The partner API of §13, one purchase at a time: ingestion and the order of its checks,
the offer and the cap of the purchase date, lookups and lists, approve and decline, audit."""

import datetime as dt
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.utils import timezone

from clicknback.audit.models import AuditLog
from clicknback.audit.services import SYSTEM
from merchants.tests.factories import MerchantFactory
from offers.models import CashbackType
from offers.tests.factories import OfferFactory
from partners.services import partner_update
from partners.tests.conftest import key_client
from partners.tests.factories import PartnerFactory, create_key, partner_purchase, purchase_body
from purchases.models import CashbackTransaction, Purchase, PurchaseStatus
from purchases.services import purchase_confirm, purchase_reject
from purchases.tests.factories import ingest
from users.tests.factories import UserFactory
from wallets.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db

URL = "/api/v1/partner/purchases"
PURCHASE_FIELDS = {
    "id",
    "external_id",
    "user_id",
    "merchant_id",
    "merchant_name",
    "offer_id",
    "amount",
    "currency",
    "status",
    "cashback_amount",
    "cashback_status",
    "purchased_at",
    "returned_amount",
    "status_reason",
    "partner_id",
    "created_at",
    "updated_at",
}


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def error_of(response) -> str:
    return response.json()["error"]["code"]


def pending(user) -> Decimal:
    return Wallet.objects.get(user=user).pending_balance


def nothing_created():
    return (
        not Purchase.objects.exists() and not CashbackTransaction.objects.exists() and not LedgerEntry.objects.exists()
    )


# --- POST /partner/purchases ------------------------------------------------------


@pytest.mark.parametrize("path", [URL, URL + "/"])
def test_ingest_returns_201_with_the_full_purchase(partner, partner_client, user, merchant, offer, path):
    # when
    response = partner_client.post(path, purchase_body(user, merchant, external_id="p-1"), format="json")
    # then
    assert response.status_code == 201
    data = response.json()
    assert set(data) == PURCHASE_FIELDS
    assert data["external_id"] == "p-1"
    assert data["user_id"] == str(user.pk)
    assert data["merchant_id"] == str(merchant.pk)
    assert data["offer_id"] == str(offer.pk)
    assert data["partner_id"] == str(partner.pk)
    assert (data["amount"], data["currency"], data["status"]) == ("100.00", "EUR", "pending")
    assert (data["cashback_amount"], data["cashback_status"]) == ("5.00", "pending")
    assert (data["returned_amount"], data["status_reason"]) == ("0.00", None)
    assert data["purchased_at"].endswith("Z")
    assert pending(user) == Decimal("5.00")


def test_ingest_without_purchased_at_dates_the_purchase_now(partner_client, user, merchant):
    # given
    before = timezone.now().replace(microsecond=0)
    # when
    response = partner_client.post(URL, purchase_body(user, merchant), format="json")
    # then
    purchased_at = Purchase.objects.get().purchased_at
    assert before <= purchased_at <= timezone.now()
    assert response.json()["purchased_at"] == stamp(purchased_at)


def test_ingest_stores_the_purchased_at_given(partner_client, user, merchant):
    # given
    moment = (timezone.now() - dt.timedelta(days=3)).replace(microsecond=0)
    # when
    response = partner_client.post(URL, purchase_body(user, merchant, purchased_at=stamp(moment)), format="json")
    # then
    assert response.status_code == 201
    assert response.json()["purchased_at"] == stamp(moment)
    assert Purchase.objects.get().purchased_at == moment
    assert CashbackTransaction.objects.get().purchased_at == moment


def test_ingest_notifies_the_confirmation_job_after_commit(
    partner_client, user, merchant, monkeypatch, django_capture_on_commit_callbacks
):
    # given
    from purchases import services

    calls = []
    monkeypatch.setattr(services, "notify_confirmation_job", lambda: calls.append(1))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = partner_client.post(URL, purchase_body(user, merchant), format="json")
    # then
    assert response.status_code == 201
    assert calls == [1]


def test_ingest_is_audited_as_the_partner_with_its_key(partner, partner_key_row, partner_client, user, merchant):
    # when
    response = partner_client.post(URL, purchase_body(user, merchant), format="json", HTTP_X_REQUEST_ID="req-partner-1")
    # then
    assert response["X-Request-ID"] == "req-partner-1"
    row = AuditLog.objects.get(action="purchase.ingested")
    assert row.request_id == "req-partner-1"
    assert (row.actor_type, row.actor_id) == ("partner", partner.pk)
    assert row.resource_id == response.json()["id"]
    assert row.details["api_key_id"] == str(partner_key_row.pk)
    assert row.details["partner_id"] == str(partner.pk)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("external_id", ""),
        ("external_id", "x" * 256),
        ("external_id", " padded"),
        ("user_id", "not-a-uuid"),
        ("merchant_id", "123"),
        ("amount", "0"),
        ("amount", "-1.00"),
        ("amount", "1.001"),
        ("amount", "NaN"),
        ("amount", "1e3"),
        ("amount", "10000000000.00"),
        ("currency", ""),
        ("purchased_at", "yesterday"),
        ("purchased_at", 12345),
    ],
)
def test_a_field_failing_validation_is_422_and_creates_nothing(partner_client, user, merchant, field, value):
    # when
    response = partner_client.post(URL, purchase_body(user, merchant, **{field: value}), format="json")
    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["violations"][0]["field"] == field
    assert nothing_created()


@pytest.mark.parametrize("field", ["external_id", "user_id", "merchant_id", "amount", "currency"])
def test_a_missing_field_is_422(partner_client, user, merchant, field):
    response = partner_client.post(URL, purchase_body(user, merchant, **{field: None}), format="json")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == field


def test_server_owned_fields_are_ignored(partner, partner_client, user, merchant):
    # given
    other = PartnerFactory(merchants=[merchant])
    body = purchase_body(user, merchant, status="confirmed", partner_id=str(other.pk), returned_amount="5.00")
    # when
    response = partner_client.post(URL, body, format="json")
    # then
    assert response.status_code == 201
    data = response.json()
    assert (data["status"], data["partner_id"], data["returned_amount"]) == ("pending", str(partner.pk), "0.00")


def test_a_merchant_not_linked_to_the_partner_is_403_merchant_not_allowed(partner_client, user):
    # given: a merchant with an offer, linked to no partner of this key
    elsewhere = OfferFactory().merchant
    # when
    response = partner_client.post(URL, purchase_body(user, elsewhere), format="json")
    # then
    assert response.status_code == 403
    assert error_of(response) == "MERCHANT_NOT_ALLOWED"
    assert nothing_created()


def test_a_merchant_unlinked_from_the_partner_is_refused_at_once(partner, partner_client, user, merchant):
    # given
    partner_update(partner_id=partner.pk, merchant_ids=[MerchantFactory().pk], actor=SYSTEM)
    # when
    response = partner_client.post(URL, purchase_body(user, merchant), format="json")
    # then
    assert response.status_code == 403
    assert error_of(response) == "MERCHANT_NOT_ALLOWED"


def test_a_duplicate_of_the_partner_s_own_purchase_is_409_with_its_id(partner, partner_client, user, merchant):
    # given
    first = partner_purchase(partner, user, amount=Decimal("40.00"), external_id="dup-1")
    # when
    response = partner_client.post(
        URL, purchase_body(user, merchant, external_id="dup-1", amount="99.00"), format="json"
    )
    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "DUPLICATE_PURCHASE"
    assert error["details"] == {
        "external_id": "dup-1",
        "previously_created_at": stamp(first.created_at),
        "previously_processed_amount": "40.00",
        "purchase_id": str(first.pk),
    }
    assert Purchase.objects.count() == 1
    assert pending(user) == Decimal("2.00")


def test_a_duplicate_of_someone_else_s_purchase_hides_its_id(partner_client, user, other_user, merchant):
    # given: the user reported it themself at another merchant
    ingest(other_user, external_id="dup-2")
    # when
    response = partner_client.post(URL, purchase_body(user, merchant, external_id="dup-2"), format="json")
    # then
    assert response.status_code == 409
    details = response.json()["error"]["details"]
    assert details["external_id"] == "dup-2"
    assert "purchase_id" not in details
    assert not Purchase.objects.filter(partner__isnull=False).exists()


def test_a_duplicate_of_another_partner_s_purchase_hides_its_id(partner_client, other_partner, user, merchant):
    # given
    partner_purchase(other_partner, user, external_id="dup-3")
    # when
    response = partner_client.post(URL, purchase_body(user, merchant, external_id="dup-3"), format="json")
    # then
    assert response.status_code == 409
    assert "purchase_id" not in response.json()["error"]["details"]


@pytest.mark.parametrize("who", ["unknown", "inactive"])
def test_an_unknown_or_inactive_user_is_422_user_not_eligible(partner_client, merchant, who):
    # given
    user = UserFactory(is_active=False)
    body = purchase_body(user, merchant)
    if who == "unknown":
        body["user_id"] = "00000000-0000-4000-8000-000000000001"
    # when
    response = partner_client.post(URL, body, format="json")
    # then
    assert response.status_code == 422
    assert error_of(response) == "USER_NOT_ELIGIBLE"
    assert nothing_created()


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (dt.timedelta(days=-91), False),
        (dt.timedelta(days=-89), True),
        (dt.timedelta(minutes=4), True),
        (dt.timedelta(minutes=6), False),
    ],
)
def test_purchased_at_must_be_within_90_days_back_and_5_minutes_ahead(partner_client, user, offset, accepted):
    # given: an offer valid from 100 days ago
    offer = OfferFactory(start_date=timezone.now().date() - dt.timedelta(days=100))
    partner = PartnerFactory(merchants=[offer.merchant])
    client = key_client(create_key(partner)[1])
    body = purchase_body(user, offer.merchant, purchased_at=stamp(timezone.now() + offset))
    # when
    response = client.post(URL, body, format="json")
    # then
    if accepted:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 422
        assert error_of(response) == "PURCHASE_DATE_OUT_OF_RANGE"
        assert nothing_created()


def test_purchase_max_age_days_is_configurable(partner_client, user, merchant, settings):
    # given
    settings.PURCHASE_MAX_AGE_DAYS = 2
    body = purchase_body(user, merchant, purchased_at=stamp(timezone.now() - dt.timedelta(days=3)))
    # when
    response = partner_client.post(URL, body, format="json")
    # then
    assert response.status_code == 422
    assert error_of(response) == "PURCHASE_DATE_OUT_OF_RANGE"


def test_an_unsupported_currency_is_422(partner_client, user, merchant):
    response = partner_client.post(URL, purchase_body(user, merchant, currency="USD"), format="json")
    assert response.status_code == 422
    assert error_of(response) == "UNSUPPORTED_CURRENCY"
    assert nothing_created()


def test_a_lower_case_currency_is_stored_upper_case(partner_client, user, merchant):
    response = partner_client.post(URL, purchase_body(user, merchant, currency="eur"), format="json")
    assert response.status_code == 201
    assert response.json()["currency"] == "EUR"


def test_an_inactive_linked_merchant_is_422_merchant_not_eligible(partner, partner_client, user, merchant):
    # given
    inactive = OfferFactory(merchant__active=False).merchant
    partner_update(partner_id=partner.pk, merchant_ids=[merchant.pk, inactive.pk], actor=SYSTEM)
    # when
    response = partner_client.post(URL, purchase_body(user, inactive), format="json")
    # then
    assert response.status_code == 422
    assert error_of(response) == "MERCHANT_NOT_ELIGIBLE"
    assert nothing_created()


def test_a_merchant_without_an_offer_on_the_date_is_422_offer_not_available(partner, partner_client, user):
    # given
    bare = MerchantFactory()
    partner_update(partner_id=partner.pk, merchant_ids=[bare.pk], actor=SYSTEM)
    # when
    response = partner_client.post(URL, purchase_body(user, bare), format="json")
    # then
    assert response.status_code == 422
    assert error_of(response) == "OFFER_NOT_AVAILABLE"
    assert nothing_created()


# --- the order of the checks --------------------------------------------------------


@pytest.fixture
def all_wrong(partner, user, merchant):
    """Everything a body can get wrong, switched off one at a time, in the contract's order."""
    inactive_merchant = OfferFactory(merchant__active=False).merchant
    bare_merchant = MerchantFactory()
    partner_update(
        partner_id=partner.pk, merchant_ids=[merchant.pk, inactive_merchant.pk, bare_merchant.pk], actor=SYSTEM
    )
    ingest(UserFactory(), external_id="taken")
    inactive_user = UserFactory(is_active=False)
    unlinked = OfferFactory().merchant
    return {
        "schema": {"amount": "-1"},
        "merchant_not_allowed": {"merchant_id": str(unlinked.pk)},
        "duplicate": {"external_id": "taken"},
        "user": {"user_id": str(inactive_user.pk)},
        "date": {"purchased_at": stamp(timezone.now() - dt.timedelta(days=200))},
        "currency": {"currency": "USD"},
        "merchant": {"merchant_id": str(inactive_merchant.pk)},
        "offer": {"merchant_id": str(bare_merchant.pk)},
    }


EXPECTED_ORDER = [
    ("schema", 422, "VALIDATION_ERROR"),
    ("merchant_not_allowed", 403, "MERCHANT_NOT_ALLOWED"),
    ("duplicate", 409, "DUPLICATE_PURCHASE"),
    ("user", 422, "USER_NOT_ELIGIBLE"),
    ("date", 422, "PURCHASE_DATE_OUT_OF_RANGE"),
    ("currency", 422, "UNSUPPORTED_CURRENCY"),
    ("merchant", 422, "MERCHANT_NOT_ELIGIBLE"),
    ("offer", 422, "OFFER_NOT_AVAILABLE"),
]


@pytest.mark.parametrize("first", range(len(EXPECTED_ORDER)))
def test_checks_run_in_the_contract_s_order(partner_client, user, merchant, all_wrong, first):
    # given: a body with this fault and every later one ("merchant_id" is decided by the earliest)
    body = purchase_body(user, merchant)
    for name, _, _ in reversed(EXPECTED_ORDER[first:]):
        body.update(all_wrong[name])
    _, status, code = EXPECTED_ORDER[first]
    # when
    response = partner_client.post(URL, body, format="json")
    # then
    assert (response.status_code, error_of(response)) == (status, code)
    assert Purchase.objects.count() == 1  # only the one taken beforehand


# --- the offer and the cap of the purchase date ---------------------------------------


def test_a_purchase_dated_in_an_ended_offer_s_window_earns_that_offer(partner, partner_client, user):
    # given: a 10 % offer that ran from 60 to 31 days ago (still active: nothing replaced it)
    today = timezone.now().date()
    ended = OfferFactory(
        cashback_value=Decimal("10.00"),
        start_date=today - dt.timedelta(days=60),
        end_date=today - dt.timedelta(days=31),
    )
    partner_update(partner_id=partner.pk, merchant_ids=[ended.merchant_id], actor=SYSTEM)
    then = stamp(timezone.now() - dt.timedelta(days=45))
    # when
    then_response = partner_client.post(URL, purchase_body(user, ended.merchant, purchased_at=then), format="json")
    now_response = partner_client.post(URL, purchase_body(user, ended.merchant), format="json")
    # then
    assert then_response.status_code == 201
    assert (then_response.json()["offer_id"], then_response.json()["cashback_amount"]) == (str(ended.pk), "10.00")
    assert now_response.status_code == 422
    assert error_of(now_response) == "OFFER_NOT_AVAILABLE"


def test_a_purchase_dated_before_the_offer_started_has_no_offer(partner, partner_client, user):
    # given: an offer valid from 60 days ago
    offer = OfferFactory(start_date=timezone.now().date() - dt.timedelta(days=60))
    partner_update(partner_id=partner.pk, merchant_ids=[offer.merchant_id], actor=SYSTEM)
    before = stamp(timezone.now() - dt.timedelta(days=61))
    # when
    response = partner_client.post(URL, purchase_body(user, offer.merchant, purchased_at=before), format="json")
    # then
    assert response.status_code == 422
    assert error_of(response) == "OFFER_NOT_AVAILABLE"


def test_an_offer_that_starts_tomorrow_earns_nothing_today(partner, partner_client, user):
    # given
    tomorrow = timezone.now().date() + dt.timedelta(days=1)
    offer = OfferFactory(start_date=tomorrow, end_date=tomorrow + dt.timedelta(days=10))
    partner_update(partner_id=partner.pk, merchant_ids=[offer.merchant_id], actor=SYSTEM)
    # when
    response = partner_client.post(URL, purchase_body(user, offer.merchant), format="json")
    # then
    assert response.status_code == 422
    assert error_of(response) == "OFFER_NOT_AVAILABLE"


def test_an_inactive_offer_earns_nothing_even_on_its_dates(partner, partner_client, user):
    # given
    offer = OfferFactory(status="inactive")
    partner_update(partner_id=partner.pk, merchant_ids=[offer.merchant_id], actor=SYSTEM)
    # when
    response = partner_client.post(URL, purchase_body(user, offer.merchant), format="json")
    # then
    assert response.status_code == 422
    assert error_of(response) == "OFFER_NOT_AVAILABLE"


def test_the_offer_day_is_the_utc_date_of_purchased_at(partner, partner_client, user):
    # given: an offer that starts today (UTC); 00:00:30 today UTC is 22:00:30 yesterday at -02:00
    today = timezone.now().date()
    offer = OfferFactory(start_date=today)
    partner_update(partner_id=partner.pk, merchant_ids=[offer.merchant_id], actor=SYSTEM)
    moment = dt.datetime.combine(today, dt.time(0, 0, 30), tzinfo=dt.UTC)
    local = moment.astimezone(dt.timezone(dt.timedelta(hours=-2))).isoformat()
    assert local.startswith(str(today - dt.timedelta(days=1)))
    # when
    response = partner_client.post(URL, purchase_body(user, offer.merchant, purchased_at=local), format="json")
    # then
    assert response.status_code == 201, response.json()
    assert response.json()["offer_id"] == str(offer.pk)
    assert response.json()["purchased_at"] == stamp(moment)


def test_the_monthly_cap_counts_the_utc_month_of_purchased_at(partner, partner_client, user):
    # given: 10 %, cap 10.00, valid since 60 days ago
    offer = OfferFactory(
        cashback_type=CashbackType.PERCENT,
        cashback_value=Decimal("10.00"),
        monthly_cap=Decimal("10.00"),
        start_date=timezone.now().date() - dt.timedelta(days=60),
    )
    partner_update(partner_id=partner.pk, merchant_ids=[offer.merchant_id], actor=SYSTEM)
    month_start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last_second_of_last_month = stamp(month_start - dt.timedelta(seconds=1))
    first_second_of_this_month = stamp(month_start)

    def buy(purchased_at, amount="80.00"):
        body = purchase_body(user, offer.merchant, amount=amount, purchased_at=purchased_at)
        return partner_client.post(URL, body, format="json").json()["cashback_amount"]

    # when / then: each month has its own 10.00
    assert buy(last_second_of_last_month) == "8.00"
    assert buy(first_second_of_this_month) == "8.00"
    assert buy(last_second_of_last_month) == "2.00"
    assert buy(first_second_of_this_month) == "2.00"
    assert buy(last_second_of_last_month) == "0.00"
    assert buy(None) == "0.00"
    assert pending(user) == Decimal("20.00")


def test_a_user_s_own_purchase_counts_in_the_month_it_was_reported(partner, user, user_client):
    # given: a user-reported purchase (purchased_at = now) fills this month's cap
    offer = OfferFactory(cashback_value=Decimal("10.00"), monthly_cap=Decimal("10.00"))
    partner_update(partner_id=partner.pk, merchant_ids=[offer.merchant_id], actor=SYSTEM)
    ingest(user, offer=offer, amount=Decimal("100.00"))
    # when
    later = partner_purchase(partner, user, merchant=offer.merchant, amount=Decimal("50.00"))
    # then
    assert later.cashback.amount == Decimal("0.00")


# --- GET /partner/purchases/{external_id} and the list ---------------------------------


def test_lookup_by_external_id_returns_the_purchase(partner, partner_client, user):
    # given
    purchase = partner_purchase(partner, user, external_id="look-1")
    # when
    response = partner_client.get(f"{URL}/look-1")
    # then
    assert response.status_code == 200
    data = response.json()
    assert set(data) == PURCHASE_FIELDS
    assert data["id"] == str(purchase.pk)


@pytest.mark.parametrize("suffix", ["", "/approve", "/decline", "/returns"])
def test_another_partner_s_purchase_is_404_and_untouched(partner, other_partner_client, user, suffix):
    # given
    purchase = partner_purchase(partner, user, external_id="mine-1")
    body = {"reason": "nope", "return_id": "r-1"}
    # when
    if suffix:
        response = other_partner_client.post(f"{URL}/mine-1{suffix}", body, format="json")
    else:
        response = other_partner_client.get(f"{URL}/mine-1")
    # then
    assert response.status_code == 404
    assert error_of(response) == "NOT_FOUND"
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.PENDING
    assert pending(user) == Decimal("5.00")


def test_a_user_s_own_purchase_is_404_to_a_partner(partner_client, user):
    ingest(user, external_id="users-own")
    assert partner_client.get(f"{URL}/users-own").status_code == 404


def test_an_unknown_external_id_is_404(partner_client):
    response = partner_client.get(f"{URL}/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["details"]["resource_type"] == "purchase"


def test_the_list_shows_only_this_partner_s_purchases_newest_first(
    partner, other_partner, partner_client, user, django_assert_max_num_queries
):
    # given
    mine = [partner_purchase(partner, user) for _ in range(3)]
    partner_purchase(other_partner, user)
    ingest(user)
    # when
    with django_assert_max_num_queries(8):
        response = partner_client.get(URL)
    # then
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["data"]] == [str(p.pk) for p in reversed(mine)]
    assert body["pagination"] == {"offset": 0, "limit": 10, "total": 3}


def test_the_list_pages_with_offset_and_limit(partner, partner_client, user):
    # given
    for _ in range(12):
        partner_purchase(partner, user, amount=Decimal("1.00"))
    # when
    first = partner_client.get(URL).json()
    rest = partner_client.get(URL, {"offset": 10, "limit": 5}).json()
    # then
    assert len(first["data"]) == 10
    assert len(rest["data"]) == 2
    assert rest["pagination"] == {"offset": 10, "limit": 5, "total": 12}


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}])
def test_the_list_refuses_pages_out_of_range(partner_client, params):
    response = partner_client.get(URL, params)
    assert response.status_code == 422
    assert error_of(response) == "VALIDATION_ERROR"


def test_the_list_filters_by_status(partner, partner_client, user):
    # given
    kept = partner_purchase(partner, user)
    confirmed = partner_purchase(partner, user)
    purchase_confirm(purchase_id=confirmed.pk, actor=SYSTEM)
    # when
    pending_ids = [item["id"] for item in partner_client.get(URL, {"status": "pending"}).json()["data"]]
    confirmed_ids = [item["id"] for item in partner_client.get(URL, {"status": "confirmed"}).json()["data"]]
    # then
    assert pending_ids == [str(kept.pk)]
    assert confirmed_ids == [str(confirmed.pk)]


def test_an_unknown_status_filter_is_422_invalid_purchase_status(partner_client):
    response = partner_client.get(URL, {"status": "lost"})
    assert response.status_code == 422
    assert error_of(response) == "INVALID_PURCHASE_STATUS"


def test_the_list_filters_by_merchant_id(partner, partner_client, user, merchant):
    # given
    second = OfferFactory().merchant
    partner_update(partner_id=partner.pk, merchant_ids=[merchant.pk, second.pk], actor=SYSTEM)
    partner_purchase(partner, user, merchant=merchant)
    at_second = partner_purchase(partner, user, merchant=second)
    # when
    response = partner_client.get(URL, {"merchant_id": str(second.pk)})
    # then
    assert [item["id"] for item in response.json()["data"]] == [str(at_second.pk)]


def test_the_list_filters_by_updated_since(partner, partner_client, user):
    # given: two purchases made an hour ago, one of which changes now
    old, changed = partner_purchase(partner, user), partner_purchase(partner, user)
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    Purchase.objects.filter(pk__in=[old.pk, changed.pk]).update(updated_at=an_hour_ago)
    since = timezone.now() - dt.timedelta(minutes=1)
    purchase_reject(purchase_id=changed.pk, reason="no match", actor=SYSTEM)
    # when
    response = partner_client.get(URL, {"updated_since": stamp(since)})
    # then
    assert [item["id"] for item in response.json()["data"]] == [str(changed.pk)]
    everything = partner_client.get(URL, {"updated_since": stamp(an_hour_ago - dt.timedelta(minutes=1))})
    assert everything.json()["pagination"]["total"] == 2


@pytest.mark.parametrize("params", [{"updated_since": "yesterday"}, {"merchant_id": "nope"}])
def test_an_invalid_list_filter_is_422(partner_client, params):
    response = partner_client.get(URL, params)
    assert response.status_code == 422
    assert error_of(response) == "VALIDATION_ERROR"


# --- approve and decline -----------------------------------------------------------


def test_approve_confirms_a_pending_purchase(partner, partner_key_row, partner_client, user):
    # given
    purchase = partner_purchase(partner, user, external_id="ok-1")
    # when
    response = partner_client.post(f"{URL}/ok-1/approve")
    # then
    assert response.status_code == 200
    data = response.json()
    assert set(data) == PURCHASE_FIELDS
    assert (data["status"], data["cashback_status"], data["cashback_amount"]) == ("confirmed", "available", "5.00")
    wallet = Wallet.objects.get(user=user)
    assert (wallet.pending_balance, wallet.available_balance) == (Decimal("0.00"), Decimal("5.00"))
    row = AuditLog.objects.get(action="purchase.confirmed", resource_id=str(purchase.pk))
    assert (row.actor_type, row.actor_id, row.details["api_key_id"]) == ("partner", partner.pk, str(partner_key_row.pk))


@pytest.mark.parametrize("status", [PurchaseStatus.CONFIRMED, PurchaseStatus.REJECTED])
@pytest.mark.parametrize("action", ["approve", "decline"])
def test_approve_or_decline_of_a_settled_purchase_is_409_purchase_not_pending(
    partner, partner_client, user, status, action
):
    # given
    purchase = partner_purchase(partner, user, external_id="settled")
    if status == PurchaseStatus.CONFIRMED:
        purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)
    else:
        purchase_reject(purchase_id=purchase.pk, reason="no", actor=SYSTEM)
    ledger_rows = LedgerEntry.objects.count()
    # when
    response = partner_client.post(f"{URL}/settled/{action}", {"reason": "late"}, format="json")
    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "PURCHASE_NOT_PENDING"
    assert error["details"]["current_status"] == status
    assert LedgerEntry.objects.count() == ledger_rows


def test_decline_rejects_a_pending_purchase_with_the_reason(partner, partner_key_row, partner_client, user):
    # given
    purchase = partner_purchase(partner, user, external_id="no-1")
    # when
    response = partner_client.post(f"{URL}/no-1/decline", {"reason": "Order cancelled"}, format="json")
    # then
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["status_reason"], data["cashback_amount"]) == ("rejected", "Order cancelled", "0.00")
    assert data["cashback_status"] == "reversed"
    assert pending(user) == Decimal("0.00")
    row = AuditLog.objects.get(action="purchase.rejected", resource_id=str(purchase.pk))
    assert (row.actor_type, row.actor_id, row.details["api_key_id"]) == ("partner", partner.pk, str(partner_key_row.pk))
    assert row.details["reason"] == "Order cancelled"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x" * 501}, {"reason": 5}])
def test_decline_needs_a_reason_of_1_to_500_characters(partner, partner_client, user, body):
    # given
    purchase = partner_purchase(partner, user, external_id="no-2")
    # when
    response = partner_client.post(f"{URL}/no-2/decline", body, format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == "reason"
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.PENDING


def test_a_reason_of_500_characters_is_kept_whole(partner, partner_client, user):
    partner_purchase(partner, user, external_id="no-3")
    response = partner_client.post(f"{URL}/no-3/decline", {"reason": "r" * 500}, format="json")
    assert response.status_code == 200
    assert response.json()["status_reason"] == "r" * 500


@pytest.mark.parametrize("suffix", ["/approve", "/decline", "/returns"])
def test_lifecycle_calls_on_an_unknown_purchase_are_404(partner_client, suffix):
    response = partner_client.post(f"{URL}/ghost{suffix}", {"reason": "r", "return_id": "r"}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "path"), [("get", "/ok-9/approve"), ("put", ""), ("delete", "/ok-9")])
def test_a_wrong_method_is_405(partner, partner_client, user, method, path):
    partner_purchase(partner, user, external_id="ok-9")
    response = getattr(partner_client, method)(f"{URL}{path}")
    assert response.status_code == 405
    assert error_of(response) == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize("external_id", ["sp ace", "é-1", "a%2Fb", "approve"])
def test_any_accepted_external_id_can_be_looked_up_and_approved(partner, partner_client, user, external_id):
    # given
    partner_purchase(partner, user, external_id=external_id)
    path = f"{URL}/{quote(external_id, safe='')}"
    # when
    found = partner_client.get(path)
    approved = partner_client.post(f"{path}/approve")
    # then
    assert found.status_code == 200
    assert found.json()["external_id"] == external_id
    assert approved.json()["status"] == "confirmed"


def test_an_external_id_with_a_slash_can_be_looked_up_and_approved(partner, partner_client, user):
    # given
    partner_purchase(partner, user, external_id="order/42")
    # when
    found = partner_client.get(f"{URL}/{quote('order/42', safe='')}")
    found_with_slash = partner_client.get(f"{URL}/order/42/")
    approved = partner_client.post(f"{URL}/order/42/approve")
    # then
    assert found.status_code == 200 and found.json()["external_id"] == "order/42"
    assert found_with_slash.status_code == 200
    assert approved.status_code == 200 and approved.json()["status"] == "confirmed"


def test_an_external_id_named_batch_can_be_looked_up(partner, partner_client, user):
    partner_purchase(partner, user, external_id="batch")
    assert partner_client.get(f"{URL}/batch").status_code == 200


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_purchased_at_beyond_the_calendar_in_utc_is_422(partner_client, user, merchant, value):
    response = partner_client.post(URL, purchase_body(user, merchant, purchased_at=value), format="json")
    assert response.status_code == 422


def test_the_user_sees_a_partner_s_purchase_with_its_partner(partner, partner_client, user, user_client, merchant):
    # given
    created = partner_client.post(URL, purchase_body(user, merchant), format="json").json()
    # when
    mine = user_client.get("/api/v1/users/me/purchases").json()["data"]
    # then
    assert [(item["id"], item["partner_id"]) for item in mine] == [(created["id"], str(partner.pk))]
