"""The statement download: a CSV of the signed-in user's transactions over a date range.

The rows are the wallet statement's (``statements.selectors``), so the file, the
transactions page and ``GET /users/me/wallet/transactions`` always agree.
"""

import csv
import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clicknback.money import format_amount
from statements.selectors import ADJUSTMENT, CASHBACK_CREDIT, wallet_transactions_between

MAX_DAYS = 366
KINDS = {
    "cashback_credit": "Cashback",
    "payout_debit": "Withdrawal",
    "cashback_reversal": "Cashback taken back",
    "adjustment": "Correction",
}


class StatementForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end date is before the start date.")
            elif (end - start).days >= MAX_DAYS:
                self.add_error("end", f"A statement covers at most {MAX_DAYS} days.")
        return data


def _cell(text: str) -> str:
    """A spreadsheet never takes a cell for a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def statement(request):
    today = timezone.now().astimezone(dt.UTC).date()
    if "start" not in request.GET:
        form = StatementForm(initial={"start": today.replace(day=1), "end": today})
        return render(request, "portal/statement.html", {"nav": "transactions", "form": form})
    form = StatementForm(request.GET)
    if not form.is_valid():
        return render(request, "portal/statement.html", {"nav": "transactions", "form": form}, status=422)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    rows = wallet_transactions_between(
        user_id=request.user.pk,
        start=dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC),
        end=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC),
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="clicknback-statement-{start}-{end}.csv"'
    writer = csv.writer(response)
    writer.writerow(["date (UTC)", "type", "amount (EUR)", "status", "reason", "purchase", "payout"])
    for row in rows:
        signed = row["tx_amount"] if row["tx_type"] in (CASHBACK_CREDIT, ADJUSTMENT) else -row["tx_amount"]
        writer.writerow(
            [
                row["tx_created_at"].astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                KINDS.get(row["tx_type"], row["tx_type"]),
                format_amount(signed),
                row["tx_status"],
                _cell(row["tx_reason"] or ""),
                row["tx_purchase_id"] or "",
                row["tx_payout_id"] or "",
            ]
        )
    return response
