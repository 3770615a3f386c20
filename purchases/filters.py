"""Query-string filters of ``GET /purchases`` and ``GET /users/me/purchases`` (contract §6)."""

import datetime as dt

import django_filters

from clicknback.api.filtering import ChoiceFilter, DateFilter, FilterForm, UUIDFilter
from purchases.errors import InvalidPurchaseStatus
from purchases.models import PurchaseStatus


def invalid_purchase_status(raw: str) -> InvalidPurchaseStatus:
    """The contract's own code for an unknown ``status`` filter: 422 INVALID_PURCHASE_STATUS."""
    return InvalidPurchaseStatus(
        f"Unknown purchase status {raw!r}; use one of {', '.join(PurchaseStatus.values)}.",
        details={"status": raw, "allowed": list(PurchaseStatus.values)},
    )


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


class MyPurchaseFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=PurchaseStatus.choices)

    domain_errors = {"status": invalid_purchase_status}


class PurchaseFilterForm(FilterForm):
    ordered = (("start_date", "end_date"),)


class PurchaseFilter(MyPurchaseFilter):
    """The admin list. Date bounds are inclusive UTC calendar days of ``created_at``,
    compared as timestamps so the ``created_at`` index still serves them."""

    user_id = UUIDFilter()
    merchant_id = UUIDFilter()
    start_date = DateFilter(method="filter_start_date", help_text="Inclusive (UTC).")
    end_date = DateFilter(method="filter_end_date", help_text="Inclusive (UTC).")

    class Meta:
        form = PurchaseFilterForm

    def filter_start_date(self, queryset, name, value):
        return queryset.filter(created_at__gte=_midnight(value))

    def filter_end_date(self, queryset, name, value):
        return queryset.filter(created_at__lt=_midnight(value + dt.timedelta(days=1)))
