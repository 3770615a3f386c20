"""Feature flags: the exact scoped flag wins, else the global one, else enabled (fail-open)."""

import uuid

from django.db.models import Q

from clicknback.flags.models import FeatureFlag, ScopeType


def flag_evaluate(*, key: str, scope_type: str = ScopeType.GLOBAL, scope_id: uuid.UUID | str | None = None) -> bool:
    scoped = scope_type != ScopeType.GLOBAL and scope_id is not None
    condition = Q(scope_type=ScopeType.GLOBAL)
    if scoped:
        condition |= Q(scope_type=scope_type, scope_id=scope_id)
    found = dict(FeatureFlag.objects.filter(condition, key=key).values_list("scope_type", "enabled"))
    if scoped and scope_type in found:
        return found[scope_type]
    return found.get(ScopeType.GLOBAL, True)
