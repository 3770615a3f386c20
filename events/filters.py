"""Query-string filters of ``GET /partner/webhook-deliveries`` (contract §14)."""

import django_filters

from clicknback.api.filtering import ChoiceFilter, UUIDFilter
from events.models import DeliveryStatus


class WebhookDeliveryFilter(django_filters.FilterSet):
    endpoint_id = UUIDFilter()
    status = ChoiceFilter(choices=DeliveryStatus.choices)
