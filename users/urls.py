from clicknback.api.routing import route
from users.api import (
    AuthLoginApi,
    AuthRefreshApi,
    NotificationSettingsApi,
    PasswordChangeApi,
    PasswordResetApi,
    PasswordResetConfirmApi,
    UserMeApi,
    UserRegisterApi,
)

urlpatterns = [
    route("users", UserRegisterApi.as_view(), name="users-register"),
    route("users/me", UserMeApi.as_view(), name="users-me"),
    route("users/me/notification-settings", NotificationSettingsApi.as_view(), name="users-me-notification-settings"),
    route("auth/login", AuthLoginApi.as_view(), name="auth-login"),
    route("auth/refresh", AuthRefreshApi.as_view(), name="auth-refresh"),
    route("users/me/password", PasswordChangeApi.as_view(), name="users-me-password"),
    route("auth/password-reset", PasswordResetApi.as_view(), name="auth-password-reset"),
    route("auth/password-reset/confirm", PasswordResetConfirmApi.as_view(), name="auth-password-reset-confirm"),
]
