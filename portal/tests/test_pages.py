import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clicknback.audit.services import SYSTEM
from payouts.tests.factories import process_payout, request_payout
from purchases.services import purchase_reverse
from purchases.tests.factories import purchase
from tests.support.funding import fund_wallet
from tests.support.ibans import VALID_IBAN
from users.tests.factories import UserFactory
from wallets.selectors import wallet_get

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    """The page's visible text with tags removed and whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def balance(response, name: str) -> str:
    pattern = rf'id="balance-{name}">\s*<dt>[^<]*</dt><dd class="balance__amount">([^<]*)</dd>'
    match = re.search(pattern, response.content.decode())
    assert match, f"no {name} balance on the page"
    return match.group(1)


def test_new_user_sees_zero_balances_and_empty_lists(signed_in):
    # given
    client = signed_in(UserFactory())

    # when
    response = client.get("/wallet/")

    # then
    assert response.status_code == 200
    assert balance(response, "available") == "€0.00"
    assert balance(response, "pending") == "€0.00"
    assert balance(response, "paid") == "€0.00"
    assert "No transactions yet" in text_of(response)
    assert "No purchases yet" in text_of(response)


def test_balances_show_pending_available_and_paid_from_the_wallet(signed_in):
    # given
    user = UserFactory()
    purchase(user, amount=Decimal("49.50"))  # 2.48 pending (half-even)
    fund_wallet(user, available=Decimal("40.00"))
    paid = request_payout(user, amount=Decimal("12.00"))
    process_payout(paid, status="completed")
    client = signed_in(user)

    # when
    response = client.get("/wallet/")

    # then
    wallet = wallet_get(user_id=user.pk)
    assert (wallet.pending_balance, wallet.available_balance, wallet.paid_balance) == (
        Decimal("2.48"),
        Decimal("28.00"),
        Decimal("12.00"),
    )
    assert balance(response, "pending") == "€2.48"
    assert balance(response, "available") == "€28.00"
    assert balance(response, "paid") == "€12.00"


def test_owed_balance_is_hidden_while_zero(signed_in):
    # given
    user = UserFactory()
    fund_wallet(user, available=Decimal("5.00"))

    # when
    response = signed_in(user).get("/wallet/")

    # then
    assert 'id="balance-owed"' not in response.content.decode()


def test_owed_balance_is_shown_when_a_reversal_could_not_be_covered(signed_in):
    # given: 20.00 confirmed, 15.00 withdrawn, then the purchase is reversed
    user = UserFactory()
    bought = purchase(user, amount=Decimal("400.00"), status="confirmed")  # 20.00 cashback
    request_payout(user, amount=Decimal("15.00"))
    purchase_reverse(purchase_id=bought.pk, actor=SYSTEM)

    # when
    response = signed_in(user).get("/wallet/")

    # then
    assert wallet_get(user_id=user.pk).owed_balance == Decimal("15.00")
    assert balance(response, "owed") == "€15.00"
    assert balance(response, "available") == "€0.00"


def test_large_amounts_are_grouped_by_thousands(signed_in):
    # given
    user = UserFactory()
    purchase(user, amount=Decimal("1234567.80"), status="pending")

    # when
    response = signed_in(user).get("/wallet/purchases/")

    # then
    assert "€1,234,567.80" in text_of(response)


def test_home_lists_recent_transactions_with_credit_and_debit(signed_in):
    # given
    user = UserFactory()
    fund_wallet(user, available=Decimal("30.00"), merchant_name="Shoply")
    request_payout(user, amount=Decimal("10.00"))

    # when
    page = text_of(signed_in(user).get("/wallet/"))

    # then
    assert "Withdrawal Payout to ****3000 Requested −€10.00" in page
    assert "Cashback Shoply Available €30.00" in page


def test_transactions_page_lists_credits_and_debits_newest_first(signed_in):
    # given
    user = UserFactory()
    fund_wallet(user, available=Decimal("25.00"), merchant_name="First Shop")
    request_payout(user, amount=Decimal("10.00"))
    purchase(user, amount=Decimal("100.00"), merchant_name="Last Shop")

    # when
    page = text_of(signed_in(user).get("/wallet/transactions/"))

    # then
    assert page.index("Last Shop") < page.index("Payout to ****3000") < page.index("First Shop")


def test_transactions_are_paginated_ten_to_a_page(signed_in):
    # given
    user = UserFactory()
    for _ in range(12):
        purchase(user, amount=Decimal("10.00"))
    client = signed_in(user)

    # when
    first = client.get("/wallet/transactions/")
    second = client.get("/wallet/transactions/?page=2")

    # then
    assert len(first.context["rows"]) == 10
    assert len(second.context["rows"]) == 2
    assert "Page 1 of 2 · 12 in total" in text_of(first)
    assert {row["id"] for row in first.context["rows"]}.isdisjoint({row["id"] for row in second.context["rows"]})


@pytest.mark.parametrize("page", ["abc", "-1", "999", "", "1.5"])
def test_a_bad_page_number_shows_a_valid_page(signed_in, page):
    # given
    user = UserFactory()
    purchase(user, amount=Decimal("10.00"))
    client = signed_in(user)

    # when
    responses = [client.get(f"/wallet/{name}/?page={page}") for name in ("transactions", "purchases", "payouts")]

    # then
    assert [r.status_code for r in responses] == [200, 200, 200]


def test_purchases_page_shows_every_status(signed_in):
    # given
    user = UserFactory()
    for status in ("pending", "confirmed", "rejected", "reversed"):
        purchase(user, amount=Decimal("20.00"), status=status, merchant_name=f"Shop {status}")

    # when
    page = text_of(signed_in(user).get("/wallet/purchases/"))

    # then
    assert "Shop pending €20.00 Pending €1.00" in page
    assert "Shop confirmed €20.00 Confirmed €1.00" in page
    assert "Shop rejected €20.00 Rejected Reversed: €1.00" in page
    assert "Shop reversed €20.00 Reversed Reversed: €1.00" in page


def test_reversed_cashback_is_struck_through_and_announced(signed_in):
    # given
    user = UserFactory()
    purchase(user, amount=Decimal("30.00"), status="rejected")

    # when
    html = signed_in(user).get("/wallet/").content.decode()

    # then: in both the transactions and the purchases tables
    struck = '<td class="c-amount num amount--void"><span class="visually-hidden">Reversed: </span>€1.50</td>'
    assert html.count(struck) == 2


def test_purchases_can_be_filtered_by_status(signed_in):
    # given
    user = UserFactory()
    purchase(user, amount=Decimal("20.00"), status="confirmed", merchant_name="Kept")
    purchase(user, amount=Decimal("20.00"), status="rejected", merchant_name="Dropped")

    # when
    response = signed_in(user).get("/wallet/purchases/?status=confirmed")

    # then
    assert [row["merchant"] for row in response.context["rows"]] == ["Kept"]


def test_an_unknown_purchase_status_filter_shows_everything(signed_in):
    # given
    user = UserFactory()
    purchase(user, amount=Decimal("20.00"))

    # when
    response = signed_in(user).get("/wallet/purchases/?status=bogus")

    # then
    assert response.status_code == 200
    assert len(response.context["rows"]) == 1


def test_purchase_detail_shows_the_purchase_and_its_cashback(signed_in):
    # given
    user = UserFactory()
    bought = purchase(user, amount=Decimal("10.50"), merchant_name="Detail Shop")

    # when
    response = signed_in(user).get(f"/wallet/purchases/{bought.pk}/")

    # then
    page = text_of(response)
    assert response.status_code == 200
    assert "Purchase at Detail Shop" in page
    assert "Amount €10.50" in page
    assert "Cashback €0.52 Pending" in page
    assert bought.external_id in page


def test_rejected_purchase_detail_shows_the_reason(signed_in):
    # given
    user = UserFactory()
    bought = purchase(user, amount=Decimal("10.00"), status="rejected")

    # when
    page = text_of(signed_in(user).get(f"/wallet/purchases/{bought.pk}"))

    # then
    assert "Reason No matching bank transaction." in page


def test_payouts_page_shows_the_masked_destination_only(signed_in):
    # given
    user = UserFactory()
    fund_wallet(user, available=Decimal("30.00"))
    request_payout(user, amount=Decimal("10.00"))

    # when
    response = signed_in(user).get("/wallet/payouts/")

    # then
    html = response.content.decode()
    assert "****3000" in html
    assert VALID_IBAN not in html
    assert "0532013000" not in html
    assert "Alice Example" not in html


def test_payout_detail_shows_status_reference_and_failure(signed_in):
    # given
    user = UserFactory()
    fund_wallet(user, available=Decimal("30.00"))
    failed = process_payout(request_payout(user, amount=Decimal("10.00")), status="failed")

    # when
    response = signed_in(user).get(f"/wallet/payouts/{failed.pk}/")

    # then
    page = text_of(response)
    assert "Status Failed" in page
    assert "Bank refused the transfer." in page
    assert VALID_IBAN not in response.content.decode()


def test_a_malformed_id_in_a_wallet_url_is_a_404_page(signed_in):
    # given
    client = signed_in(UserFactory())

    # when
    responses = [client.get("/wallet/purchases/not-a-uuid/"), client.get("/wallet/payouts/12345/")]

    # then
    assert [r.status_code for r in responses] == [404, 404]
    assert "Page not found" in responses[0].content.decode()


def test_wallet_pages_are_never_cached(signed_in):
    # when
    response = signed_in(UserFactory()).get("/wallet/")

    # then
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_every_page_renders_under_a_fixed_number_of_queries(signed_in, django_assert_max_num_queries):
    # given
    user = UserFactory()
    client = signed_in(user)
    urls = ("/wallet/", "/wallet/transactions/", "/wallet/purchases/", "/wallet/payouts/", "/wallet/withdraw/")

    def counts() -> list[int]:
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            result.append(len(captured))
        return result

    purchase(user, amount=Decimal("200.00"), status="confirmed")
    request_payout(user, amount=Decimal("10.00"))
    with_few = counts()

    # when: many more rows of every kind
    for _ in range(4):
        purchase(user, amount=Decimal("200.00"), status="confirmed")
        request_payout(user, amount=Decimal("10.00"))
    with_many = counts()

    # then: session + user + one query per table shown (+ two labels for transactions)
    assert with_many == with_few
    for url in urls:
        with django_assert_max_num_queries(8):
            client.get(url)


def test_pages_use_the_local_stylesheet_only(signed_in):
    # when
    html = signed_in(UserFactory()).get("/wallet/").content.decode()

    # then
    assert '<link rel="stylesheet" href="/static/css/app.css">' in html
    assert "http://" not in html and "https://" not in html
