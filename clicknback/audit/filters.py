"""Query-string filters of ``GET /admin/audit-logs`` (contract §11)."""

import django_filters

from clicknback.api.filtering import ChoiceFilter, DateTimeFilter, FilterForm, TextFilter, UUIDFilter
from clicknback.audit.models import ActorType


class AuditLogFilterForm(FilterForm):
    ordered = (("occurred_from", "occurred_to"),)


class AuditLogFilter(django_filters.FilterSet):
    action = TextFilter(help_text='e.g. "offer.activated"')
    resource_type = TextFilter(help_text='e.g. "offer"')
    resource_id = TextFilter()
    actor_id = UUIDFilter()
    actor_type = ChoiceFilter(choices=ActorType.choices)
    occurred_from = DateTimeFilter(
        field_name="occurred_at",
        lookup_expr="gte",
        help_text="Rows at or after this time (ISO 8601; UTC if no offset).",
    )
    occurred_to = DateTimeFilter(
        field_name="occurred_at",
        lookup_expr="lte",
        help_text="Rows at or before this time (ISO 8601; UTC if no offset).",
    )

    class Meta:
        form = AuditLogFilterForm
