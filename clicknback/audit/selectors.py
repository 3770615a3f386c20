"""Reads over the audit log."""

from django.db.models import QuerySet

from clicknback.audit.models import AuditLog


def audit_log_list() -> QuerySet[AuditLog]:
    """Every row, newest first; ``clicknback.audit.filters.AuditLogFilter`` narrows it."""
    return AuditLog.objects.order_by("-occurred_at", "-id")
