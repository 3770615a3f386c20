"""A user can never see another user's wallet, purchases or payouts through any page."""

from decimal import Decimal

import pytest

from payouts.models import Payout
from payouts.tests.factories import request_payout
from purchases.tests.factories import purchase
from tests.support.funding import fund_wallet
from tests.support.ibans import IBAN_GB
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST_PAGES = ["/wallet/", "/wallet/transactions/", "/wallet/purchases/", "/wallet/payouts/", "/wallet/withdraw/"]


@pytest.fixture
def victim():
    """Another user with a distinctive footprint on every page."""
    user = UserFactory(email="victim@example.com")
    bought = purchase(user, amount=Decimal("777.00"), status="confirmed", merchant_name="Secret Shop")
    pending = purchase(user, amount=Decimal("313.00"), merchant_name="Hidden Market")
    paid = request_payout(user, amount=Decimal("11.11"), details={"iban": IBAN_GB, "account_holder": "Vic Tim"})
    return {"user": user, "purchases": [bought, pending], "payout": paid}


@pytest.fixture
def viewer():
    user = UserFactory(email="viewer@example.com")
    purchase(user, amount=Decimal("20.00"), merchant_name="Viewer Shop")
    return user


def footprint(victim) -> list[str]:
    return [
        "victim@example.com",
        "Secret Shop",
        "Hidden Market",
        "€777.00",
        "€38.85",  # the victim's confirmed cashback
        "€27.74",  # the victim's available balance (38.85 - 11.11)
        "€15.65",  # the victim's pending cashback
        "€11.11",
        "5432",  # the victim's IBAN tail
        *(str(p.pk) for p in victim["purchases"]),
        *(p.external_id for p in victim["purchases"]),
        str(victim["payout"].pk),
    ]


@pytest.mark.parametrize("url", LIST_PAGES)
def test_no_page_shows_anything_of_another_user(signed_in, victim, viewer, url):
    # given
    client = signed_in(viewer)

    # when
    response = client.get(url)

    # then
    html = response.content.decode()
    assert response.status_code == 200
    leaked = [item for item in footprint(victim) if item in html]
    assert leaked == []


@pytest.mark.parametrize("url", LIST_PAGES[1:4])
@pytest.mark.parametrize("page", ["1", "2", "999"])
def test_no_list_page_number_shows_another_users_rows(signed_in, victim, viewer, url, page):
    # when
    response = signed_in(viewer).get(f"{url}?page={page}")

    # then
    html = response.content.decode()
    assert [item for item in footprint(victim) if item in html] == []


@pytest.mark.parametrize("status", ["pending", "confirmed", "rejected", "reversed"])
def test_purchase_status_filter_never_shows_another_users_rows(signed_in, victim, viewer, status):
    # when
    response = signed_in(viewer).get(f"/wallet/purchases/?status={status}")

    # then
    assert "Secret Shop" not in response.content.decode()
    assert "Hidden Market" not in response.content.decode()


def test_another_users_purchase_page_is_not_found(signed_in, victim, viewer):
    # given
    client = signed_in(viewer)

    # when
    responses = [client.get(f"/wallet/purchases/{p.pk}/") for p in victim["purchases"]]

    # then
    assert [r.status_code for r in responses] == [404, 404]
    assert all("Secret Shop" not in r.content.decode() for r in responses)


def test_another_users_payout_page_is_not_found(signed_in, victim, viewer):
    # when
    response = signed_in(viewer).get(f"/wallet/payouts/{victim['payout'].pk}/")

    # then
    assert response.status_code == 404
    assert "€11.11" not in response.content.decode()


def test_a_withdrawal_always_debits_the_signed_in_users_wallet(signed_in, victim, viewer):
    # given: a crafted form naming the victim changes nothing for the victim
    fund_wallet(viewer, available=Decimal("20.00"))
    client = signed_in(viewer)

    # when
    client.post(
        "/wallet/withdraw/",
        {
            "amount": "10.00",
            "method": "card",
            "card_token": "tok_1111",
            "user": str(victim["user"].pk),
            "user_id": str(victim["user"].pk),
        },
    )

    # then
    assert Payout.objects.filter(user=victim["user"]).count() == 1
    assert Payout.objects.filter(user=viewer).count() == 1


def test_the_owner_does_see_their_own_rows(signed_in, victim):
    # given: the isolation tests above would pass vacuously if the footprint were wrong
    client = signed_in(victim["user"])

    # when
    pages = "".join(client.get(url).content.decode() for url in LIST_PAGES)
    details = [client.get(f"/wallet/purchases/{p.pk}/") for p in victim["purchases"]]
    pages += "".join(r.content.decode() for r in details)

    # then
    assert [item for item in footprint(victim) if item not in pages] == []
    assert [r.status_code for r in details] == [200, 200]
    assert client.get(f"/wallet/payouts/{victim['payout'].pk}/").status_code == 200
