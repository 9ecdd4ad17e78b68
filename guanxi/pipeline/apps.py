from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "guanxi.pipeline"
    label = "pipeline"
    verbose_name = _("Sales pipeline")
