"""The audit log in the back office: read-only (no add, change or delete), filterable."""

from django.contrib import admin

from clicknback.audit.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "actor_type", "actor_id", "action", "resource_type", "resource_id", "outcome")
    list_filter = ("actor_type", "action", "resource_type", "outcome", "occurred_at")
    search_fields = ("=resource_id", "action", "=actor_id", "=request_id")
    date_hierarchy = "occurred_at"
    ordering = ("-occurred_at", "-id")
    readonly_fields = (
        "id",
        "occurred_at",
        "actor_type",
        "actor_id",
        "action",
        "resource_type",
        "resource_id",
        "outcome",
        "details",
        "request_id",
    )
    fields = readonly_fields
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
