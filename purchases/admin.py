"""Back office for purchases. Confirm and reverse go through the same services as the API,
as the admin (``Actor.admin``); a refused transition is shown as an admin error."""

from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from clicknback.audit.services import Actor
from clicknback.errors import DomainError
from clicknback.money import ZERO
from clicknback.outbox.models import Event
from purchases.models import CashbackStatus, CashbackTransaction, Purchase, PurchaseInReview, PurchaseReturn
from purchases.selectors import review_queue
from purchases.services import purchase_confirm, purchase_reject, purchase_requeue, purchase_reverse


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows change only through services: no add, no edit, no delete."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CashbackInline(admin.StackedInline):
    model = CashbackTransaction
    fields = ("amount", "returned_amount", "currency", "status", "offer", "purchased_at", "created_at", "updated_at")
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReturnInline(admin.TabularInline):
    """The partner's returns of the purchase (§13), each with the cashback it took back."""

    model = PurchaseReturn
    fields = ("return_id", "amount", "cashback_taken", "full", "reason", "created_at")
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PurchaseActions(ReadOnlyAdmin):
    """Columns and actions shared by the purchase list and the review queue."""

    @admin.display(description="User", ordering="user__email")
    def user_email(self, purchase: Purchase) -> str:
        return purchase.user.email

    @admin.display(description="Cashback")
    def cashback_amount(self, purchase: Purchase) -> str:
        cashback = getattr(purchase, "cashback", None)
        if cashback is None:
            return "-"
        worth = ZERO if cashback.status == CashbackStatus.REVERSED else cashback.remaining
        return f"{worth:.2f} ({cashback.status})"

    @admin.display(description="Events")
    def events(self, purchase: Purchase) -> str:
        """The purchase's events (contract §14), oldest first, with whether the relay has taken them."""
        rows = Event.objects.filter(resource_type="purchase", resource_id=purchase.pk).order_by("occurred_at", "id")
        return (
            format_html_join(
                mark_safe("<br>"),  # nosec B308 B703 - a constant
                "{} {} ({})",
                (
                    (e.occurred_at.strftime("%Y-%m-%d %H:%M:%S"), e.type, "relayed" if e.relayed_at else "waiting")
                    for e in rows
                ),
            )
            or "-"
        )

    def _run(self, request, queryset, service, verb: str) -> None:
        actor = Actor.admin(request.user)
        done = 0
        for purchase_id in queryset.values_list("pk", flat=True):
            try:
                service(purchase_id=purchase_id, actor=actor)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"Purchase {purchase_id}: {exc.message}", level=messages.ERROR)
        if done:
            self.message_user(request, f"{done} purchase(s) {verb}.", level=messages.SUCCESS)

    @admin.action(description="Confirm selected pending purchases")
    def confirm_selected(self, request, queryset) -> None:
        self._run(request, queryset, purchase_confirm, "confirmed")


@admin.register(Purchase)
class PurchaseAdmin(PurchaseActions):
    list_display = (
        "external_id",
        "user_email",
        "merchant",
        "partner",
        "amount",
        "returned_amount",
        "currency",
        "status",
        "cashback_amount",
        "verification_attempts",
        "purchased_at",
        "created_at",
    )
    list_filter = (
        "status",
        ("merchant", admin.RelatedOnlyFieldListFilter),
        ("partner", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    search_fields = ("external_id", "user__email", "merchant__name", "=id")
    date_hierarchy = "created_at"
    list_select_related = ("user", "merchant", "cashback", "partner")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    readonly_fields = (
        "id",
        "external_id",
        "user",
        "merchant",
        "offer",
        "partner",
        "amount",
        "returned_amount",
        "currency",
        "purchased_at",
        "status",
        "status_reason",
        "verification_attempts",
        "next_attempt_at",
        "claimed_until",
        "claim_token",
        "verification_errors",
        "last_verification_error",
        "review_since",
        "ingest_request_id",
        "created_at",
        "updated_at",
        "events",
    )
    inlines = (CashbackInline, ReturnInline)
    actions = ("confirm_selected", "reverse_selected")

    @admin.action(description="Reverse selected purchases (clawback if already confirmed)")
    def reverse_selected(self, request, queryset) -> None:
        self._run(request, queryset, purchase_reverse, "reversed")


@admin.register(CashbackTransaction)
class CashbackTransactionAdmin(ReadOnlyAdmin):
    list_display = ("purchase", "user", "offer", "amount", "currency", "status", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("purchase__external_id", "user__email", "=id", "=purchase__id")
    date_hierarchy = "created_at"
    list_select_related = ("purchase", "user", "offer")
    ordering = ("-created_at", "-id")


REVIEW_REJECTION_REASON = "Rejected by an operator: the bank could not be asked."


@admin.register(PurchaseInReview)
class PurchaseInReviewAdmin(PurchaseActions):
    """The review queue: the last verifier error, how many so far; confirm, reject or re-queue
    through the services (audited, as the admin)."""

    list_display = (
        "external_id",
        "user_email",
        "merchant",
        "amount",
        "cashback_amount",
        "verification_errors",
        "last_verification_error",
        "verification_attempts",
        "review_since",
        "created_at",
    )
    list_filter = (("merchant", admin.RelatedOnlyFieldListFilter), "review_since")
    date_hierarchy = "review_since"
    ordering = ("review_since", "id")
    actions = ("confirm_selected", "reject_selected", "requeue_selected")
    search_fields = PurchaseAdmin.search_fields
    readonly_fields = PurchaseAdmin.readonly_fields
    inlines = PurchaseAdmin.inlines

    def get_queryset(self, request):
        return review_queue().select_related("user", "merchant", "cashback")

    @admin.action(description="Reject selected purchases (the bank could not be asked)")
    def reject_selected(self, request, queryset) -> None:
        def reject(*, purchase_id, actor):
            return purchase_reject(purchase_id=purchase_id, reason=REVIEW_REJECTION_REASON, actor=actor)

        self._run(request, queryset, reject, "rejected")

    @admin.action(description="Re-queue selected purchases for the confirmation job")
    def requeue_selected(self, request, queryset) -> None:
        self._run(request, queryset, purchase_requeue, "re-queued")
