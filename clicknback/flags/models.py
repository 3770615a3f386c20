import uuid

from django.db import models


class ScopeType(models.TextChoices):
    GLOBAL = "global", "Global"
    MERCHANT = "merchant", "Merchant"
    USER = "user", "User"


class FeatureFlag(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    scope_type = models.CharField(max_length=16, choices=ScopeType.choices, default=ScopeType.GLOBAL)
    scope_id = models.UUIDField(null=True, blank=True)
    description = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "scope_type", "scope_id"], name="flag_unique_scope", nulls_distinct=False
            ),
            models.CheckConstraint(
                condition=(models.Q(scope_type=ScopeType.GLOBAL, scope_id__isnull=True))
                | (~models.Q(scope_type=ScopeType.GLOBAL) & models.Q(scope_id__isnull=False)),
                name="flag_scope_id_matches_type",
            ),
            models.CheckConstraint(condition=models.Q(key__regex=r"^[a-z][a-z0-9_]{0,99}$"), name="flag_key_format"),
        ]

    def __str__(self) -> str:
        return f"{self.key} [{self.scope_type}{':' + str(self.scope_id) if self.scope_id else ''}]"
