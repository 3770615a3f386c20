"""GET /offers/active is served from the catalog cache and never outlives a change."""

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest

from clicknback import catalog_cache
from clicknback.audit.services import SYSTEM
from merchants.services import merchant_set_active
from merchants.tests.factories import MerchantFactory
from offers.models import OfferStatus
from offers.services import offer_create, offer_set_status
from offers.tests.factories import OfferFactory

URL = "/api/v1/offers/active"


@pytest.fixture
def catalog_cache_on(settings):
    """The cache on, starting from a version no earlier test has cached pages for."""
    settings.CATALOG_CACHE_SECONDS = 30
    catalog_cache._replace_version()


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["data"]}


@pytest.mark.django_db
def test_a_repeated_read_is_served_without_touching_the_catalog_tables(
    catalog_cache_on, user_client, django_assert_num_queries
):
    # given
    OfferFactory.create_batch(3)
    first = user_client.get(URL)

    # when: only the caller's own row is read
    with django_assert_num_queries(1):
        second = user_client.get(URL)

    # then
    assert second.json() == first.json()
    assert len(second.json()["data"]) == 3


@pytest.mark.django_db
def test_each_offset_and_limit_is_its_own_page(catalog_cache_on, user_client):
    # given
    OfferFactory.create_batch(3)
    user_client.get(URL, {"limit": 1})

    # when
    everything = user_client.get(URL, {"limit": 10})
    second = user_client.get(URL, {"limit": 1, "offset": 1})

    # then
    assert len(everything.json()["data"]) == 3
    assert second.json()["pagination"] == {"offset": 1, "limit": 1, "total": 3}
    assert second.json()["data"][0] == everything.json()["data"][1]


@pytest.mark.django_db
def test_bad_paging_is_still_refused_before_the_cache(catalog_cache_on, user_client):
    # when
    response = user_client.get(URL, {"limit": 0})

    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.django_db
def test_a_new_day_is_a_new_page(catalog_cache_on, user_client):
    # given: an offer that ends today is cached
    today = dt.datetime.now(dt.UTC).date()
    offer = OfferFactory(start_date=today, end_date=today)
    assert _ids(user_client.get(URL)) == {str(offer.pk)}

    # when: the clock passes midnight
    with mock.patch("offers.services.utc_today", return_value=today + dt.timedelta(days=1)):
        response = user_client.get(URL)

    # then
    assert _ids(response) == set()


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_offer_leaves_the_cached_page_at_once(catalog_cache_on, user_client):
    # given
    offer = OfferFactory()
    assert _ids(user_client.get(URL)) == {str(offer.pk)}

    # when
    offer_set_status(offer_id=offer.pk, status=OfferStatus.INACTIVE, actor=SYSTEM)

    # then
    assert _ids(user_client.get(URL)) == set()


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_merchant_takes_its_offer_off_the_cached_page(catalog_cache_on, user_client, admin_client):
    # given
    offer = OfferFactory()
    assert _ids(user_client.get(URL)) == {str(offer.pk)}

    # when
    response = admin_client.patch(
        f"/api/v1/merchants/{offer.merchant_id}/status", {"status": "inactive"}, format="json"
    )

    # then
    assert response.status_code == 200
    assert _ids(user_client.get(URL)) == set()


@pytest.mark.django_db(transaction=True)
def test_a_new_offer_and_a_reactivated_merchant_appear_at_once(catalog_cache_on, user_client):
    # given
    merchant = MerchantFactory()
    assert _ids(user_client.get(URL)) == set()
    today = dt.datetime.now(dt.UTC).date()

    # when
    offer = offer_create(
        merchant_id=merchant.pk,
        cashback_type="percent",
        cashback_value=Decimal("5.00"),
        start_date=today,
        end_date=today + dt.timedelta(days=5),
        monthly_cap=Decimal("10.00"),
        actor=SYSTEM,
    )

    # then
    assert _ids(user_client.get(URL)) == {str(offer.pk)}

    # when
    merchant_set_active(merchant_id=merchant.pk, active=False, actor=SYSTEM)
    merchant_set_active(merchant_id=merchant.pk, active=True, actor=SYSTEM)

    # then
    assert _ids(user_client.get(URL)) == {str(offer.pk)}


@pytest.mark.django_db(transaction=True)
def test_a_change_that_rolls_back_keeps_the_cached_page(catalog_cache_on, user_client):
    # given
    offer = OfferFactory()
    user_client.get(URL)
    version = catalog_cache.cache.get(catalog_cache.VERSION_KEY)

    # when: the change's transaction fails after the service ran
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        offer_set_status(offer_id=offer.pk, status=OfferStatus.INACTIVE, actor=SYSTEM)
        raise RuntimeError("rolled back")

    # then
    assert catalog_cache.cache.get(catalog_cache.VERSION_KEY) == version
    assert _ids(user_client.get(URL)) == {str(offer.pk)}


def test_a_page_built_while_the_catalog_changed_is_never_served(settings):
    # given: the catalog changes (and commits) while a page is being built
    settings.CATALOG_CACHE_SECONDS = 30
    catalog_cache._replace_version()
    builds = []

    def build_racing_a_change():
        builds.append(1)
        catalog_cache._replace_version()
        return "built from the old catalog"

    catalog_cache.cached_page("race", build_racing_a_change)

    # when
    value = catalog_cache.cached_page("race", lambda: "built from the new catalog")

    # then
    assert value == "built from the new catalog"


def test_without_the_cache_backend_the_page_is_built_from_the_database(settings):
    # given
    settings.CATALOG_CACHE_SECONDS = 30

    # when
    with mock.patch.object(catalog_cache.cache, "get_many", side_effect=ConnectionError("redis down")):
        value = catalog_cache.cached_page("down", lambda: "fresh")

    # then
    assert value == "fresh"


def test_a_zero_lifetime_turns_the_cache_off(settings):
    # given
    settings.CATALOG_CACHE_SECONDS = 0
    catalog_cache.cached_page("off", lambda: "first")

    # when
    value = catalog_cache.cached_page("off", lambda: "second")

    # then
    assert value == "second"
