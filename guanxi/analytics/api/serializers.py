from rest_framework import serializers

from guanxi.analytics.models import ModelFit


class ModelFitSerializer(serializers.ModelSerializer):
    """`customers` (how many the fit covered) is null unless the context says the reader may
    see the whole base (`show_size`)."""

    customers = serializers.SerializerMethodField()

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

    def get_customers(self, fit: ModelFit) -> int | None:
        return fit.customers if self.context.get("show_size") else None


class RecomputeSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(required=False, allow_null=True)
