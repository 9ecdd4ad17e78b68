from __future__ import annotations

from guanxi.care import selectors, services
from guanxi.core.api.viewsets import ServiceViewSet

from .serializers import CarePlanSerializer


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
