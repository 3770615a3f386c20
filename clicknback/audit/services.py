"""The audit log: ``audit_record`` is called inside the transaction of each state change."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from clicknback.audit.models import ActorType, AuditLog
from clicknback.request_context import get_request_id
from clicknback.rows import RowWriter

# Every state change writes one audit row: the INSERT is built once (clicknback/rows.py).
_writer = RowWriter(AuditLog)


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


def _audit_row(
    *,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: object,
    details: dict[str, Any] | None,
    outcome: str,
    request_id: str,
) -> AuditLog:
    return AuditLog(
        actor_type=actor.type,
        actor_id=actor.id,
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id),
        outcome=outcome,
        details=details or {},
        request_id=request_id,
    )


def audit_record(
    *,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: object,
    details: dict[str, Any] | None = None,
    outcome: str = "success",
) -> AuditLog:
    row = _audit_row(
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        details=details,
        outcome=outcome,
        request_id=get_request_id() or "",
    )
    _writer.insert([row])
    return row


def audit_record_many(
    *,
    actor: Actor,
    resource_type: str,
    records: Iterable[tuple[str, object, dict[str, Any]]],
    outcome: str = "success",
) -> list[AuditLog]:
    """Several audit rows (``(action, resource_id, details)`` each) with one INSERT.

    The rows are the ones ``audit_record`` would write one by one; for jobs that change
    many resources in one transaction.
    """
    request_id = get_request_id() or ""
    rows = [
        _audit_row(
            actor=actor,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            details=details,
            outcome=outcome,
            request_id=request_id,
        )
        for action, resource_id, details in records
    ]
    return AuditLog.objects.bulk_create(rows) if rows else []
