import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models


class PurchaseStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"
    REVERSED = "reversed", "Reversed"


class CashbackStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    AVAILABLE = "available", "Available"
    REVERSED = "reversed", "Reversed"


class Purchase(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    external_id = models.CharField(max_length=255, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases")
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="purchases")
    offer = models.ForeignKey("offers.Offer", on_delete=models.PROTECT, related_name="purchases", null=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(max_length=16, choices=PurchaseStatus.choices, default=PurchaseStatus.PENDING)
    # When the customer bought (the ingestion time when the reporter did not say); the
    # offer and the monthly cap follow it.
    purchased_at = models.DateTimeField()
    # What partial returns took back of ``amount`` (§13).
    returned_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    # The reason given for a rejection, reversal or return ("" when none was given).
    status_reason = models.CharField(max_length=500, blank=True, default="")
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="purchases", null=True, blank=True
    )
    # Confirmation job bookkeeping: attempts made, when the next may run, and the
    # in-flight claim (a lease that expires, so a dead worker's claim is retaken).
    verification_attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    # Verifier errors and time-outs (not attempts): how many in a row, the last one, and
    # since when the purchase waits in the manual review queue (no longer dispatched).
    verification_errors = models.PositiveSmallIntegerField(default=0)
    last_verification_error = models.CharField(max_length=255, blank=True, default="")
    review_since = models.DateTimeField(null=True, blank=True)
    # The request id of the ingestion: the job's ledger and audit rows carry it.
    ingest_request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="purchase_user_created"),
            models.Index(fields=["status", "-created_at"], name="purchase_status_created"),
            models.Index(fields=["merchant", "-created_at"], name="purchase_merchant_created"),
            models.Index(fields=["partner", "updated_at"], name="purchase_partner_updated"),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="purchase_pending_due",
            ),
            models.Index(
                fields=["review_since"],
                condition=models.Q(status="pending", review_since__isnull=False),
                name="purchase_in_review",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=Decimal("0")), name="purchase_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(returned_amount__gte=Decimal("0"))
                & models.Q(returned_amount__lte=models.F("amount")),
                name="purchase_returned_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id


class CashbackTransaction(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purchase = models.OneToOneField(Purchase, on_delete=models.PROTECT, related_name="cashback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cashback_transactions")
    offer = models.ForeignKey("offers.Offer", on_delete=models.PROTECT, related_name="cashback_transactions")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(max_length=16, choices=CashbackStatus.choices, default=CashbackStatus.PENDING)
    # The purchase's ``purchased_at``, kept here so the monthly cap is one index range.
    purchased_at = models.DateTimeField()
    # What partial returns took back of ``amount``; the cashback still owed to the user
    # (and counted against the cap) is ``amount - returned_amount``.
    returned_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "offer", "purchased_at"], name="cashback_user_offer_month"),
            models.Index(fields=["user", "-created_at"], name="cashback_user_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=Decimal("0")), name="cashback_amount_non_negative"),
            models.CheckConstraint(
                condition=models.Q(returned_amount__gte=Decimal("0"))
                & models.Q(returned_amount__lte=models.F("amount")),
                name="cashback_returned_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.status}"

    @property
    def remaining(self) -> Decimal:
        """What the purchase is still worth to the user (before any reversal)."""
        return self.amount - self.returned_amount


class PurchaseReturn(models.Model):
    """One return reported by a partner (§13): ``return_id`` is unique per purchase, so a
    return sent again finds this row and moves nothing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="returns")
    return_id = models.CharField(max_length=255)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    cashback_taken = models.DecimalField(max_digits=14, decimal_places=2)
    # True when it returned everything left, which reversed the purchase.
    full = models.BooleanField(default=False)
    reason = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["purchase", "return_id"], name="purchase_return_id_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=Decimal("0")), name="purchase_return_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(cashback_taken__gte=Decimal("0")), name="purchase_return_cashback_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.return_id}: {self.amount}"


class PurchaseInReview(Purchase):
    """The back office's review queue: pending purchases the job gave up on after verifier errors."""

    class Meta:
        proxy = True
        verbose_name = "purchase in review"
        verbose_name_plural = "review queue (verifier errors)"
