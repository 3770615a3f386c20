from clicknback.api.routing import route
from users.api import AuthLoginApi, AuthRefreshApi, NotificationSettingsApi, UserMeApi, UserRegisterApi

urlpatterns = [
    route("users", UserRegisterApi.as_view(), name="users-register"),
    route("users/me", UserMeApi.as_view(), name="users-me"),
    route("users/me/notification-settings", NotificationSettingsApi.as_view(), name="users-me-notification-settings"),
    route("auth/login", AuthLoginApi.as_view(), name="auth-login"),
    route("auth/refresh", AuthRefreshApi.as_view(), name="auth-refresh"),
]
