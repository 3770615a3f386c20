from dataclasses import asdict

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
    UserOutputSerializer,
    UserRegisterInputSerializer,
)
from users.throttles import LoginRateThrottle, RegistrationRateThrottle

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
