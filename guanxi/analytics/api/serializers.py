import datetime as dt

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.analytics.models import ModelFit


class ModelFitSerializer(serializers.ModelSerializer):
    """`customers` (how many the fit covered) and a backtest's `holdout` (counts and averages
    over the whole base) are null unless the context says the reader may see the whole base
    (`show_size`)."""

    customers = serializers.SerializerMethodField()
    holdout = serializers.SerializerMethodField()

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
            "backtest",
            "holdout",
        ]
        read_only_fields = fields

    def get_customers(self, fit: ModelFit) -> int | None:
        return fit.customers if self.context.get("show_size") else None

    def get_holdout(self, fit: ModelFit) -> dict | None:
        return fit.holdout if self.context.get("show_size") and fit.backtest else None


class RecomputeSerializer(serializers.Serializer):
    """`as_of`: a moment (2025-12-31T18:00:00+08:00) or a day (2025-12-31: up to its end, in
    the server's time zone) for a backtest."""

    as_of = serializers.DateTimeField(
        required=False,
        allow_null=True,
        input_formats=["iso-8601"],
        help_text="A backtest's end of calibration: an ISO 8601 moment, or a day (its end).",
        error_messages={
            "invalid": _("Enter a date (2025-12-31) or a moment (2025-12-31T18:00:00+08:00).")
        },
    )

    def to_internal_value(self, data):
        """A day stays a date: services.start_recompute reads it as up to its end."""
        value = data.get("as_of") if hasattr(data, "get") else None
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                return {"as_of": dt.date.fromisoformat(value.strip())}
            except ValueError:
                raise serializers.ValidationError(
                    {"as_of": [self.fields["as_of"].error_messages["invalid"]]}
                ) from None
        return super().to_internal_value(data)


class StageStaySerializer(serializers.Serializer):
    """One stay of a customer in a lifecycle stage; `ended` is null for the current one."""

    stage = serializers.CharField()
    label = serializers.CharField()
    began = serializers.DateTimeField()
    ended = serializers.DateTimeField(allow_null=True)
    days = serializers.FloatField()


class StageTimeSerializer(serializers.Serializer):
    """Days spent in one lifecycle stage over the customers the reader may see."""

    stage = serializers.CharField()
    label = serializers.CharField()
    stays = serializers.IntegerField()
    average_days = serializers.FloatField()
    median_days = serializers.FloatField()


class StageStayListSerializer(serializers.Serializer):
    results = StageStaySerializer(many=True)


class StageTimeListSerializer(serializers.Serializer):
    results = StageTimeSerializer(many=True)
    as_of = serializers.DateTimeField(
        allow_null=True,
        help_text="When the figures were computed (the summary job's run, for a user who sees "
        "every customer); null: computed now.",
    )
