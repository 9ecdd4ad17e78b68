from rest_framework import serializers

from guanxi.analytics.models import ModelFit


class ModelFitSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelFit
        fields = [
            "r",
            "alpha",
            "a",
            "b",
            "p",
            "q",
            "gamma",
            "log_likelihood",
            "converged",
            "customers",
            "as_of",
            "fitted_at",
        ]
        read_only_fields = fields


class RecomputeSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(required=False, allow_null=True)
