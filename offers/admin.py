"""Back office for offers: create (merchant autocomplete), filter, search, activate and
deactivate, edit — all through ``offers.services`` so the overlap rule and the audit row
apply exactly as in the API."""

from django.contrib import admin

from clicknback.audit.admin_support import ServiceForm, ServiceModelAdmin, run_for_each
from offers.models import Offer, OfferStatus
from offers.services import EDITABLE, offer_create, offer_set_status, offer_update


class OfferAddForm(ServiceForm):
    class Meta:
        model = Offer
        fields = [
            "merchant",
            "cashback_type",
            "cashback_value",
            "monthly_cap",
            "max_cashback_per_purchase",
            "start_date",
            "end_date",
        ]

    def call_service(self, cleaned_data, actor):
        return offer_create(
            merchant_id=cleaned_data["merchant"].pk,
            cashback_type=cleaned_data["cashback_type"],
            cashback_value=cleaned_data["cashback_value"],
            start_date=cleaned_data["start_date"],
            end_date=cleaned_data["end_date"],
            monthly_cap=cleaned_data["monthly_cap"],
            max_cashback_per_purchase=cleaned_data.get("max_cashback_per_purchase"),
            actor=actor,
        )

    def validate_unique(self):
        """The overlap rule comes back from the service as a 409-style error."""


class OfferChangeForm(ServiceForm):
    """What may change on an offer (§5), through ``offer_update`` (the rules, the overlap
    rule, the audit of old and new values)."""

    class Meta:
        model = Offer
        fields = list(EDITABLE)

    def call_service(self, cleaned_data, actor):
        return offer_update(offer_id=self.instance.pk, actor=actor, **{name: cleaned_data[name] for name in EDITABLE})

    def validate_unique(self):
        """The overlap rule comes back from the service as a 409-style error."""


@admin.register(Offer)
class OfferAdmin(ServiceModelAdmin):
    add_form = OfferAddForm
    form = OfferChangeForm
    list_display = (
        "merchant",
        "cashback_type",
        "cashback_value",
        "monthly_cap",
        "start_date",
        "end_date",
        "status",
        "created_at",
    )
    list_filter = (
        "status",
        "cashback_type",
        ("merchant", admin.RelatedOnlyFieldListFilter),
        "merchant__active",
        "start_date",
        "end_date",
    )
    search_fields = ("merchant__name", "=id")
    list_select_related = ("merchant",)
    autocomplete_fields = ("merchant",)
    ordering = ("-created_at", "-id")
    readonly_fields = (
        "id",
        "merchant",
        "cashback_type",
        "currency",
        "start_date",
        "status",
        "created_at",
        "updated_at",
    )
    actions = ["activate_offers", "deactivate_offers"]

    def get_fields(self, request, obj=None):
        return list(OfferAddForm.Meta.fields) if obj is None else [*EDITABLE, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # purchases reference offers: deactivate instead

    @admin.action(description="Activate selected offers")
    def activate_offers(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda offer, actor: offer_set_status(offer_id=offer.pk, status=OfferStatus.ACTIVE, actor=actor),
            "{count} offer(s) active.",
        )

    @admin.action(description="Deactivate selected offers")
    def deactivate_offers(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda offer, actor: offer_set_status(offer_id=offer.pk, status=OfferStatus.INACTIVE, actor=actor),
            "{count} offer(s) inactive.",
        )
