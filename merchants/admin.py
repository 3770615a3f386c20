"""Back office for merchants: create, edit, search, filter, activate and deactivate (via services)."""

from django.contrib import admin

from clicknback.audit.admin_support import ServiceForm, ServiceModelAdmin, run_for_each
from merchants.models import Merchant
from merchants.services import merchant_create, merchant_set_active, merchant_update


class MerchantAddForm(ServiceForm):
    class Meta:
        model = Merchant
        fields = ["name", "default_cashback_percentage", "active"]

    def call_service(self, cleaned_data, actor):
        return merchant_create(
            name=cleaned_data["name"],
            default_cashback_percentage=cleaned_data["default_cashback_percentage"],
            active=cleaned_data["active"],
            actor=actor,
        )

    def validate_unique(self):
        """A taken name comes back from the service as MERCHANT_NAME_TAKEN."""


class MerchantChangeForm(ServiceForm):
    """Rename or change the default percentage, through ``merchant_update`` (audited old/new)."""

    class Meta:
        model = Merchant
        fields = ["name", "default_cashback_percentage"]

    def call_service(self, cleaned_data, actor):
        return merchant_update(
            merchant_id=self.instance.pk,
            name=cleaned_data["name"],
            default_cashback_percentage=cleaned_data["default_cashback_percentage"],
            actor=actor,
        )

    def validate_unique(self):
        """A taken name comes back from the service as MERCHANT_NAME_TAKEN."""


@admin.register(Merchant)
class MerchantAdmin(ServiceModelAdmin):
    add_form = MerchantAddForm
    form = MerchantChangeForm
    list_display = ("name", "default_cashback_percentage", "active", "created_at")
    list_filter = ("active", "created_at")
    search_fields = ("name", "=id")
    ordering = ("name",)
    readonly_fields = ("id", "active", "created_at", "updated_at")
    actions = ["activate_merchants", "deactivate_merchants"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "default_cashback_percentage", "active"]
        return ["name", "default_cashback_percentage", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # merchants keep their history: deactivate instead

    @admin.action(description="Activate selected merchants")
    def activate_merchants(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda merchant, actor: merchant_set_active(merchant_id=merchant.pk, active=True, actor=actor),
            "{count} merchant(s) active.",
        )

    @admin.action(description="Deactivate selected merchants")
    def deactivate_merchants(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda merchant, actor: merchant_set_active(merchant_id=merchant.pk, active=False, actor=actor),
            "{count} merchant(s) inactive.",
        )
