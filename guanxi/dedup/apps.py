from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DedupConfig(AppConfig):
    name = "guanxi.dedup"
    label = "dedup"
    verbose_name = _("Duplicates")

    def ready(self) -> None:
        from guanxi.customers import services as customer_services

        from . import tasks  # noqa: F401  (registers the scan job)
        from .services import refuse_restore_of_merged

        if refuse_restore_of_merged not in customer_services.RESTORE_GUARDS:
            customer_services.RESTORE_GUARDS.append(refuse_restore_of_merged)
