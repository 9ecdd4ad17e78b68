from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "guanxi.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from . import charts, external, services  # noqa: F401  (registers charts and jobs)

        # Charts of other apps: each registers only when its app is installed.
        external.register_all()
