"""The operators' dashboard and CSV exports, inside the Django admin (staff only).

``urls.py`` wraps every view in ``admin.site.admin_view``: anonymous or non-staff
visitors are redirected to the admin login, and responses are never cached.
"""

import datetime as dt
import logging

from django.contrib import admin
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from backoffice import charts, exports, forms, metrics
from clicknback.money import ZERO, euro
from events.relay import events_waiting_count
from events.selectors import webhook_health
from purchases.selectors import confirmation_backlog

logger = logging.getLogger("backoffice")

CREDITED_COLOUR = "#1a7f37"
PAID_COLOUR = "#0b57d0"
# The confirmation job runs every minute with a few attempts: a purchase pending for
# longer than this means the job is stuck or paused, and the age is shown as a warning.
STALE_AFTER = dt.timedelta(hours=1)


def _admin_url(name: str, query: str = "") -> str | None:
    try:
        return reverse(f"admin:{name}") + query
    except NoReverseMatch:
        return None


def duration(delta: dt.timedelta | None) -> str:
    """``timedelta(hours=26, minutes=5)`` → ``"1 d 2 h"``; short and exact enough to act on."""
    if delta is None:
        return "—"
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@require_http_methods(["GET", "HEAD"])
def dashboard(request):
    now = timezone.now()
    today = metrics.utc_today()
    groups = confirmation_backlog()
    backlog = metrics.pending_backlog(groups)
    waiting = metrics.payouts_waiting()
    daily = metrics.daily_cashback_and_payouts(today=today)
    chart = charts.bar_chart(
        chart_id="cashback-chart",
        title="Cashback credited and paid out per day, last 30 days (UTC)",
        width=960,
        days=daily.days,
        series=[
            charts.Series("credited", "Cashback credited", CREDITED_COLOUR, daily.credited),
            charts.Series("paid", "Paid out", PAID_COLOUR, daily.paid_out),
        ],
    )
    context = {
        **admin.site.each_context(request),
        "title": "Operations dashboard",
        "today": today,
        "now": now,
        "purchases_today": metrics.today_purchases(today=today),
        "backlog": backlog,
        "backlog_age": duration(backlog.oldest_age(now)),
        "backlog_stale": (backlog.oldest_age(now) or dt.timedelta(0)) > STALE_AFTER,
        "backlog_groups": [
            {"state": group.state, "label": group.label, "count": group.count, "age": duration(group.oldest_age(now))}
            for group in groups
        ],
        "waiting": waiting,
        "waiting_requested_amount": euro(waiting.requested_amount),
        "waiting_processing_amount": euro(waiting.processing_amount),
        "waiting_age": duration(now - waiting.oldest_requested_at if waiting.oldest_requested_at else None),
        "events_waiting": events_waiting_count(),
        "webhooks": webhook_health(),
        "chart": chart,
        "chart_rows": [
            {"day": day, "credited": euro(credited), "paid": euro(paid)}
            for day, credited, paid in reversed(list(zip(daily.days, daily.credited, daily.paid_out, strict=True)))
        ],
        "chart_totals": {"credited": euro(sum(daily.credited, ZERO)), "paid": euro(sum(daily.paid_out, ZERO))},
        "links": {
            "pending_purchases": _admin_url("purchases_purchase_changelist", "?status__exact=pending"),
            "review_queue": _admin_url("purchases_purchaseinreview_changelist", ""),
            "requested_payouts": _admin_url("payouts_payout_changelist", "?status__exact=requested"),
            "processing_payouts": _admin_url("payouts_payout_changelist", "?status__exact=processing"),
            "failed_deliveries": _admin_url("events_webhookdelivery_changelist", "?status__exact=failed"),
            "deactivated_endpoints": _admin_url("events_webhookendpoint_changelist", "?active__exact=0"),
            "waiting_events": _admin_url("outbox_event_changelist", "?relayed_at__isempty=1"),
        },
    }
    return TemplateResponse(request, "admin/backoffice/dashboard.html", context)


def _export(request, *, kind: str, form, columns, rows_for):
    status = 200
    if request.GET:
        if form.is_valid():
            data = form.cleaned_data
            date_from, date_to, wanted = data["date_from"], data["date_to"], data.get("status") or ""
            logger.info(
                "CSV export",
                extra={
                    "export": kind,
                    "date_from": str(date_from),
                    "date_to": str(date_to),
                    "by": str(request.user.pk),
                },
            )
            rows = rows_for(date_from=date_from, date_to=date_to, status=wanted)
            response = StreamingHttpResponse(exports.csv_lines(columns, rows), content_type="text/csv; charset=utf-8")
            suffix = f"_{wanted}" if wanted else ""
            response["Content-Disposition"] = f'attachment; filename="{kind}_{date_from}_{date_to}{suffix}.csv"'
            return response
        status = 400
    context = {
        **admin.site.each_context(request),
        "title": f"Export {kind} as CSV",
        "kind": kind,
        "form": form,
    }
    return TemplateResponse(request, "admin/backoffice/export.html", context, status=status)


@require_http_methods(["GET", "HEAD"])
def export_purchases(request):
    return _export(
        request,
        kind="purchases",
        form=forms.purchase_export_form(request.GET or None),
        columns=exports.PURCHASE_COLUMNS,
        rows_for=exports.purchase_rows,
    )


@require_http_methods(["GET", "HEAD"])
def export_payouts(request):
    return _export(
        request,
        kind="payouts",
        form=forms.payout_export_form(request.GET or None),
        columns=exports.PAYOUT_COLUMNS,
        rows_for=exports.payout_rows,
    )
