"""A new person's whole path through the wallet pages, in a real headless Chromium.

Sign up, see the offers, a purchase a partner reports for them arriving (pending), its
confirmation (available), a partial return with its reason, a withdrawal and its
cancellation, then a password reset through the emailed link and a sign-in with the
new password. Every page is screenshotted at desktop and phone widths into
``test-artifacts/screenshots/`` and checked with axe-core: no violation of serious or
critical impact.
"""

import re
import uuid
from decimal import Decimal

import pytest
from django.core import mail

from clicknback.audit.models import ActorType
from clicknback.audit.services import SYSTEM, Actor
from merchants.tests.factories import MerchantFactory
from offers.tests.factories import OfferFactory
from partners.services import partner_create
from purchases.ingestion import PurchaseReport, Reporter, purchases_ingest
from purchases.reversal import purchase_return
from purchases.services import purchase_confirm
from tests.support.ibans import VALID_IBAN_TYPED
from users.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Fresh!Start9"
NEW_PASSWORD = "N3xt!Chapter"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
SERIOUS = {"serious", "critical"}


def _accessible(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


class Journey:
    """Visits pages at both widths, screenshotting and checking each one."""

    def __init__(self, new_page, screenshot_dir):
        self.pages = {name: new_page(*size) for name, size in WIDTHS.items()}
        self.dir = screenshot_dir
        self.problems: list[str] = []

    def each(self):
        return self.pages.items()

    def look(self, name: str, path: str | None = None):
        for width, page in self.each():
            if path is not None:
                page.goto(path)
            page.screenshot(path=self.dir / f"journey-{name}-{width}.png", full_page=True)
            self.problems += [f"{name} at {width}: {problem}" for problem in _accessible(page)]


def test_a_new_person_signs_up_earns_withdraws_cancels_and_resets_the_password(new_page, screenshot_dir):
    journey = Journey(new_page, screenshot_dir)
    desktop, phone = journey.pages["desktop"], journey.pages["phone"]
    email = f"newcomer-{uuid.uuid4().hex[:6]}@example.com"
    offer = OfferFactory(merchant=MerchantFactory(name="Shoply"), cashback_value=Decimal("10.00"),
                         monthly_cap=Decimal("500.00"))  # fmt: skip
    partner = partner_create(name="Journey Network", merchant_ids=[offer.merchant_id], actor=SYSTEM)

    # sign up (desktop), then sign the phone in with the same account
    journey.look("sign-in", "/wallet/login/")
    desktop.get_by_role("link", name="Create an account").click()
    journey.look("sign-up", "/wallet/signup/")
    desktop.get_by_label("Email").fill(email)
    desktop.get_by_label("Password").fill(PASSWORD)
    desktop.get_by_role("button", name="Create account").click()
    desktop.wait_for_url(re.compile(r"/wallet/$"))
    phone.goto("/wallet/login/")
    phone.get_by_label("Email").fill(email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url(re.compile(r"/wallet/$"))
    journey.look("overview-empty", "/wallet/")
    user = User.objects.get(email=email)

    # the offers
    journey.look("offers", "/wallet/offers/")
    assert "Shoply" in desktop.content()

    # a partner reports a purchase: pending
    reporter = Reporter(actor=Actor(ActorType.PARTNER, partner.pk), partner_id=partner.pk,
                        merchant_ids=frozenset({offer.merchant_id}))  # fmt: skip
    report = PurchaseReport(external_id=f"journey-{uuid.uuid4()}", user_id=user.pk, merchant_id=offer.merchant_id,
                            amount=Decimal("300.00"), currency="EUR")  # fmt: skip
    (result,) = purchases_ingest(reports=[report], reporter=reporter)
    bought = result.purchase
    journey.look("transactions-pending", "/wallet/transactions/")
    assert "Pending" in desktop.locator("main").inner_text()

    # confirmed: available
    purchase_confirm(purchase_id=bought.pk, actor=reporter.actor)
    journey.look("overview-available", "/wallet/")
    assert desktop.locator("#balance-available dd.balance__amount").inner_text().strip() == "€30.00"

    # a partial return with its reason
    purchase_return(purchase_id=bought.pk, return_id="r1", amount=Decimal("50.00"), reason="One shirt returned",
                    actor=reporter.actor)  # fmt: skip
    journey.look("transactions-return", "/wallet/transactions/")
    assert "One shirt returned" in desktop.locator("main").inner_text()
    journey.look("purchase-with-return", f"/wallet/purchases/{bought.pk}/")

    # a withdrawal (the form shows the terms; only the chosen method's details)
    journey.look("withdraw", "/wallet/withdraw/")
    assert desktop.locator("fieldset[data-method=card]").is_hidden()
    desktop.get_by_label("Amount (€)").fill("12.00")
    desktop.get_by_label("IBAN").fill(VALID_IBAN_TYPED)
    desktop.get_by_label("Account holder").fill("New Comer")
    desktop.get_by_role("button", name="Request withdrawal").click()
    desktop.wait_for_url(re.compile(r"/wallet/payouts/$"))
    journey.look("payouts", "/wallet/payouts/")

    # and its cancellation, after a confirmation step
    desktop.locator("#payouts a").first.click()
    desktop.get_by_role("link", name="Cancel this withdrawal").click()
    journey.look("cancel-confirm")
    desktop.get_by_role("button", name="Yes, cancel it").click()
    assert "Cancelled" in desktop.locator("main").inner_text()
    journey.look("payout-cancelled")

    # a password reset through the emailed link
    desktop.get_by_role("button", name="Sign out").click()
    desktop.goto("/wallet/password/forgot/")
    journey.look("forgot")
    desktop.get_by_label("Email").fill(email)
    desktop.get_by_role("button", name="Send the link").click()
    assert "we have emailed it a link" in desktop.locator("main").inner_text()
    (message,) = [m for m in mail.outbox if m.to == [email]]
    link = re.search(r"http://\S+/wallet/password/reset/\S+", message.body).group(0)
    desktop.goto(link)
    journey.look("reset")
    desktop.get_by_role("textbox", name="New password").fill(NEW_PASSWORD)
    desktop.get_by_role("button", name="Save the new password").click()
    desktop.wait_for_url(re.compile(r"/wallet/login/$"))

    # sign in with the new password
    desktop.get_by_label("Email").fill(email)
    desktop.get_by_label("Password").fill(NEW_PASSWORD)
    desktop.get_by_role("button", name="Sign in").click()
    desktop.wait_for_url(re.compile(r"/wallet/$"))
    # 30.00 confirmed − 5.00 the return took back
    assert desktop.locator("#balance-available dd.balance__amount").inner_text().strip() == "€25.00"

    assert not journey.problems, "\n".join(journey.problems)


def test_a_long_email_keeps_sign_out_on_the_header_row(new_page):
    from users.tests.factories import PASSWORD as FACTORY_PASSWORD
    from users.tests.factories import UserFactory

    # given: an address far longer than the header has room for
    long_email = "a-very-long-name-for-an-inbox-that-keeps-going@an-equally-long-company-domain.example.com"
    UserFactory(email=long_email)
    page = new_page(1280, 900)
    page.goto("/wallet/login/")
    page.get_by_label("Email").fill(long_email)
    page.get_by_label("Password").fill(FACTORY_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/wallet/$"))
    # when
    nav = page.locator(".site-nav").bounding_box()
    who = page.locator(".sign-out__who").bounding_box()
    button = page.get_by_role("button", name="Sign out").bounding_box()
    # then: the navigation, the address (cut with an ellipsis) and Sign out share one row
    for box in (who, button):
        assert abs((box["y"] + box["height"] / 2) - (nav["y"] + nav["height"] / 2)) < 12, (nav, box)
    assert long_email in page.locator(".sign-out__who").get_attribute("title")
