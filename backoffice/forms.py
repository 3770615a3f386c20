"""The export form: an inclusive UTC date range and an optional status."""

import datetime as dt
from typing import Any, cast

from django import forms

from payouts.models import PayoutStatus
from purchases.models import PurchaseStatus

MAX_RANGE_DAYS = 3660  # ten years: a guard against typos such as 0202-01-01, not a size limit


class DateInput(forms.DateInput):
    input_type = "date"


class ExportForm(forms.Form):
    date_from = forms.DateField(label="From (UTC, inclusive)", widget=DateInput, input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(label="To (UTC, inclusive)", widget=DateInput, input_formats=["%Y-%m-%d"])
    status = forms.ChoiceField(label="Status", required=False)

    def __init__(self, *args, statuses: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = [("", "Any status"), *statuses]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", "Must be on or after the start date.")
            elif (end - start) > dt.timedelta(days=MAX_RANGE_DAYS):
                self.add_error("date_from", f"The range may span at most {MAX_RANGE_DAYS} days.")
        return data


def purchase_export_form(data=None) -> ExportForm:
    return ExportForm(data, statuses=PurchaseStatus.choices)


def payout_export_form(data=None) -> ExportForm:
    return ExportForm(data, statuses=PayoutStatus.choices)
