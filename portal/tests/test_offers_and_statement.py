"""The offers and merchant pages, a purchase's returns, and the statement download."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from clicknback.audit.models import ActorType
from clicknback.audit.services import Actor
from clicknback.money import euro
from merchants.tests.factories import MerchantFactory
from offers.models import CashbackType, OfferStatus
from offers.tests.factories import OfferFactory
from portal.tests.test_pages import text_of
from purchases.reversal import purchase_return
from purchases.services import purchase_reverse
from purchases.tests.factories import purchase
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal
PARTNER = Actor(ActorType.PARTNER, None)


def test_the_offers_page_lists_todays_offers_with_what_is_left_of_this_users_cap(user, signed_in):
    # given: 5 % capped at 50.00, of which this user earned 5.00; another user's cashback does not count
    shop = OfferFactory(merchant=MerchantFactory(name="Shoply"), cashback_value=D("5.00"), monthly_cap=D("50.00"))
    OfferFactory(merchant=MerchantFactory(name="QuickCart"), cashback_type=CashbackType.FIXED,
                 cashback_value=D("3.00"), monthly_cap=D("20.00"))  # fmt: skip
    OfferFactory(merchant=MerchantFactory(name="Gone"), status=OfferStatus.INACTIVE)
    purchase(user, offer=shop, amount=D("100.00"))
    purchase(UserFactory(), offer=shop, amount=D("400.00"))
    # when
    text = text_of(signed_in(user).get("/wallet/offers/"))
    # then
    assert "Shoply 5.00 % cashback" in text
    assert f"{euro(D('45.00'))} of {euro(D('50.00'))}" in text
    assert "QuickCart" in text and "3.00" in text
    assert "Gone" not in text


def test_the_offers_page_searches_merchant_names(user, signed_in):
    # given
    OfferFactory(merchant=MerchantFactory(name="Shoply"))
    OfferFactory(merchant=MerchantFactory(name="QuickCart"))
    # when
    text = text_of(signed_in(user).get("/wallet/offers/", {"q": "shop"}))
    nothing = text_of(signed_in(user).get("/wallet/offers/", {"q": "zzz"}))
    # then
    assert "Shoply" in text and "QuickCart" not in text
    assert "No active offer matches" in nothing


def test_a_merchant_page_shows_its_current_and_scheduled_offers(user, signed_in):
    # given
    today = timezone.now().date()
    merchant = MerchantFactory(name="Shoply")
    OfferFactory(merchant=merchant, start_date=today - dt.timedelta(days=5), end_date=today + dt.timedelta(days=5))
    # when
    response = signed_in(user).get(f"/wallet/merchants/{merchant.pk}/")
    missing = signed_in(user).get(f"/wallet/merchants/{MerchantFactory(active=False).pk}/")
    # then
    assert response.status_code == 200 and "Shoply" in text_of(response)
    assert missing.status_code == 404


def test_a_purchase_page_shows_its_returns_and_the_reason(user, signed_in):
    # given
    bought = purchase(user, amount=D("100.00"), offer=OfferFactory(monthly_cap=D("500.00")))
    purchase_return(purchase_id=bought.pk, return_id="r1", amount=D("20.00"), reason="Wrong size", actor=PARTNER)
    # when
    text = text_of(signed_in(user).get(f"/wallet/purchases/{bought.pk}/"))
    # then
    assert "Returns" in text and "Wrong size" in text
    assert "Returned" in text


def test_the_transactions_page_shows_a_reversal_row_with_its_reason(user, admin_user, signed_in):
    # given
    bought = purchase(user, status="confirmed", admin=admin_user, amount=D("100.00"))
    purchase_reverse(purchase_id=bought.pk, actor=Actor.admin(admin_user), reason="Order cancelled")
    # when
    text = text_of(signed_in(user).get("/wallet/transactions/"))
    # then
    assert "Cashback taken back" in text and "Order cancelled" in text


def test_the_statement_is_a_csv_of_the_range_with_formulas_defused(user, admin_user, signed_in):
    # given
    bought = purchase(user, status="confirmed", admin=admin_user, amount=D("100.00"))
    purchase_reverse(purchase_id=bought.pk, actor=Actor.admin(admin_user), reason="=HYPERLINK(1)")
    today = timezone.now().date()
    # when
    response = signed_in(user).get("/wallet/statement/", {"start": str(today), "end": str(today)})
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["date (UTC)", "type", "amount (EUR)"]
    kinds = sorted((row[1], row[2], row[4]) for row in rows[1:])
    assert kinds == [("Cashback", "5.00", ""), ("Cashback taken back", "-5.00", "'=HYPERLINK(1)")]


def test_the_statement_refuses_a_reversed_range_and_shows_only_the_users_rows(user, other_user, signed_in):
    # given
    purchase(other_user, amount=D("100.00"))
    today = timezone.now().date()
    # when
    reversed_range = signed_in(user).get("/wallet/statement/", {"start": str(today), "end": "2000-01-01"})
    mine = signed_in(user).get("/wallet/statement/", {"start": str(today), "end": str(today)})
    # then
    assert reversed_range.status_code == 422
    assert len(list(csv.reader(io.StringIO(mine.content.decode())))) == 1  # the header only


def test_the_new_pages_need_a_signed_in_user(client):
    for path in ("/wallet/offers/", "/wallet/statement/", "/wallet/password/"):
        assert client.get(path).status_code == 302


def test_the_offers_page_shows_the_per_purchase_maximum(user, signed_in):
    OfferFactory(merchant=MerchantFactory(name="Capped"), max_cashback_per_purchase=D("4.00"))
    text = text_of(signed_in(user).get("/wallet/offers/"))
    assert f"at most {euro(D('4.00'))} a purchase" in text


def test_another_users_payout_cancel_page_and_purchase_returns_are_404(user, other_user, signed_in):
    from payouts.tests.factories import request_payout
    from tests.support.funding import fund_wallet

    # given: the other user's payout and a purchase of theirs with a return
    fund_wallet(other_user, available=D("40.00"))
    theirs = request_payout(other_user, amount=D("20.00"))
    bought = purchase(other_user, amount=D("100.00"))
    purchase_return(purchase_id=bought.pk, return_id="r1", amount=D("10.00"), reason="Secret reason", actor=PARTNER)
    client = signed_in(user)
    # when
    cancel_page = client.get(f"/wallet/payouts/{theirs.pk}/cancel/")
    cancel_post = client.post(f"/wallet/payouts/{theirs.pk}/cancel/")
    purchase_page = client.get(f"/wallet/purchases/{bought.pk}/")
    # then
    assert (cancel_page.status_code, cancel_post.status_code, purchase_page.status_code) == (404, 404, 404)
    theirs.refresh_from_db()
    assert theirs.status == "requested"
    assert "Secret reason" not in text_of(client.get("/wallet/transactions/"))
