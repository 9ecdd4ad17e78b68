from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "guanxi.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        # Job handlers live in each app's tasks.py; web processes enqueue them by kind, so the
        # registry must be complete there too (the consumer discovers them on its own).
        autodiscover_modules("tasks")
