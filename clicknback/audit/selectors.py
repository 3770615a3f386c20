"""Reads over the audit log."""

import uuid

from django.db.models import QuerySet

from clicknback.audit.models import AuditLog


def audit_log_list(
    *,
    action: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> QuerySet[AuditLog]:
    queryset = AuditLog.objects.all()
    if action is not None:
        queryset = queryset.filter(action=action)
    if resource_type is not None:
        queryset = queryset.filter(resource_type=resource_type)
    if resource_id is not None:
        queryset = queryset.filter(resource_id=resource_id)
    if actor_id is not None:
        queryset = queryset.filter(actor_id=actor_id)
    return queryset.order_by("-occurred_at", "-id")
