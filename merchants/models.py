import uuid
from decimal import Decimal

from django.db import models
from django.db.models.functions import Lower


class Merchant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    default_cashback_percentage = models.DecimalField(max_digits=5, decimal_places=2)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="merchant_name_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(default_cashback_percentage__gte=Decimal("0"))
                & models.Q(default_cashback_percentage__lte=Decimal("20")),
                name="merchant_default_percentage_0_20",
            ),
        ]

    def __str__(self) -> str:
        return self.name
