import pytest
from django.db import IntegrityError

from clicknback.audit.models import AuditLog
from clicknback.audit.services import Actor
from merchants.tests.factories import MerchantFactory
from offers.models import Offer, OfferStatus
from offers.services import offer_set_status
from offers.tests.factories import OfferFactory
from tests.support.race import outcome, run_together
from users.tests.factories import AdminFactory


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_activations_of_two_offers_of_one_merchant_let_exactly_one_win():
    # given
    from rest_framework.test import APIClient

    from conftest import bearer_for

    admin = AdminFactory()
    merchant = MerchantFactory()
    offers = [OfferFactory(merchant=merchant, status=OfferStatus.INACTIVE) for _ in range(2)]

    def activate(index):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=bearer_for(admin))
        response = client.patch(f"/api/v1/offers/{offers[index].pk}/status", {"status": "active"}, format="json")
        return response.status_code, response.json().get("error", {}).get("code")

    # when
    results = run_together(2, activate)
    # then
    assert sorted(results, key=lambda r: r[0]) == [(200, None), (409, "ACTIVE_OFFER_ALREADY_EXISTS")]
    assert Offer.objects.filter(merchant=merchant, status=OfferStatus.ACTIVE).count() == 1
    assert AuditLog.objects.filter(action="offer.activated").count() == 1


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_activations_through_the_service_leave_one_active_offer():
    # given
    admin = AdminFactory()
    merchant = MerchantFactory()
    offers = [OfferFactory(merchant=merchant, status=OfferStatus.INACTIVE) for _ in range(6)]

    def activate(index):
        return offer_set_status(offer_id=offers[index].pk, status=OfferStatus.ACTIVE, actor=Actor.admin(admin))

    # when
    results = run_together(6, activate)
    # then
    assert sorted(map(outcome, results)) == ["ACTIVE_OFFER_ALREADY_EXISTS"] * 5 + ["ok"]
    assert Offer.objects.filter(merchant=merchant, status=OfferStatus.ACTIVE).count() == 1


@pytest.mark.django_db
def test_database_refuses_a_second_active_offer_even_without_the_service():
    # given
    offer = OfferFactory()
    # when / then
    with pytest.raises(IntegrityError):
        OfferFactory(merchant=offer.merchant)
