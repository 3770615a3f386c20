import uuid

from django.db import models


class ActorType(models.TextChoices):
    USER = "user", "User"
    ADMIN = "admin", "Admin"
    PARTNER = "partner", "Partner"
    SYSTEM = "system", "System"


class AppendOnlyError(RuntimeError):
    pass


class AuditLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit rows are never updated.")

    def delete(self):
        raise AppendOnlyError("Audit rows are never deleted.")


class AuditLog(models.Model):
    """Append-only record of a state change; a PostgreSQL trigger refuses UPDATE/DELETE."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_id = models.UUIDField(null=True, blank=True)
    action = models.CharField(max_length=64)
    resource_type = models.CharField(max_length=32)
    resource_id = models.CharField(max_length=128)
    outcome = models.CharField(max_length=16, default="success")
    details = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=128, blank=True, default="")

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["resource_type", "resource_id"], name="audit_resource"),
            models.Index(fields=["action", "-occurred_at"], name="audit_action"),
            models.Index(fields=["actor_id", "-occurred_at"], name="audit_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.resource_type}:{self.resource_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit rows are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit rows are never deleted.")
