import uuid

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clicknback.api.filtering import filter_parameters, filter_query
from clicknback.api.pagination import OffsetLimitPagination
from clicknback.api.permissions import IsAdmin
from clicknback.api.schema import ADMIN_ERRORS, error, errors
from clicknback.audit.services import Actor
from clicknback.flags import services
from clicknback.flags.filters import FeatureFlagFilter, FeatureFlagScopeFilter
from clicknback.flags.models import FeatureFlag, ScopeType
from clicknback.flags.serializers import (
    FeatureFlagEvaluationOutputSerializer,
    FeatureFlagOutputSerializer,
    FeatureFlagSetInputSerializer,
)

SCOPE_422 = {422: error("VALIDATION_ERROR or FEATURE_FLAG_SCOPE_ID_REQUIRED")}
SCOPE_PARAMETERS = filter_parameters(FeatureFlagScopeFilter)


def _scope_from_query(request: Request) -> tuple[str, uuid.UUID | None]:
    scope = filter_query(FeatureFlagScopeFilter, request, FeatureFlag.objects.all()).form.cleaned_data
    return services.flag_validate_scope(scope_type=scope["scope_type"] or ScopeType.GLOBAL, scope_id=scope["scope_id"])


class FeatureFlagListApi(ListAPIView):
    permission_classes = [IsAdmin]
    pagination_class = OffsetLimitPagination
    serializer_class = FeatureFlagOutputSerializer

    def get_queryset(self):
        return filter_query(FeatureFlagFilter, self.request, services.flag_list()).qs

    @extend_schema(
        operation_id="feature_flags_list",
        tags=["feature-flags"],
        parameters=filter_parameters(FeatureFlagFilter),
        responses={200: FeatureFlagOutputSerializer(many=True), **errors(ADMIN_ERRORS), 422: error("VALIDATION_ERROR")},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class FeatureFlagDetailApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="feature_flags_set",
        tags=["feature-flags"],
        request=FeatureFlagSetInputSerializer,
        responses={200: FeatureFlagOutputSerializer, **errors(ADMIN_ERRORS), **SCOPE_422},
    )
    def put(self, request, key):
        services.flag_validate_key(key=key)
        data = FeatureFlagSetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flag = services.flag_set(key=key, **data.validated_data, actor=Actor.of(request.user))
        return Response(FeatureFlagOutputSerializer(flag).data)

    @extend_schema(
        operation_id="feature_flags_delete",
        tags=["feature-flags"],
        parameters=SCOPE_PARAMETERS,
        responses={
            204: OpenApiResponse(description="Deleted"),
            **errors(ADMIN_ERRORS, _404="FEATURE_FLAG_NOT_FOUND"),
            **SCOPE_422,
        },
    )
    def delete(self, request, key):
        services.flag_validate_key(key=key)
        scope_type, scope_id = _scope_from_query(request)
        services.flag_delete(key=key, scope_type=scope_type, scope_id=scope_id, actor=Actor.of(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeatureFlagEvaluateApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="feature_flags_evaluate",
        tags=["feature-flags"],
        description="The exact scoped flag, else the global one, else true (fail-open).",
        parameters=SCOPE_PARAMETERS,
        responses={200: FeatureFlagEvaluationOutputSerializer, **errors(ADMIN_ERRORS), **SCOPE_422},
    )
    def get(self, request, key):
        services.flag_validate_key(key=key)
        scope_type, scope_id = _scope_from_query(request)
        enabled = services.flag_evaluate(key=key, scope_type=scope_type, scope_id=scope_id)
        return Response(FeatureFlagEvaluationOutputSerializer({"key": key, "enabled": enabled}).data)
