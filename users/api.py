from dataclasses import asdict

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from clicknback.api.schema import AUTH_ERRORS, VALIDATION, error, errors
from users import services
from users.serializers import (
    AuthLoginInputSerializer,
    AuthRefreshInputSerializer,
    AuthTokenOutputSerializer,
    NotificationSettingsInputSerializer,
    NotificationSettingsOutputSerializer,
    PasswordChangeInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    UserOutputSerializer,
    UserRegisterInputSerializer,
)
from users.throttles import LoginRateThrottle, PasswordResetRateThrottle, RegistrationRateThrottle

RATE_LIMITED = {429: error("RATE_LIMITED (Retry-After header set)")}


class UserRegisterApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [RegistrationRateThrottle]

    @extend_schema(
        operation_id="users_register",
        tags=["users"],
        request=UserRegisterInputSerializer,
        responses={
            201: UserOutputSerializer,
            **errors(
                VALIDATION,
                RATE_LIMITED,
                _400="PASSWORD_NOT_COMPLEX_ENOUGH (details.violations: the first failed rule)",
                _409="EMAIL_ALREADY_REGISTERED (details.email)",
            ),
        },
        auth=[],
    )
    def post(self, request):
        data = UserRegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class UserMeApi(APIView):
    @extend_schema(operation_id="users_me", tags=["users"], responses={200: UserOutputSerializer, **AUTH_ERRORS})
    def get(self, request):
        return Response(UserOutputSerializer(request.user).data)


class NotificationSettingsApi(APIView):
    @extend_schema(
        operation_id="users_me_notification_settings_update",
        tags=["users"],
        request=NotificationSettingsInputSerializer,
        responses={200: NotificationSettingsOutputSerializer, **errors(AUTH_ERRORS, VALIDATION)},
    )
    def patch(self, request):
        serializer = NotificationSettingsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_set_notifications(
            user_id=request.user.pk, email_enabled=serializer.validated_data["email_enabled"]
        )
        return Response(NotificationSettingsOutputSerializer(user).data)


class AuthLoginApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        operation_id="auth_login",
        tags=["auth"],
        request=AuthLoginInputSerializer,
        responses={
            200: AuthTokenOutputSerializer,
            **errors(
                VALIDATION,
                RATE_LIMITED,
                _401="INVALID_CREDENTIALS (unknown email or wrong password) or USER_INACTIVE",
            ),
        },
        auth=[],
    )
    def post(self, request):
        data = AuthLoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.auth_login(**data.validated_data)
        return Response(AuthTokenOutputSerializer(asdict(pair)).data)


class AuthRefreshApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_refresh",
        tags=["auth"],
        request=AuthRefreshInputSerializer,
        responses={
            200: AuthTokenOutputSerializer,
            **errors(
                VALIDATION,
                _401="INVALID_REFRESH_TOKEN (garbage, bad signature, access token, expired), "
                "TOKEN_REVOKED (already used: its descendants are revoked too) or USER_INACTIVE",
            ),
        },
        auth=[],
    )
    def post(self, request):
        data = AuthRefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.auth_refresh(**data.validated_data)
        return Response(AuthTokenOutputSerializer(asdict(pair)).data)


class PasswordChangeApi(APIView):
    @extend_schema(
        operation_id="users_me_password_change",
        tags=["users"],
        request=PasswordChangeInputSerializer,
        responses={
            204: None,
            **errors(
                AUTH_ERRORS,
                VALIDATION,
                _400="PASSWORD_NOT_COMPLEX_ENOUGH",
                _401="INVALID_CREDENTIALS (wrong current password), INVALID_TOKEN, EXPIRED_TOKEN or USER_INACTIVE",
            ),
        },
        description="Every refresh token of the user is revoked, and access tokens issued before "
        "the change are refused from then on (401 INVALID_TOKEN).",
    )
    def post(self, request):
        data = PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_change(user_id=request.user.pk, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


def reset_link(request, token: str) -> str:
    """The wallet page where an emailed reset token is used."""
    return request.build_absolute_uri(reverse("wallet-password-reset-confirm", kwargs={"token": token}))


class PasswordResetApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PasswordResetRateThrottle]

    @extend_schema(
        operation_id="auth_password_reset",
        tags=["auth"],
        request=PasswordResetInputSerializer,
        responses={202: None, **errors(VALIDATION, RATE_LIMITED)},
        description="Always 202, whether or not the email is registered. A registered active user "
        "is emailed a single-use link valid PASSWORD_RESET_TIMEOUT_SECONDS (default 3600).",
        auth=[],
    )
    def post(self, request):
        data = PasswordResetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_request(
            email=data.validated_data["email"], link_for=lambda token: reset_link(request, token)
        )
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PasswordResetRateThrottle]

    @extend_schema(
        operation_id="auth_password_reset_confirm",
        tags=["auth"],
        request=PasswordResetConfirmInputSerializer,
        responses={
            204: None,
            **errors(
                VALIDATION,
                RATE_LIMITED,
                _400="INVALID_RESET_TOKEN (used, expired or forged) or PASSWORD_NOT_COMPLEX_ENOUGH",
            ),
        },
        auth=[],
    )
    def post(self, request):
        data = PasswordResetConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_confirm(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
