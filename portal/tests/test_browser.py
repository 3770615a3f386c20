"""End-to-end in a real headless Chromium: the wallet pages and the operators' back office.

Run only these with ``pytest -m browser``. Screenshots land in
``test-artifacts/screenshots/`` (git-ignored) for a reviewer to look at.
"""

import re
from decimal import Decimal

import pytest
from django.conf import settings

from payouts.models import Payout, PayoutStatus
from payouts.tests.factories import process_payout, request_payout
from purchases.tests.factories import purchase
from tests.support.funding import fund_wallet
from tests.support.ibans import IBAN_BAD_CHECKSUM, VALID_IBAN_TYPED
from users.tests.factories import PASSWORD, AdminFactory, UserFactory
from wallets.models import LedgerEntry
from wallets.selectors import wallet_get

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = "/" + settings.ADMIN_URL


@pytest.fixture
def alice():
    """A user with €40.00 available and €2.48 pending, built through the real services."""
    user = UserFactory(email="alice@example.com")
    fund_wallet(user, available=Decimal("40.00"), merchant_name="Shoply")
    purchase(user, amount=Decimal("49.50"), merchant_name="QuickCart")
    purchase(user, amount=Decimal("30.00"), status="rejected", merchant_name="BankSimFail")
    return user


@pytest.fixture
def operator():
    return AdminFactory(email="carol@example.com")


def sign_in_to_wallet(page, email: str, screenshot=None):
    page.goto("/wallet/")
    assert "/wallet/login/" in page.url
    if screenshot:
        page.screenshot(path=screenshot, full_page=True)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/wallet/$"))


def sign_in_to_admin(page, email: str):
    page.goto(ADMIN)
    page.wait_for_url(re.compile(r"/login/"))
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(ADMIN) + r"$"))


def balance(page, name: str) -> str:
    return page.locator(f"#balance-{name} dd.balance__amount").inner_text().strip()


def request_withdrawal(page, *, amount: str, iban: str, holder: str = "Alice Example"):
    page.goto("/wallet/withdraw/")
    page.get_by_label("Amount (€)").fill(amount)
    page.get_by_label("Bank transfer").check()
    page.get_by_label("IBAN").fill(iban)
    page.get_by_label("Account holder").fill(holder)
    page.get_by_role("button", name="Request withdrawal").click()


def test_user_signs_in_sees_balances_withdraws_and_sees_the_history(new_page, alice, screenshot_dir):
    # given
    page = new_page()
    sign_in_to_wallet(page, "alice@example.com", screenshot=screenshot_dir / "wallet-login.png")

    # when: the balances at a glance
    available, pending, paid = balance(page, "available"), balance(page, "pending"), balance(page, "paid")
    page.screenshot(path=screenshot_dir / "wallet.png", full_page=True)

    # then
    assert (available, pending, paid) == ("€40.00", "€2.48", "€0.00")
    assert page.locator("#balance-owed").count() == 0
    assert page.locator("#purchases tbody tr").count() == 3

    # when: a withdrawal
    request_withdrawal(page, amount="25.00", iban=VALID_IBAN_TYPED)

    # then: the payout history shows it, masked, and the available balance dropped
    page.wait_for_url(re.compile(r"/wallet/payouts/$"))
    assert page.get_by_role("status").inner_text().strip() == "Withdrawal of €25.00 to ****3000 requested."
    first = page.locator("#payouts tbody tr").first
    assert re.sub(r"\s+", " ", first.inner_text()).endswith("Bank transfer ****3000 Requested €25.00")
    page.screenshot(path=screenshot_dir / "wallet-payouts.png", full_page=True)
    page.goto("/wallet/")
    assert balance(page, "available") == "€15.00"
    assert "Payout to ****3000" in page.locator("#transactions").inner_text()
    assert wallet_get(user_id=alice.pk).available_balance == Decimal("15.00")


def test_bad_iban_shows_an_inline_error_and_changes_nothing(new_page, alice, screenshot_dir):
    # given
    page = new_page()
    sign_in_to_wallet(page, "alice@example.com")
    entries_before = LedgerEntry.objects.count()

    # when
    request_withdrawal(page, amount="25.00", iban=IBAN_BAD_CHECKSUM)

    # then: the error sits next to the IBAN field, which is marked invalid
    assert page.url.endswith("/wallet/withdraw/")
    error = page.locator("#id_iban_error")
    assert error.is_visible()
    assert "IBAN" in error.inner_text() or "checksum" in error.inner_text().lower()
    iban = page.get_by_label("IBAN")
    assert iban.get_attribute("aria-invalid") == "true"
    assert iban.get_attribute("aria-describedby") == "id_iban_error"
    assert page.get_by_role("alert").is_visible()
    page.screenshot(path=screenshot_dir / "wallet-withdraw-error.png", full_page=True)

    # and nothing changed
    assert Payout.objects.count() == 0
    assert LedgerEntry.objects.count() == entries_before
    page.goto("/wallet/")
    assert balance(page, "available") == "€40.00"


def test_operator_completes_the_payout_and_the_user_sees_it_paid(new_page, alice, operator, screenshot_dir):
    # given: alice asked for €25.00
    payout = request_payout(alice, amount=Decimal("25.00"))
    admin_page = new_page()
    sign_in_to_admin(admin_page, "carol@example.com")

    # when: the operator completes it with the payout admin action
    admin_page.goto(f"{ADMIN}payouts/payout/?status__exact=requested")
    admin_page.locator(f"input[name=_selected_action][value='{payout.pk}']").check()
    admin_page.locator("select[name=action]").select_option("mark_completed")
    admin_page.locator("button[name=index]").click()
    admin_page.get_by_label("External reference").fill("SEPA-2026-0001")
    admin_page.locator("input[type=submit].default").click()

    # then
    assert "1 payout(s) marked completed." in admin_page.locator(".messagelist").inner_text()
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.COMPLETED

    # and the user's pages show it paid
    page = new_page()
    sign_in_to_wallet(page, "alice@example.com")
    assert balance(page, "paid") == "€25.00"
    assert balance(page, "available") == "€15.00"
    page.goto("/wallet/payouts/")
    assert "Completed" in page.locator("#payouts tbody tr").first.inner_text()
    page.locator("#payouts tbody tr a").first.click()
    assert "SEPA-2026-0001" in page.locator(".facts").inner_text()


def test_dashboard_renders_its_chart(new_page, alice, operator, screenshot_dir):
    # given: cashback credited today and a completed payout
    process_payout(request_payout(alice, amount=Decimal("10.00")), status="completed")
    request_payout(alice, amount=Decimal("12.00"))
    page = new_page(width=1366, height=1000)
    sign_in_to_admin(page, "carol@example.com")

    # when
    page.get_by_role("link", name="Dashboard").first.click()
    page.wait_for_url(re.compile(r"/dashboard/$"))

    # then
    chart = page.locator("svg#cashback-chart")
    assert chart.is_visible()
    assert chart.get_attribute("role") == "img"
    assert page.locator("svg#cashback-chart rect[data-value]").count() == 2
    assert chart.bounding_box()["height"] > 150
    assert page.locator("#card-ingested .cnb-value").inner_text() == "3"
    assert page.locator("#card-requested .cnb-value").inner_text() == "1"
    page.screenshot(path=screenshot_dir / "admin-dashboard.png", full_page=True)


def test_wallet_is_usable_on_a_phone(new_page, alice, screenshot_dir):
    # given
    page = new_page(width=390, height=844)

    # when
    sign_in_to_wallet(page, "alice@example.com")

    # then: nothing is wider than the screen except inside the scrollable tables
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert balance(page, "available") == "€40.00"
    page.screenshot(path=screenshot_dir / "wallet-phone.png", full_page=True)


def test_keyboard_users_see_where_the_focus_is(new_page, alice):
    # given
    page = new_page()
    sign_in_to_wallet(page, "alice@example.com")

    # when: the first tab reaches the skip link
    page.keyboard.press("Tab")

    # then
    focused = page.evaluate(
        "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return [e.textContent.trim(), s.outlineStyle, s.outlineWidth]; })()"
    )
    assert focused[0] == "Skip to content"
    assert focused[1] == "solid" and focused[2] == "3px"
