import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models


class PayoutMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"


class PayoutStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    RETURNED = "returned", "Returned"


class Payout(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    method = models.CharField(max_length=16, choices=PayoutMethod.choices)
    status = models.CharField(max_length=16, choices=PayoutStatus.choices, default=PayoutStatus.REQUESTED)
    # Full destination (IBAN + holder, or card token) kept for paying; only the masked
    # form is ever shown.
    destination = models.JSONField(default=dict)
    destination_masked = models.CharField(max_length=32)
    external_reference = models.CharField(max_length=255, blank=True, default="")
    failure_reason = models.CharField(max_length=500, blank=True, default="")
    requested_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-requested_at"], name="payout_user_requested"),
            models.Index(fields=["status", "-requested_at"], name="payout_status_requested"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=Decimal("0")), name="payout_amount_positive"),
        ]

    # Set by ``payout_request`` on an idempotent replay (not stored).
    replayed = False

    def __str__(self) -> str:
        return f"{self.amount} {self.status}"


class IdempotencyKey(models.Model):
    """A client's ``Idempotency-Key`` for a payout request, written with the payout it made."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
