from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView

from clicknback.api.pagination import SmallPagination
from clicknback.api.permissions import IsAdmin
from clicknback.api.schema import ADMIN_ERRORS, VALIDATION, errors
from clicknback.audit.params import param_str, parse_uuid_param
from clicknback.audit.selectors import audit_log_list
from clicknback.audit.serializers import AuditLogOutputSerializer


class AuditLogListApi(ListAPIView):
    permission_classes = [IsAdmin]
    pagination_class = SmallPagination
    serializer_class = AuditLogOutputSerializer

    def get_queryset(self):
        params = self.request.query_params
        return audit_log_list(
            action=param_str(params, "action"),
            resource_type=param_str(params, "resource_type"),
            resource_id=param_str(params, "resource_id"),
            actor_id=parse_uuid_param(params, "actor_id"),
        )

    @extend_schema(
        operation_id="audit_logs_list",
        tags=["audit"],
        parameters=[
            OpenApiParameter("action", str, description='e.g. "offer.activated"'),
            OpenApiParameter("resource_type", str, description='e.g. "offer"'),
            OpenApiParameter("resource_id", str),
            OpenApiParameter("actor_id", OpenApiTypes.UUID),
        ],
        responses={200: AuditLogOutputSerializer(many=True), **errors(ADMIN_ERRORS, VALIDATION)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
