from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "guanxi.quality"
    label = "quality"
    verbose_name = _("Data quality")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the periodic task and the job handler)
