"""Query-string filters of ``GET /feature-flags`` and the scope of evaluate and delete (§10)."""

import django_filters
from django.core.validators import RegexValidator

from clicknback.api.filtering import ChoiceFilter, TextFilter, UUIDFilter
from clicknback.flags.models import ScopeType
from clicknback.flags.services import KEY_PATTERN

KEY_REASON = "Must start with a lower-case letter and contain only a-z, 0-9 and _ (at most 100 characters)."


class FeatureFlagFilter(django_filters.FilterSet):
    key = TextFilter(max_length=100, validators=[RegexValidator(KEY_PATTERN, message=KEY_REASON)])
    scope_type = ChoiceFilter(choices=ScopeType.choices)
    scope_id = UUIDFilter()


class FeatureFlagScopeFilter(django_filters.FilterSet):
    """The one scope ``evaluate`` and ``DELETE`` name; the scope rules are the service's."""

    scope_type = ChoiceFilter(choices=ScopeType.choices, help_text="Default global.")
    scope_id = UUIDFilter(help_text="Required for merchant and user scopes.")
