import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models

ZERO = Decimal("0.00")


class Bucket(models.TextChoices):
    PENDING = "pending", "Pending"
    AVAILABLE = "available", "Available"
    PAID = "paid", "Paid"
    OWED = "owed", "Owed"


class Wallet(models.Model):
    """Cached balances of one user; always equal to the sum of its ledger entries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet")
    currency = models.CharField(max_length=3, default="EUR")
    pending_balance = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    available_balance = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    paid_balance = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    owed_balance = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(pending_balance__gte=0), name="wallet_pending_non_negative"),
            models.CheckConstraint(condition=models.Q(available_balance__gte=0), name="wallet_available_non_negative"),
            models.CheckConstraint(condition=models.Q(paid_balance__gte=0), name="wallet_paid_non_negative"),
            models.CheckConstraint(condition=models.Q(owed_balance__gte=0), name="wallet_owed_non_negative"),
        ]

    def __str__(self) -> str:
        return f"Wallet of {self.user_id}"


class LedgerEntry(models.Model):
    """Append-only: one signed movement of one bucket, written with the balance change."""

    id = models.BigAutoField(primary_key=True)
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    bucket = models.CharField(max_length=16, choices=Bucket.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    reason = models.CharField(max_length=64)
    source_type = models.CharField(max_length=32)
    source_id = models.UUIDField()
    actor_type = models.CharField(max_length=16)
    actor_id = models.UUIDField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "ledger entries"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["wallet", "bucket"], name="ledger_wallet_bucket"),
            models.Index(fields=["source_type", "source_id"], name="ledger_source"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_amount_non_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.bucket} {self.amount} ({self.reason})"


class WalletAdjustment(models.Model):
    """An operator's correction of a user's available balance (contract §8), with its reason.

    A positive amount credits (settling owed first, as confirmed cashback does); a negative
    one debits available. Its ledger rows name it as their source; rows are never changed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet_adjustments")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    reason = models.CharField(max_length=500)
    actor_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="adjustment_user_created")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=Decimal("0")), name="adjustment_amount_not_zero"),
            models.CheckConstraint(condition=~models.Q(reason=""), name="adjustment_reason_given"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} ({self.reason})"
