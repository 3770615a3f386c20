"""The audit log: ``audit_record`` is called inside the transaction of each state change."""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clicknback.audit.models import ActorType, AuditLog
from clicknback.request_context import get_request_id
from clicknback.rows import RowWriter, Write

# Every state change writes one audit row: the INSERT is built once (clicknback/rows.py).
_writer = RowWriter(AuditLog)


@dataclass(frozen=True)
class Actor:
    """Who caused a change: a user, an admin (API or back office), a partner (with the API
    key it used, when it used one) or the system (jobs)."""

    type: str
    id: uuid.UUID | None = None
    key_id: uuid.UUID | None = None

    @classmethod
    def of(cls, user) -> "Actor":
        return cls(ActorType.ADMIN if getattr(user, "is_admin", False) else ActorType.USER, user.pk)

    @classmethod
    def admin(cls, user) -> "Actor":
        return cls(ActorType.ADMIN, user.pk)


SYSTEM = Actor(ActorType.SYSTEM, None)


def audit_row(
    *,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: object,
    details: dict[str, Any] | None = None,
    outcome: str = "success",
    request_id: str | None = None,
) -> AuditLog:
    """The audit row of a change, not yet written (``audit_inserting`` builds its INSERT)."""
    return AuditLog(
        actor_type=actor.type,
        actor_id=actor.id,
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id),
        outcome=outcome,
        details={**(details or {}), "api_key_id": str(actor.key_id)} if actor.key_id else (details or {}),
        request_id=(get_request_id() or "") if request_id is None else request_id,
    )


def audit_inserting(rows: Sequence[AuditLog]) -> Write:
    """The INSERT of audit rows built by ``audit_row``, for the caller's ``send_together``."""
    return _writer.inserting(rows)


def audit_record(
    *,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: object,
    details: dict[str, Any] | None = None,
    outcome: str = "success",
) -> AuditLog:
    row = audit_row(
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        details=details,
        outcome=outcome,
    )
    _writer.insert([row])
    return row


def audit_record_many(
    *,
    actor: Actor,
    resource_type: str,
    records: Iterable[tuple[str, object, dict[str, Any]]],
    outcome: str = "success",
    request_ids: Mapping[Any, str] | None = None,
) -> list[AuditLog]:
    """Several audit rows (``(action, resource_id, details)`` each) with one INSERT.

    The rows are the ones ``audit_record`` would write one by one; for jobs that change
    many resources in one transaction. ``request_ids`` gives a resource the id of the
    request its change was made for (a job confirming what a request ingested); the
    others carry the current request id.
    """
    request_id = get_request_id() or ""
    request_ids = request_ids or {}
    rows = [
        audit_row(
            actor=actor,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            details=details,
            outcome=outcome,
            request_id=request_ids.get(resource_id) or request_id,
        )
        for action, resource_id, details in records
    ]
    _writer.insert(rows)
    return rows
