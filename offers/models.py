import uuid
from decimal import Decimal

from django.db import models


class CashbackType(models.TextChoices):
    PERCENT = "percent", "Percent"
    FIXED = "fixed", "Fixed"


class OfferStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"


class Offer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="offers")
    cashback_type = models.CharField(max_length=16, choices=CashbackType.choices)
    cashback_value = models.DecimalField(max_digits=14, decimal_places=2)
    monthly_cap = models.DecimalField(max_digits=14, decimal_places=2)
    # The most one purchase earns (applied before the monthly cap); none when null.
    max_cashback_per_purchase = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=16, choices=OfferStatus.choices, default=OfferStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "start_date", "end_date"], name="offer_status_dates")]
        constraints = [
            # The active offers of one merchant never overlap in dates (§5), so the next one
            # can be scheduled while the current one runs: the trigger
            # ``offer_active_dates_do_not_overlap`` (migration 0002) refuses an overlap.
            models.CheckConstraint(
                condition=models.Q(max_cashback_per_purchase__isnull=True)
                | models.Q(max_cashback_per_purchase__gt=Decimal("0")),
                name="offer_max_per_purchase_positive",
            ),
            models.CheckConstraint(condition=models.Q(cashback_value__gt=Decimal("0")), name="offer_value_positive"),
            models.CheckConstraint(
                condition=~models.Q(cashback_type=CashbackType.PERCENT) | models.Q(cashback_value__lte=Decimal("20")),
                name="offer_percent_at_most_20",
            ),
            models.CheckConstraint(condition=models.Q(monthly_cap__gt=Decimal("0")), name="offer_cap_positive"),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="offer_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.cashback_type} {self.cashback_value}"
