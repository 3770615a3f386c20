from rest_framework import serializers

from clicknback.api.fields import StrictBooleanField, StrictCharField, StrictEmailField
from users.models import User


class UserRegisterInputSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    # Complexity (and the 128-character ceiling) is the service's rule → 400, not 422.
    password = StrictCharField(printable=False, allow_blank=True)


class UserOutputSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "active", "role", "created_at"]
        read_only_fields = fields


class AuthLoginInputSerializer(serializers.Serializer):
    # A lookup key, normalised like the registered address (trimmed, lower-cased).
    email = StrictCharField(max_length=254, printable=False, trim_whitespace=True)
    password = StrictCharField(printable=False, max_length=4096)


class AuthRefreshInputSerializer(serializers.Serializer):
    refresh_token = StrictCharField(max_length=4096)


class AuthTokenOutputSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(help_text='Always "bearer".')
    expires_in = serializers.IntegerField(help_text="Access token lifetime in seconds.")


class NotificationSettingsInputSerializer(serializers.Serializer):
    email_enabled = StrictBooleanField()


class NotificationSettingsOutputSerializer(serializers.Serializer):
    email_enabled = serializers.BooleanField(source="email_notifications")


class PasswordChangeInputSerializer(serializers.Serializer):
    current_password = StrictCharField(printable=False, max_length=4096)
    # Complexity is the service's rule → 400, not 422.
    new_password = StrictCharField(printable=False, allow_blank=True)


class PasswordResetInputSerializer(serializers.Serializer):
    email = StrictCharField(max_length=254, printable=False, trim_whitespace=True)


class PasswordResetConfirmInputSerializer(serializers.Serializer):
    token = StrictCharField(max_length=512)
    new_password = StrictCharField(printable=False, allow_blank=True)
