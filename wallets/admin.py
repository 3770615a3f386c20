"""Back office for wallets and the ledger: read-only (balances move only through services),
and operators' corrections, made through ``wallets.adjustments.wallet_adjust``."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from clicknback.audit.services import Actor
from clicknback.errors import DomainError
from wallets.adjustments import wallet_adjust
from wallets.models import LedgerEntry, Wallet, WalletAdjustment


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class OwedFilter(admin.SimpleListFilter):
    title = "owed balance"
    parameter_name = "owed"

    def lookups(self, request, model_admin):
        return [("yes", "Owes a clawback"), ("no", "Owes nothing")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(owed_balance__gt=0)
        if self.value() == "no":
            return queryset.filter(owed_balance=0)
        return queryset


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    list_display = (
        "user",
        "currency",
        "pending_balance",
        "available_balance",
        "paid_balance",
        "owed_balance",
        "updated_at",
    )
    search_fields = ("user__email", "=user__id")
    list_filter = (OwedFilter,)
    list_select_related = ("user",)
    ordering = ("-updated_at",)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "wallet", "bucket", "amount", "currency", "reason", "source_type", "source_id", "created_at")
    list_filter = ("bucket", "reason", "source_type", "created_at")
    search_fields = ("wallet__user__email", "=wallet__user__id", "=source_id", "request_id")
    date_hierarchy = "created_at"
    list_select_related = ("wallet__user",)
    ordering = ("-created_at", "-id")


class WalletAdjustmentForm(forms.ModelForm):
    """An operator's correction: the user, a signed amount, a reason, and a confirmation."""

    confirm = forms.BooleanField(
        required=True,
        label="I have checked the user and the amount",
        help_text="The correction moves money at once and cannot be edited or deleted; a mistake takes another one.",
    )

    class Meta:
        model = WalletAdjustment
        fields = ("user", "amount", "reason")
        widgets = {"reason": forms.Textarea(attrs={"rows": 3})}

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason


@admin.register(WalletAdjustment)
class WalletAdjustmentAdmin(admin.ModelAdmin):
    """Corrections go through ``wallets.adjustments.wallet_adjust`` (lock, ledger, audit)."""

    form = WalletAdjustmentForm
    list_display = ("user", "amount", "reason", "actor_id", "created_at")
    search_fields = ("user__email", "reason", "=id")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    date_hierarchy = "created_at"

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            made = wallet_adjust(
                user_id=data["user"].pk, amount=data["amount"], reason=data["reason"], actor=Actor.admin(request.user)
            )
        except DomainError as exc:
            # shown on the form by ``_changeform_view``'s message; nothing was written
            self.message_user(request, exc.message, messages.ERROR)
            raise AdjustmentRefused(exc.message) from exc
        obj.pk, obj.created_at, obj.actor_id = made.pk, made.created_at, made.actor_id
        obj._state.adding, obj._state.db = False, made._state.db

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except AdjustmentRefused:
            return HttpResponseRedirect(request.get_full_path())


class AdjustmentRefused(Exception):
    """The service refused the correction (e.g. available cannot cover a debit)."""
