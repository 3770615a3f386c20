from rest_framework import serializers

from clicknback.api.fields import StrictBooleanField, StrictCharField, StrictChoiceField, StrictUUIDField
from clicknback.flags.models import FeatureFlag, ScopeType


class FeatureFlagSetInputSerializer(serializers.Serializer):
    enabled = StrictBooleanField()
    scope_type = StrictChoiceField(choices=ScopeType.values, default=ScopeType.GLOBAL)
    scope_id = StrictUUIDField(required=False, allow_null=True, default=None)
    description = StrictCharField(
        required=False, allow_blank=True, max_length=500, help_text="Omitted: the current description is kept."
    )


class FeatureFlagOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeatureFlag
        fields = ["id", "key", "enabled", "scope_type", "scope_id", "description", "created_at", "updated_at"]
        read_only_fields = fields


class FeatureFlagEvaluationOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    enabled = serializers.BooleanField()
