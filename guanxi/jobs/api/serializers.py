from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.jobs.models import Job

# Jobs an administrator may start through the API.
STARTABLE_KINDS = {"customers.rebuild_aggregates": _("Rebuild customer aggregates")}


class JobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "params",
            "progress_done",
            "progress_total",
            "percent",
            "message",
            "result",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class JobStartSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(STARTABLE_KINDS.items()))
