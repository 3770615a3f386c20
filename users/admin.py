"""Back office for accounts: create users and admins, deactivate and reactivate them.

Every write goes through ``users.services`` as the signed-in admin, so it is validated
(password rules, unique email) and audited exactly like the API.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group

from clicknback.audit.admin_support import ServiceForm, ServiceModelAdmin, run_for_each
from users.models import Role, User
from users.services import user_create, user_set_active

admin.site.site_header = "ClickNBack back office"
admin.site.site_title = "ClickNBack back office"
admin.site.index_title = "Administration"
# Access follows the user role (admin = staff); Django groups are not used.
admin.site.unregister(Group)


class UserAddForm(ServiceForm):
    new_password = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        help_text="At least 8 characters with an upper-case letter, a lower-case letter, a digit and a symbol.",
    )

    class Meta:
        model = User
        fields = ["email", "role"]

    def call_service(self, cleaned_data, actor):
        return user_create(
            email=cleaned_data["email"], password=cleaned_data["new_password"], role=cleaned_data["role"], actor=actor
        )

    def validate_unique(self):
        """The service reports a taken email (EMAIL_ALREADY_REGISTERED) as a form error."""


@admin.register(User)
class UserAdmin(ServiceModelAdmin):
    add_form = UserAddForm
    list_display = ("email", "role", "is_active", "created_at", "last_login")
    list_filter = ("role", "is_active", "created_at")
    search_fields = ("email", "=id")
    ordering = ("-created_at", "-id")
    readonly_fields = ("id", "email", "role", "is_active", "is_staff", "is_superuser", "created_at", "updated_at")
    fields = readonly_fields
    actions = ["deactivate_users", "activate_users"]

    def get_fields(self, request, obj=None):
        return ["email", "role", "new_password"] if obj is None else list(self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_changeform_initial_data(self, request):
        return {"role": Role.USER}

    def has_delete_permission(self, request, obj=None):
        return False  # accounts own money history: deactivate instead

    @admin.action(description="Deactivate selected users (revokes their refresh tokens)")
    def deactivate_users(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda user, actor: user_set_active(user_id=user.pk, active=False, actor=actor),
            "{count} user(s) deactivated.",
        )

    @admin.action(description="Reactivate selected users")
    def activate_users(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda user, actor: user_set_active(user_id=user.pk, active=True, actor=actor),
            "{count} user(s) active.",
        )
