"""Query-string filters of ``GET /users/payouts`` and ``GET /admin/payouts`` (contract §9)."""

import django_filters

from clicknback.api.filtering import ChoiceFilter, UUIDFilter
from payouts.models import PayoutStatus


class PayoutFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=PayoutStatus.choices)


class AdminPayoutFilter(PayoutFilter):
    user_id = UUIDFilter(help_text="A user id (UUID).")
