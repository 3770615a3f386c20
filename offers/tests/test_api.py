import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from clicknback.audit.models import AuditLog
from merchants.tests.factories import MerchantFactory
from offers.models import Offer, OfferStatus
from offers.tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/offers"


def today() -> dt.date:
    return timezone.now().date()


def offer_body(merchant, **overrides):
    body = {
        "merchant_id": str(merchant.pk),
        "cashback_type": "percent",
        "cashback_value": "5.00",
        "start_date": today().isoformat(),
        "end_date": (today() + dt.timedelta(days=30)).isoformat(),
        "monthly_cap": "50.00",
    }
    body.update(overrides)
    return body


# --- POST /offers -----------------------------------------------------------


def test_admin_creates_an_active_offer(admin_client, admin_user):
    # given
    merchant = MerchantFactory(name="Shoply")
    # when
    response = admin_client.post(URL, offer_body(merchant), format="json")
    # then
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "max_cashback_per_purchase",
        "merchant_id",
        "merchant_name",
        "cashback_type",
        "cashback_value",
        "monthly_cap",
        "monthly_cap_per_user",
        "start_date",
        "end_date",
        "status",
        "created_at",
    }
    assert body["merchant_name"] == "Shoply"
    assert body["status"] == "active"
    assert body["cashback_value"] == "5.00"
    assert body["monthly_cap"] == body["monthly_cap_per_user"] == "50.00"
    row = AuditLog.objects.get(resource_type="offer", resource_id=body["id"])
    assert (row.action, row.actor_type, row.actor_id) == ("offer.created", "admin", admin_user.pk)


def test_fixed_offer_accepts_a_json_number(admin_client):
    # given
    merchant = MerchantFactory()
    # when
    response = admin_client.post(
        URL, offer_body(merchant, cashback_type="fixed", cashback_value=3, monthly_cap=20.5), format="json"
    )
    # then
    assert response.status_code == 201
    assert (response.json()["cashback_value"], response.json()["monthly_cap"]) == ("3.00", "20.50")


def test_percent_of_exactly_20_is_accepted(admin_client):
    # when
    response = admin_client.post(URL, offer_body(MerchantFactory(), cashback_value="20"), format="json")
    # then
    assert response.status_code == 201


def test_fixed_value_above_20_is_accepted(admin_client):
    # when
    response = admin_client.post(
        URL, offer_body(MerchantFactory(), cashback_type="fixed", cashback_value="25.00"), format="json"
    )
    # then
    assert response.status_code == 201


def test_one_day_offer_is_accepted(admin_client):
    # when
    response = admin_client.post(URL, offer_body(MerchantFactory(), end_date=today().isoformat()), format="json")
    # then
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cashback_value": "20.01"}, "cashback_value"),
        ({"cashback_value": "0"}, "cashback_value"),
        ({"cashback_value": "-1"}, "cashback_value"),
        ({"cashback_type": "fixed", "cashback_value": "0.00"}, "cashback_value"),
        ({"cashback_value": "1.001"}, "cashback_value"),
        ({"cashback_value": "1e2"}, "cashback_value"),
        ({"cashback_type": "bogus"}, "cashback_type"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"monthly_cap": "0"}, "monthly_cap"),
        ({"monthly_cap": "-5"}, "monthly_cap"),
        ({"monthly_cap": "10000000000.00"}, "monthly_cap"),
        ({"merchant_id": "not-a-uuid"}, "merchant_id"),
        ({"merchant_id": None}, "merchant_id"),
    ],
)
def test_invalid_offer_is_422_naming_the_field(admin_client, overrides, field):
    # given
    merchant = MerchantFactory()
    # when
    response = admin_client.post(URL, offer_body(merchant, **overrides), format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"]["violations"][0]["field"] == field
    assert not Offer.objects.exists()


def test_start_date_before_today_is_422(admin_client):
    # when
    response = admin_client.post(
        URL, offer_body(MerchantFactory(), start_date=(today() - dt.timedelta(days=1)).isoformat()), format="json"
    )
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == "start_date"
    assert not Offer.objects.exists()


def test_end_date_before_start_date_is_422(admin_client):
    # when
    response = admin_client.post(
        URL,
        offer_body(
            MerchantFactory(),
            start_date=(today() + dt.timedelta(days=5)).isoformat(),
            end_date=(today() + dt.timedelta(days=4)).isoformat(),
        ),
        format="json",
    )
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == "end_date"


def test_unknown_merchant_is_404(admin_client):
    # when
    response = admin_client.post(URL, offer_body(MerchantFactory.build(id=uuid.uuid4())), format="json")
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert response.json()["error"]["details"]["resource_type"] == "merchant"


def test_inactive_merchant_is_422_merchant_not_active(admin_client):
    # given
    merchant = MerchantFactory(active=False)
    # when
    response = admin_client.post(URL, offer_body(merchant), format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "MERCHANT_NOT_ACTIVE"
    assert not Offer.objects.exists()


def test_the_next_offer_can_be_scheduled_while_the_current_one_runs(admin_client):
    # given: an active offer ending today
    existing = OfferFactory(end_date=today())
    # when: the next one starts tomorrow
    response = admin_client.post(
        URL,
        offer_body(
            existing.merchant,
            start_date=(today() + dt.timedelta(days=1)).isoformat(),
            end_date=(today() + dt.timedelta(days=30)).isoformat(),
        ),
        format="json",
    )
    # then
    assert response.status_code == 201
    assert Offer.objects.filter(merchant=existing.merchant, status=OfferStatus.ACTIVE).count() == 2


def test_an_active_offer_overlapping_another_is_409_naming_it(admin_client):
    # given
    existing = OfferFactory(end_date=today() + dt.timedelta(days=10))
    # when: it would start on the current one's last day
    response = admin_client.post(
        URL,
        offer_body(
            existing.merchant,
            start_date=(today() + dt.timedelta(days=10)).isoformat(),
            end_date=(today() + dt.timedelta(days=40)).isoformat(),
        ),
        format="json",
    )
    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "ACTIVE_OFFER_ALREADY_EXISTS"
    assert error["details"]["conflicting_offer_id"] == str(existing.pk)
    assert Offer.objects.count() == 1
    assert not AuditLog.objects.exists()


def test_the_database_refuses_overlapping_active_offers_whatever_the_code():
    from django.db import IntegrityError, transaction

    # given
    existing = OfferFactory(end_date=today() + dt.timedelta(days=10))
    # when / then: written past the services, the trigger still refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        OfferFactory(merchant=existing.merchant, start_date=today() + dt.timedelta(days=5))
    OfferFactory(merchant=existing.merchant, start_date=today() + dt.timedelta(days=11),
                 end_date=today() + dt.timedelta(days=20))  # fmt: skip
    OfferFactory(merchant=existing.merchant, status=OfferStatus.INACTIVE)


def test_new_offer_allowed_when_the_other_offer_is_inactive(admin_client):
    # given
    existing = OfferFactory(status=OfferStatus.INACTIVE)
    # when
    response = admin_client.post(URL, offer_body(existing.merchant), format="json")
    # then
    assert response.status_code == 201


def test_users_cannot_create_offers(user_client):
    # when
    response = user_client.post(URL, offer_body(MerchantFactory()), format="json")
    # then
    assert response.status_code == 403
    assert not Offer.objects.exists()


# --- GET /offers ------------------------------------------------------------


def test_admin_lists_every_offer_newest_first(admin_client):
    # given
    first = OfferFactory(status=OfferStatus.INACTIVE)
    second = OfferFactory(merchant=MerchantFactory(active=False))
    third = OfferFactory()
    # when
    response = admin_client.get(URL)
    # then
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["data"]] == [str(third.pk), str(second.pk), str(first.pk)]
    assert response.json()["pagination"] == {"offset": 0, "limit": 20, "total": 3}


def test_users_list_only_active_offers_of_active_merchants(user_client):
    # given
    OfferFactory(status=OfferStatus.INACTIVE)
    OfferFactory(merchant=MerchantFactory(active=False))
    visible = OfferFactory()
    # when
    response = user_client.get(URL)
    # then
    assert [item["id"] for item in response.json()["data"]] == [str(visible.pk)]


def test_list_filters_by_status_and_merchant(admin_client):
    # given
    merchant = MerchantFactory()
    inactive = OfferFactory(merchant=merchant, status=OfferStatus.INACTIVE)
    OfferFactory(merchant=merchant)
    OfferFactory(status=OfferStatus.INACTIVE)
    # when
    response = admin_client.get(URL, {"status": "inactive", "merchant_id": str(merchant.pk)})
    # then
    assert [item["id"] for item in response.json()["data"]] == [str(inactive.pk)]


def test_date_filters_keep_offers_overlapping_the_window(admin_client):
    # given
    base = today() + dt.timedelta(days=10)
    ends_before = OfferFactory(start_date=base, end_date=base + dt.timedelta(days=1), status=OfferStatus.INACTIVE)
    ends_on_from = OfferFactory(start_date=base, end_date=base + dt.timedelta(days=2), status=OfferStatus.INACTIVE)
    starts_on_to = OfferFactory(
        start_date=base + dt.timedelta(days=5), end_date=base + dt.timedelta(days=9), status=OfferStatus.INACTIVE
    )
    starts_after = OfferFactory(
        start_date=base + dt.timedelta(days=6), end_date=base + dt.timedelta(days=9), status=OfferStatus.INACTIVE
    )
    # when
    response = admin_client.get(
        URL,
        {"date_from": (base + dt.timedelta(days=2)).isoformat(), "date_to": (base + dt.timedelta(days=5)).isoformat()},
    )
    # then
    ids = {item["id"] for item in response.json()["data"]}
    assert ids == {str(ends_on_from.pk), str(starts_on_to.pk)}
    assert str(ends_before.pk) not in ids and str(starts_after.pk) not in ids


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "paused"}, "status"),
        ({"merchant_id": "abc"}, "merchant_id"),
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_to": "tomorrow"}, "date_to"),
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "date_from"),
        ({"limit": "1000"}, "limit"),
    ],
)
def test_bad_list_filters_are_422(user_client, params, field):
    # when
    response = user_client.get(URL, params)
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == field


def test_list_runs_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries):
    # given
    OfferFactory.create_batch(12)
    # when / then
    with django_assert_max_num_queries(4):
        response = admin_client.get(URL)
    assert len(response.json()["data"]) == 12


def test_list_requires_a_token(api_client):
    # when
    response = api_client.get(URL)
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


# --- GET /offers/active -----------------------------------------------------


def test_active_list_keeps_active_offers_of_active_merchants_valid_today(user_client):
    # given
    valid = OfferFactory()
    starts_today = OfferFactory(start_date=today(), end_date=today())
    OfferFactory(status=OfferStatus.INACTIVE)
    OfferFactory(merchant=MerchantFactory(active=False))
    OfferFactory(start_date=today() + dt.timedelta(days=1), end_date=today() + dt.timedelta(days=9))
    OfferFactory(start_date=today() - dt.timedelta(days=9), end_date=today() - dt.timedelta(days=1))
    # when
    response = user_client.get(f"{URL}/active")
    # then
    assert response.status_code == 200
    assert {item["id"] for item in response.json()["data"]} == {str(valid.pk), str(starts_today.pk)}
    assert response.json()["pagination"]["total"] == 2


def test_deactivating_the_merchant_removes_its_offer_from_the_active_list(admin_client, user_client):
    # given
    offer = OfferFactory()
    # when
    admin_client.patch(f"/api/v1/merchants/{offer.merchant_id}/status", {"status": "inactive"}, format="json")
    # then
    assert user_client.get(f"{URL}/active").json()["data"] == []
    assert Offer.objects.filter(pk=offer.pk).exists()


def test_active_list_runs_a_bounded_number_of_queries(user_client, django_assert_max_num_queries):
    # given
    OfferFactory.create_batch(10)
    # when / then
    with django_assert_max_num_queries(4):
        response = user_client.get(f"{URL}/active/")
    assert len(response.json()["data"]) == 10


# --- GET /offers/{id} -------------------------------------------------------


def test_user_reads_an_active_offer(user_client):
    # given
    offer = OfferFactory(cashback_value=Decimal("7.50"))
    # when
    response = user_client.get(f"{URL}/{offer.pk}")
    # then
    assert response.status_code == 200
    assert response.json()["cashback_value"] == "7.50"


def test_user_gets_403_for_an_inactive_offer(user_client):
    # given
    offer = OfferFactory(status=OfferStatus.INACTIVE)
    # when
    response = user_client.get(f"{URL}/{offer.pk}")
    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


def test_user_gets_403_for_an_offer_of_an_inactive_merchant(user_client):
    # given
    offer = OfferFactory(merchant=MerchantFactory(active=False))
    # when
    response = user_client.get(f"{URL}/{offer.pk}")
    # then
    assert response.status_code == 403


def test_admin_reads_an_inactive_offer(admin_client):
    # given
    offer = OfferFactory(status=OfferStatus.INACTIVE, merchant=MerchantFactory(active=False))
    # when
    response = admin_client.get(f"{URL}/{offer.pk}")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "inactive"


@pytest.mark.parametrize("offer_id", [str(uuid.uuid4()), "nope", "1"])
def test_unknown_or_malformed_offer_id_is_404(user_client, offer_id):
    # when
    response = user_client.get(f"{URL}/{offer_id}")
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


# --- PATCH /offers/{id}/status ----------------------------------------------


def test_admin_deactivates_an_offer(admin_client, admin_user):
    # given
    offer = OfferFactory()
    # when
    response = admin_client.patch(f"{URL}/{offer.pk}/status", {"status": "inactive"}, format="json")
    # then
    assert response.status_code == 200
    assert response.json() == {"id": str(offer.pk), "status": "inactive"}
    offer.refresh_from_db()
    assert offer.status == OfferStatus.INACTIVE
    row = AuditLog.objects.get(resource_id=str(offer.pk))
    assert (row.action, row.actor_id) == ("offer.deactivated", admin_user.pk)


def test_admin_activates_an_offer(admin_client):
    # given
    offer = OfferFactory(status=OfferStatus.INACTIVE)
    # when
    response = admin_client.patch(f"{URL}/{offer.pk}/status/", {"status": "active"}, format="json")
    # then
    assert response.json()["status"] == "active"
    assert AuditLog.objects.filter(action="offer.activated", resource_id=str(offer.pk)).count() == 1


def test_activating_while_another_offer_is_active_is_409(admin_client):
    # given
    active = OfferFactory()
    other = OfferFactory(merchant=active.merchant, status=OfferStatus.INACTIVE)
    # when
    response = admin_client.patch(f"{URL}/{other.pk}/status", {"status": "active"}, format="json")
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ACTIVE_OFFER_ALREADY_EXISTS"
    other.refresh_from_db()
    assert other.status == OfferStatus.INACTIVE
    assert not AuditLog.objects.exists()


def test_setting_the_same_offer_status_is_200_without_audit(admin_client):
    # given
    offer = OfferFactory()
    # when
    response = admin_client.patch(f"{URL}/{offer.pk}/status", {"status": "active"}, format="json")
    # then
    assert response.status_code == 200
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize("body", [{}, {"status": "archived"}])
def test_bad_offer_status_is_422(admin_client, body):
    # given
    offer = OfferFactory()
    # when
    response = admin_client.patch(f"{URL}/{offer.pk}/status", body, format="json")
    # then
    assert response.status_code == 422
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACTIVE


@pytest.mark.parametrize("offer_id", [str(uuid.uuid4()), "nope"])
def test_status_of_unknown_offer_is_404(admin_client, offer_id):
    # when
    response = admin_client.patch(f"{URL}/{offer_id}/status", {"status": "active"}, format="json")
    # then
    assert response.status_code == 404


def test_users_cannot_change_offer_status(user_client):
    # given
    offer = OfferFactory()
    # when
    response = user_client.patch(f"{URL}/{offer.pk}/status", {"status": "inactive"}, format="json")
    # then
    assert response.status_code == 403
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACTIVE
