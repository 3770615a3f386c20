"""Feature flags: the exact scoped flag wins, else the global one, else enabled (fail-open).

One flag per (key, scope_type, scope_id) is a unique constraint (NULLs not distinct), so
the global flag of a key is unique too.
"""

import re
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from clicknback.audit.services import Actor, audit_record
from clicknback.errors import ValidationFailed
from clicknback.flags.errors import FeatureFlagNotFound, FeatureFlagScopeIdRequired
from clicknback.flags.models import FeatureFlag, ScopeType

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
DESCRIPTION_MAX_LENGTH = 500


def flag_evaluate(*, key: str, scope_type: str = ScopeType.GLOBAL, scope_id: uuid.UUID | str | None = None) -> bool:
    scoped = scope_type != ScopeType.GLOBAL and scope_id is not None
    condition = Q(scope_type=ScopeType.GLOBAL)
    if scoped:
        condition |= Q(scope_type=scope_type, scope_id=scope_id)
    found = dict(FeatureFlag.objects.filter(condition, key=key).values_list("scope_type", "enabled"))
    if scoped and scope_type in found:
        return found[scope_type]
    return found.get(ScopeType.GLOBAL, True)


def flag_validate_key(*, key: str) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):  # "$" would let "key\n" through
        raise ValidationFailed(
            "key must match ^[a-z][a-z0-9_]{0,99}$.",
            field="key",
            reason="Must start with a lower-case letter and contain only a-z, 0-9 and _ (at most 100 characters).",
        )
    return key


def flag_validate_scope(*, scope_type: str, scope_id: uuid.UUID | str | None) -> tuple[str, uuid.UUID | None]:
    """The scope rules: merchant/user need a scope_id (FEATURE_FLAG_SCOPE_ID_REQUIRED),
    global must not have one (422)."""
    if scope_type not in ScopeType.values:
        raise ValidationFailed(
            "scope_type must be one of: global, merchant, user.",
            field="scope_type",
            reason="Must be one of: global, merchant, user.",
        )
    if scope_type == ScopeType.GLOBAL:
        if scope_id is not None:
            raise ValidationFailed(
                "A global flag has no scope_id.", field="scope_id", reason="Must be empty when scope_type is global."
            )
        return scope_type, None
    if scope_id is None:
        raise FeatureFlagScopeIdRequired(scope_type)
    try:
        return scope_type, uuid.UUID(str(scope_id))
    except ValueError:
        raise ValidationFailed("scope_id must be a UUID.", field="scope_id", reason="Must be a valid UUID.") from None


def _flag_lock(*, key: str, scope_type: str, scope_id: uuid.UUID | None) -> FeatureFlag | None:
    return FeatureFlag.objects.select_for_update().filter(key=key, scope_type=scope_type, scope_id=scope_id).first()


def flag_set(
    *,
    key: str,
    enabled: bool,
    scope_type: str = ScopeType.GLOBAL,
    scope_id: uuid.UUID | str | None = None,
    description: str | None = None,
    actor: Actor,
) -> FeatureFlag:
    """Create or update the flag of (key, scope). ``description=None`` keeps the current one."""
    key = flag_validate_key(key=key)
    scope_type, scope_id = flag_validate_scope(scope_type=scope_type, scope_id=scope_id)
    if description is not None and len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValidationFailed(
            "description is too long.", field="description", reason=f"At most {DESCRIPTION_MAX_LENGTH} characters."
        )
    with transaction.atomic():
        flag = _flag_lock(key=key, scope_type=scope_type, scope_id=scope_id)
        created = flag is None
        if flag is None:
            flag = FeatureFlag(key=key, scope_type=scope_type, scope_id=scope_id, enabled=enabled)
            flag.description = description or ""
            try:
                with transaction.atomic():
                    flag.save(force_insert=True)
            except IntegrityError:
                # A concurrent PUT created it first: update that row instead.
                created = False
                flag = _flag_lock(key=key, scope_type=scope_type, scope_id=scope_id)
                if flag is None:  # and deleted again since: nothing to update
                    raise
        previous = None if created else flag.enabled
        if not created:
            flag.enabled = enabled
            if description is not None:
                flag.description = description
            flag.save(update_fields=["enabled", "description", "updated_at"])
        audit_record(
            actor=actor,
            action="flag.set",
            resource_type="feature_flag",
            resource_id=flag.pk,
            details={
                "key": key,
                "scope_type": scope_type,
                "scope_id": None if scope_id is None else str(scope_id),
                "enabled": enabled,
                "previous_enabled": previous,
                "created": created,
            },
        )
    return flag


def flag_delete(
    *, key: str, scope_type: str = ScopeType.GLOBAL, scope_id: uuid.UUID | str | None = None, actor: Actor
) -> None:
    key = flag_validate_key(key=key)
    scope_type, scope_id = flag_validate_scope(scope_type=scope_type, scope_id=scope_id)
    with transaction.atomic():
        flag = _flag_lock(key=key, scope_type=scope_type, scope_id=scope_id)
        if flag is None:
            raise FeatureFlagNotFound(key, scope_type, scope_id)
        flag_id = flag.pk
        flag.delete()
        audit_record(
            actor=actor,
            action="flag.deleted",
            resource_type="feature_flag",
            resource_id=flag_id,
            details={
                "key": key,
                "scope_type": scope_type,
                "scope_id": None if scope_id is None else str(scope_id),
                "enabled": flag.enabled,
            },
        )


def flag_list() -> QuerySet[FeatureFlag]:
    """Every flag, newest first; ``clicknback.flags.filters.FeatureFlagFilter`` narrows it."""
    return FeatureFlag.objects.order_by("-created_at", "-id")
