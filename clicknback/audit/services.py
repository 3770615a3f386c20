"""The audit log: ``audit_record`` is called inside the transaction of each state change."""

import uuid
from dataclasses import dataclass
from typing import Any

from clicknback.api.middleware import get_request_id
from clicknback.audit.models import ActorType, AuditLog


@dataclass(frozen=True)
class Actor:
    """Who caused a change: a user, an admin (API or back office) or the system (jobs)."""

    type: str
    id: uuid.UUID | None = None

    @classmethod
    def of(cls, user) -> "Actor":
        return cls(ActorType.ADMIN if getattr(user, "is_admin", False) else ActorType.USER, user.pk)

    @classmethod
    def admin(cls, user) -> "Actor":
        return cls(ActorType.ADMIN, user.pk)


SYSTEM = Actor(ActorType.SYSTEM, None)


def audit_record(
    *,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: object,
    details: dict[str, Any] | None = None,
    outcome: str = "success",
) -> AuditLog:
    return AuditLog.objects.create(
        actor_type=actor.type,
        actor_id=actor.id,
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id),
        outcome=outcome,
        details=details or {},
        request_id=get_request_id() or "",
    )
