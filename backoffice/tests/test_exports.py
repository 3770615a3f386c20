import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice import exports
from payouts.models import Payout
from payouts.tests.factories import process_payout, request_payout
from purchases.models import Purchase
from purchases.tests.factories import purchase
from tests.support.funding import fund_wallet
from tests.support.ibans import VALID_IBAN
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PURCHASES = f"/{settings.ADMIN_URL}dashboard/exports/purchases/"
PAYOUTS = f"/{settings.ADMIN_URL}dashboard/exports/payouts/"


def today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


def read_csv(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_export_page_shows_a_date_range_form(staff_client):
    # when
    response = staff_client.get(PURCHASES)

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="date" name="date_from"' in html
    assert 'type="date" name="date_to"' in html


def test_purchases_export_streams_a_csv_of_the_range(staff_client):
    # given
    user = UserFactory(email="buyer@example.com")
    kept = purchase(user, amount=Decimal("49.50"), merchant_name="Shoply", status="confirmed")
    old = purchase(user, amount=Decimal("20.00"))
    Purchase.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=10))
    day = today()

    # when
    response = staff_client.get(PURCHASES, {"date_from": day - dt.timedelta(days=1), "date_to": day})

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="purchases_{day - dt.timedelta(days=1)}_{day}.csv"'
    )
    rows = read_csv(response)
    assert [row["id"] for row in rows] == [str(kept.pk)]
    row = rows[0]
    assert row["user_email"] == "buyer@example.com"
    assert row["merchant_name"] == "Shoply"
    assert (row["amount"], row["status"], row["cashback_amount"], row["cashback_status"]) == (
        "49.50",
        "confirmed",
        "2.48",
        "available",
    )
    assert row["created_at"].endswith("Z")


def test_date_bounds_are_inclusive_utc_days(staff_client):
    # given
    user = UserFactory()
    edge = purchase(user, amount=Decimal("20.00"))
    start_of_day = dt.datetime.combine(today() - dt.timedelta(days=2), dt.time.min, tzinfo=dt.UTC)
    Purchase.objects.filter(pk=edge.pk).update(created_at=start_of_day)
    before = purchase(user, amount=Decimal("20.00"))
    Purchase.objects.filter(pk=before.pk).update(created_at=start_of_day - dt.timedelta(microseconds=1))
    day = today() - dt.timedelta(days=2)

    # when
    rows = read_csv(staff_client.get(PURCHASES, {"date_from": day, "date_to": day}))

    # then
    assert [row["id"] for row in rows] == [str(edge.pk)]


def test_purchases_export_can_be_limited_to_a_status(staff_client):
    # given
    user = UserFactory()
    purchase(user, amount=Decimal("20.00"))
    rejected = purchase(user, amount=Decimal("20.00"), status="rejected")

    # when
    rows = read_csv(staff_client.get(PURCHASES, {"date_from": today(), "date_to": today(), "status": "rejected"}))

    # then
    assert [row["id"] for row in rows] == [str(rejected.pk)]
    assert rows[0]["status_reason"] == "No matching bank transaction."


def test_payouts_export_has_masked_destinations_only(staff_client):
    # given
    user = UserFactory()
    fund_wallet(user, available=Decimal("30.00"))
    payout = request_payout(user, amount=Decimal("10.00"))

    # when
    response = staff_client.get(PAYOUTS, {"date_from": today(), "date_to": today()})

    # then
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["id"] for row in rows] == [str(payout.pk)]
    assert rows[0]["destination"] == "****3000"
    assert VALID_IBAN not in body
    assert "0532013000" not in body
    assert "Alice Example" not in body


def test_payouts_export_includes_processing_outcomes(staff_client):
    # given
    user = UserFactory()
    fund_wallet(user, available=Decimal("30.00"))
    process_payout(request_payout(user, amount=Decimal("10.00")), status="completed", reference="SEPA-9")

    # when
    rows = read_csv(staff_client.get(PAYOUTS, {"date_from": today(), "date_to": today(), "status": "completed"}))

    # then
    assert rows[0]["status"] == "completed"
    assert rows[0]["external_reference"] == "SEPA-9"
    assert rows[0]["processed_at"].endswith("Z")


def test_rows_are_read_while_streaming_not_before(staff_client):
    # given
    user = UserFactory()
    for _ in range(3):
        purchase(user, amount=Decimal("20.00"))

    # when
    response = staff_client.get(PURCHASES, {"date_from": today(), "date_to": today()})
    with CaptureQueriesContext(connection) as streamed:
        rows = read_csv(response)

    # then: the rows query runs during iteration, through a server-side cursor
    assert len(rows) == 3
    assert any('"purchases_purchase"' in q["sql"] for q in streamed.captured_queries)


def test_the_export_iterates_in_chunks(monkeypatch):
    # given
    seen = {}
    real_iterator = __import__("django.db.models.query", fromlist=["QuerySet"]).QuerySet.iterator

    def spy(self, chunk_size=None):
        seen["chunk_size"] = chunk_size
        return real_iterator(self, chunk_size=chunk_size)

    monkeypatch.setattr("django.db.models.query.QuerySet.iterator", spy)

    # when
    list(exports.purchase_rows(date_from=today(), date_to=today()))

    # then
    assert seen["chunk_size"] == exports.CHUNK_SIZE


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "2026-13-01", "date_to": "2026-12-01"},
        {"date_from": "yesterday", "date_to": "2026-12-01"},
        {"date_from": "2026-12-02", "date_to": "2026-12-01"},
        {"date_from": "2026-12-01"},
        {"date_from": "0001-01-01", "date_to": "9999-12-31"},
        {"date_from": "2026-12-01", "date_to": "2026-12-01", "status": "bogus"},
    ],
)
def test_bad_ranges_re_show_the_form_with_errors(staff_client, query):
    # when
    response = staff_client.get(PURCHASES, query)

    # then
    assert response.status_code == 400
    assert not isinstance(response, StreamingHttpResponse)
    assert 'class="errorlist' in response.content.decode()


def test_spreadsheet_formulas_in_text_are_neutralised(staff_client):
    # given
    user = UserFactory()
    fund_wallet(user, available=Decimal("30.00"))
    payout = request_payout(user, amount=Decimal("10.00"))
    Payout.objects.filter(pk=payout.pk).update(failure_reason='=HYPERLINK("http://x")')

    # when
    rows = read_csv(staff_client.get(PAYOUTS, {"date_from": today(), "date_to": today()}))

    # then
    assert rows[0]["failure_reason"] == '\'=HYPERLINK("http://x")'


def test_an_empty_range_exports_just_the_header(staff_client):
    # when
    response = staff_client.get(PAYOUTS, {"date_from": "2020-01-01", "date_to": "2020-01-31"})

    # then
    body = b"".join(response.streaming_content).decode()
    assert body.strip() == ",".join(name for name, _ in exports.PAYOUT_COLUMNS)
