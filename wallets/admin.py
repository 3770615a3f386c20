"""Back office for wallets and the ledger: read-only (balances move only through services)."""

from django.contrib import admin

from wallets.models import LedgerEntry, Wallet


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
