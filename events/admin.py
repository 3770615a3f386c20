"""Back office for webhooks and notifications (contract §14): endpoints (deactivate,
reactivate), deliveries (filter, retry) and emails. Changes go through the services,
as the admin, with their audit rows; endpoint secrets are never shown."""

from django.contrib import admin, messages

from clicknback.audit.services import Actor
from clicknback.errors import DomainError
from events.deliveries import webhook_delivery_retry
from events.models import Notification, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from events.services import webhook_endpoint_set_active


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(_ReadOnly):
    list_display = ("url", "partner", "active", "failures_in_row", "deactivated_at", "deleted_at", "created_at")
    list_filter = ("active", "partner")
    search_fields = ("url", "=id")
    fields = (
        "partner",
        "url",
        "event_types",
        "active",
        "failures_in_row",
        "deactivated_at",
        "deleted_at",
        "created_at",
    )
    readonly_fields = fields
    actions = ["deactivate", "reactivate"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super(_ReadOnly, self).has_change_permission(request, obj)  # the actions only

    def _set_active(self, request, queryset, active: bool) -> None:
        changed = 0
        for endpoint in queryset.filter(deleted_at__isnull=True):
            webhook_endpoint_set_active(endpoint_id=endpoint.pk, active=active, actor=Actor.admin(request.user))
            changed += 1
        self.message_user(request, f"{changed} endpoint(s) {'reactivated' if active else 'deactivated'}.")

    @admin.action(description="Deactivate the selected endpoints")
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description="Reactivate the selected endpoints (the failure count starts again)")
    def reactivate(self, request, queryset):
        self._set_active(request, queryset, True)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("attempted_at", "status_code", "error", "duration_ms")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ReadOnly):
    list_display = (
        "event_type",
        "resource_id",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    )
    list_filter = ("status", ("endpoint__partner", admin.RelatedOnlyFieldListFilter), "event_type")
    search_fields = ("=id", "=event__id", "=resource_id")
    list_select_related = ("endpoint",)
    fields = (
        "event",
        "endpoint",
        "event_type",
        "resource_id",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "claimed_until",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["retry"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super(_ReadOnly, self).has_change_permission(request, obj)  # the actions only

    @admin.action(description="Deliver the selected deliveries again now")
    def retry(self, request, queryset):
        done = 0
        for delivery in queryset:
            try:
                webhook_delivery_retry(delivery_id=delivery.pk, actor=Actor.admin(request.user))
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{delivery.pk}: {exc.message}", level=messages.WARNING)
        self.message_user(request, f"{done} delivery(ies) queued again.")


@admin.register(Notification)
class NotificationAdmin(_ReadOnly):
    list_display = ("event", "user", "status", "attempts", "sent_at", "created_at")
    list_filter = ("status",)
    search_fields = ("=event__id", "user__email")
    list_select_related = ("event", "user")
    readonly_fields = ("event", "user", "status", "attempts", "last_error", "claimed_until", "sent_at", "created_at")
