"""Back office for partners (contract §13): every change goes through ``partners.services``,
as the admin, with its audit row. A new API key and a new postback secret are shown once,
in the confirmation message, and never again."""

from django import forms
from django.contrib import admin, messages
from rest_framework_api_key.admin import APIKey

from clicknback.audit.services import Actor
from clicknback.errors import DomainError
from partners.models import Partner, PartnerAPIKey
from partners.services import api_key_create, api_key_revoke, partner_create, partner_update, postback_secret_rotate

# The library's own key model is unused (ours belongs to a partner): keep it out of the admin.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


class PartnerAPIKeyInline(admin.TabularInline):
    model = PartnerAPIKey
    fields = ("name", "prefix", "created", "expiry_date", "last_used_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "active", "merchant_names", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "=id")
    filter_horizontal = ("merchants",)
    fields = ("name", "merchants", "active", "has_postback_secret", "created_at", "updated_at")
    readonly_fields = ("has_postback_secret", "created_at", "updated_at")
    inlines = [PartnerAPIKeyInline]
    actions = ["rotate_postback_secret"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("merchants")

    @admin.display(description="merchants")
    def merchant_names(self, partner: Partner) -> str:
        return ", ".join(sorted(merchant.name for merchant in partner.merchants.all()))

    @admin.display(boolean=True, description="postback secret set")
    def has_postback_secret(self, partner: Partner) -> bool:
        return bool(partner.postback_secret)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: purchases keep their partner

    def save_model(self, request, obj, form, change):
        """Through the services (the form has already checked the name is free)."""
        data = form.cleaned_data
        merchant_ids = [merchant.pk for merchant in data["merchants"]]
        actor = Actor.admin(request.user)
        if change:
            partner = partner_update(
                partner_id=obj.pk, name=data["name"], merchant_ids=merchant_ids, active=data["active"], actor=actor
            )
        else:
            partner = partner_create(name=data["name"], merchant_ids=merchant_ids, active=data["active"], actor=actor)
        obj.pk, obj.created_at, obj.updated_at = partner.pk, partner.created_at, partner.updated_at
        obj._state.adding, obj._state.db = False, partner._state.db

    def save_related(self, request, form, formsets, change):
        """The merchants were set by the service (so no ``save_m2m``). The key inline is
        read-only: saving its formset writes nothing, but the admin's change message reads
        what the save found (``new_objects`` ...), so it must still run."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description="Rotate the postback secret (shown once)")
    def rotate_postback_secret(self, request, queryset):
        for partner in queryset:
            secret = postback_secret_rotate(partner_id=partner.pk, actor=Actor.admin(request.user))
            self.message_user(
                request,
                f"New postback secret for {partner.name}: {secret} — copy it now, it is not shown again.",
                messages.WARNING,
            )


class PartnerAPIKeyForm(forms.ModelForm):
    class Meta:
        model = PartnerAPIKey
        fields = ("partner", "name", "expiry_date")


@admin.register(PartnerAPIKey)
class PartnerAPIKeyAdmin(admin.ModelAdmin):
    form = PartnerAPIKeyForm
    list_display = ("name", "partner", "prefix", "created", "expiry_date", "last_used_at", "revoked_at")
    list_filter = ("revoked", ("partner", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "prefix", "partner__name")
    list_select_related = ("partner",)
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("prefix", "created", "last_used_at", "revoked_at")
        return ("partner", "name", "expiry_date", "prefix", "created", "last_used_at", "revoked_at")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the row keeps what the key did

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing of a key is editable
        data = form.cleaned_data
        try:
            key_row, key = api_key_create(
                partner_id=data["partner"].pk,
                name=data["name"],
                expires_at=data.get("expiry_date"),
                actor=Actor.admin(request.user),
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            raise
        form.instance = key_row
        obj.pk = key_row.pk
        obj._state.adding = False
        self.message_user(
            request,
            f"The API key for {data['partner'].name} is: {key} — copy it now, it is not shown again.",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for key_row in queryset:
            api_key_revoke(partner_id=key_row.partner_id, key_id=key_row.pk, actor=Actor.admin(request.user))
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)
