import datetime as dt
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from backoffice import metrics
from backoffice.views import duration
from clicknback.audit.services import SYSTEM
from payouts.models import Payout
from payouts.tests.factories import process_payout, request_payout
from purchases.models import CashbackTransaction, Purchase
from purchases.tests.factories import purchase
from tests.support.funding import fund_wallet
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = f"/{settings.ADMIN_URL}dashboard/"


def card(html: str, name: str) -> str:
    match = re.search(rf'id="card-{name}"><h3>[^<]*</h3><div class="cnb-value">([^<]*)</div>', html)
    assert match, f"no {name} card"
    return match.group(1)


def test_dashboard_counts_todays_ingested_confirmed_and_rejected_purchases(staff_client):
    # given
    user = UserFactory()
    for status in ("pending", "pending", "confirmed", "rejected"):
        purchase(user, amount=Decimal("20.00"), status=status)

    # when
    html = staff_client.get(DASHBOARD).content.decode()

    # then
    assert card(html, "ingested") == "4"
    assert card(html, "confirmed") == "1"
    assert card(html, "rejected") == "1"
    assert card(html, "backlog") == "2"


def test_todays_counts_leave_out_yesterdays_events():
    # given
    user = UserFactory()
    purchase(user, amount=Decimal("20.00"), status="confirmed")

    # when
    tomorrow = metrics.today_purchases(today=metrics.utc_today() + dt.timedelta(days=1))

    # then
    assert (tomorrow.ingested, tomorrow.confirmed, tomorrow.rejected) == (0, 0, 0)


def test_backlog_reports_the_oldest_pending_purchase_age(staff_client):
    # given
    user = UserFactory()
    old = purchase(user, amount=Decimal("20.00"))
    purchase(user, amount=Decimal("20.00"))
    Purchase.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=5, minutes=7))

    # when
    html = staff_client.get(DASHBOARD).content.decode()

    # then
    assert re.search(r'<span class="cnb-warn" id="backlog-age">5 h (7|8) min<', html)


def test_a_fresh_backlog_is_not_flagged_as_a_warning(staff_client):
    # given
    purchase(UserFactory(), amount=Decimal("20.00"))

    # when
    html = staff_client.get(DASHBOARD).content.decode()

    # then
    assert '<span id="backlog-age">0 min<' in html


def test_payouts_waiting_counts_requested_and_processing_with_amounts(staff_client):
    # given
    user = UserFactory()
    fund_wallet(user, available=Decimal("50.00"))
    request_payout(user, amount=Decimal("10.00"))
    request_payout(user, amount=Decimal("12.50"))
    process_payout(request_payout(user, amount=Decimal("11.00")), status="processing")
    process_payout(request_payout(user, amount=Decimal("10.00")), status="completed")

    # when
    html = staff_client.get(DASHBOARD).content.decode()

    # then
    assert card(html, "requested") == "2"
    assert card(html, "processing") == "1"
    assert "€22.50" in html
    assert "€11.00" in html
    assert "?status__exact=requested" in html


def test_daily_series_sums_credited_cashback_and_completed_payouts_per_day():
    # given
    user = UserFactory()
    fund_wallet(user, available=Decimal("30.00"))
    purchase(user, amount=Decimal("10.50"))  # 0.52 pending
    purchase(user, amount=Decimal("100.00"), status="reversed")  # left out
    done = process_payout(request_payout(user, amount=Decimal("10.00")), status="completed")
    request_payout(user, amount=Decimal("11.00"))  # requested: not paid yet
    old = CashbackTransaction.objects.order_by("created_at").first()
    CashbackTransaction.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    Payout.objects.filter(pk=done.pk).update(processed_at=timezone.now() - dt.timedelta(days=1))
    today = metrics.utc_today()

    # when
    series = metrics.daily_cashback_and_payouts(today=today)

    # then
    assert len(series.days) == 30
    assert series.days[-1] == today
    assert series.credited[-4] == Decimal("30.00")
    assert series.credited[-1] == Decimal("0.52")
    assert series.paid_out[-2] == Decimal("10.00")
    assert sum(series.paid_out) == Decimal("10.00")
    assert sum(series.credited) == Decimal("30.52")


def test_dashboard_renders_the_chart_as_inline_svg_with_data(staff_client):
    # given
    user = UserFactory()
    fund_wallet(user, available=Decimal("30.00"))
    process_payout(request_payout(user, amount=Decimal("10.00")), status="completed")

    # when
    html = staff_client.get(DASHBOARD).content.decode()

    # then
    today = metrics.utc_today().isoformat()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="cnb-chart" id="cashback-chart"' in html
    assert 'role="img"' in html
    assert f'data-date="{today}" data-value="30.00"' in html
    assert f'data-date="{today}" data-value="10.00"' in html
    assert "<script" not in html.split('id="cashback-chart"')[1].split("</svg>")[0]


def test_dashboard_runs_a_fixed_number_of_queries(staff_client, django_assert_max_num_queries):
    # given
    for _ in range(5):
        user = UserFactory()
        fund_wallet(user, available=Decimal("20.00"))
        purchase(user, amount=Decimal("20.00"))
        request_payout(user, amount=Decimal("10.00"))
    purchase(UserFactory(), amount=Decimal("20.00"), status="rejected")

    # when / then: session, user, and five aggregates
    # 7 for the purchases, payouts and chart; 3 for events waiting and webhook health.
    with django_assert_max_num_queries(10):
        assert staff_client.get(DASHBOARD).status_code == 200


def test_empty_dashboard_says_there_is_no_data(staff_client):
    # when
    html = staff_client.get(DASHBOARD).content.decode()

    # then
    assert "No cashback credited or paid out in this period" in html
    assert card(html, "backlog") == "0"
    assert 'id="backlog-age">—<' in html


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (None, "—"),
        (dt.timedelta(seconds=30), "0 min"),
        (dt.timedelta(minutes=59), "59 min"),
        (dt.timedelta(hours=2, minutes=5), "2 h 5 min"),
        (dt.timedelta(days=1, hours=2, minutes=5), "1 d 2 h"),
        (dt.timedelta(seconds=-5), "0 min"),
    ],
)
def test_duration_is_short_and_readable(delta, text):
    assert duration(delta) == text


def test_dashboard_uses_the_system_actor_events_too(staff_client):
    # given: the confirmation job confirms as the system
    from purchases.services import purchase_confirm

    bought = purchase(UserFactory(), amount=Decimal("20.00"))
    purchase_confirm(purchase_id=bought.pk, actor=SYSTEM)

    # when
    html = staff_client.get(DASHBOARD).content.decode()

    # then
    assert card(html, "confirmed") == "1"
