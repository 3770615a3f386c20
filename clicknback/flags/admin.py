"""Back office for feature flags: set (create/update) and delete through the services."""

from django.contrib import admin

from clicknback.audit.admin_support import ServiceForm, ServiceModelAdmin, run_for_each
from clicknback.audit.services import Actor
from clicknback.errors import DomainError
from clicknback.flags.models import FeatureFlag
from clicknback.flags.services import flag_delete, flag_set


class FeatureFlagForm(ServiceForm):
    class Meta:
        model = FeatureFlag
        fields = ["key", "scope_type", "scope_id", "enabled", "description"]

    def call_service(self, cleaned_data, actor):
        instance = self.instance
        adding = instance._state.adding
        return flag_set(
            key=cleaned_data["key"] if adding else instance.key,
            scope_type=cleaned_data["scope_type"] if adding else instance.scope_type,
            scope_id=cleaned_data.get("scope_id") if adding else instance.scope_id,
            enabled=cleaned_data["enabled"],
            description=cleaned_data.get("description") or "",
            actor=actor,
        )

    def validate_unique(self):
        """PUT semantics: an existing (key, scope) is updated, not refused."""


@admin.register(FeatureFlag)
class FeatureFlagAdmin(ServiceModelAdmin):
    form = FeatureFlagForm
    list_display = ("key", "scope_type", "scope_id", "enabled", "description", "updated_at")
    list_filter = ("enabled", "scope_type")
    search_fields = ("key", "description", "=scope_id")
    ordering = ("key", "scope_type")
    actions = ["delete_flags"]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("key", "scope_type", "scope_id", "created_at", "updated_at")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["key", "scope_type", "scope_id", "enabled", "description"]
        return ["key", "scope_type", "scope_id", "enabled", "description", "created_at", "updated_at"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # replaced by delete_flags (audited)
        return actions

    def delete_model(self, request, obj):
        try:
            flag_delete(key=obj.key, scope_type=obj.scope_type, scope_id=obj.scope_id, actor=Actor.admin(request.user))
        except DomainError as exc:  # already gone: nothing to undo
            self.message_user(request, exc.message, level="warning")

    def delete_queryset(self, request, queryset):
        for flag in queryset:
            self.delete_model(request, flag)

    @admin.action(description="Delete selected flags (audited)")
    def delete_flags(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda flag, actor: flag_delete(
                key=flag.key, scope_type=flag.scope_type, scope_id=flag.scope_id, actor=actor
            ),
            "{count} flag(s) deleted.",
        )
