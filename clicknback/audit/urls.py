from clicknback.api.routing import route
from clicknback.audit.api import AuditLogListApi

urlpatterns = [
    route("admin/audit-logs", AuditLogListApi.as_view(), name="audit-logs"),
]
