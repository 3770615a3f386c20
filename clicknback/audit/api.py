from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView

from clicknback.api.filtering import filter_parameters, filter_query
from clicknback.api.pagination import SmallPagination
from clicknback.api.permissions import IsAdmin
from clicknback.api.schema import ADMIN_ERRORS, VALIDATION, errors
from clicknback.audit.filters import AuditLogFilter
from clicknback.audit.selectors import audit_log_list
from clicknback.audit.serializers import AuditLogOutputSerializer


class AuditLogListApi(ListAPIView):
    permission_classes = [IsAdmin]
    pagination_class = SmallPagination
    serializer_class = AuditLogOutputSerializer

    def get_queryset(self):
        return filter_query(AuditLogFilter, self.request, audit_log_list()).qs

    @extend_schema(
        operation_id="audit_logs_list",
        tags=["audit"],
        parameters=filter_parameters(AuditLogFilter),
        responses={200: AuditLogOutputSerializer(many=True), **errors(ADMIN_ERRORS, VALIDATION)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
