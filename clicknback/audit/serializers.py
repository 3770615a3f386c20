from rest_framework import serializers

from clicknback.audit.models import AuditLog


class AuditLogOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditLog
        fields = [
            "id",
            "occurred_at",
            "actor_type",
            "actor_id",
            "action",
            "resource_type",
            "resource_id",
            "outcome",
            "details",
            "request_id",
        ]
        read_only_fields = fields
