from __future__ import annotations

from rest_framework.exceptions import PermissionDenied

from guanxi.care import selectors, services
from guanxi.care.policies import may_manage
from guanxi.core.api.viewsets import ServiceViewSet

from .serializers import CarePlanSerializer, GreetingTemplateSerializer


class CarePlanViewSet(ServiceViewSet):
    """Care plans: visit cadences by grade. Anyone signed in reads them; administrators write."""

    module = None  # a setting, not a customer record: the services require an administrator
    serializer_class = CarePlanSerializer
    ordering = ["grade", "name", "id"]

    def select(self, user):
        return selectors.plan_list(user=user).order_by("grade", "name", "id")

    def create_record(self, *, actor, data):
        return services.create_plan(actor=actor, data=data)

    def update_record(self, *, actor, instance, data, version):
        return services.update_plan(actor=actor, plan=instance, data=data, version=version)

    def delete_record(self, *, actor, instance):
        services.delete_plan(actor=actor, plan=instance)


class GreetingTemplateViewSet(ServiceViewSet):
    """Birthday and festival greeting templates, one per occasion (read and changed by
    administrators only, as on the care settings page). PATCH with the `version` you read;
    unknown placeholders and unclosed braces are refused field by field."""

    serializer_class = GreetingTemplateSerializer
    lookup_field = "occasion"
    lookup_value_regex = r"[a-z_]{1,20}"
    ordering = ["id"]
    filter_backends = []
    http_method_names = ["get", "patch", "head", "options"]

    def check_permissions(self, request):
        super().check_permissions(request)
        if not may_manage(request.user):
            raise PermissionDenied()

    def select(self, user):
        return selectors.template_list(user=user).order_by("id")

    def update_record(self, *, actor, instance, data, version):
        return services.update_template(actor=actor, template=instance, data=data, version=version)
