"""The default ticket categories, SLA targets and business hours (the admin edits them)."""

from decimal import Decimal

from django.db import migrations

CATEGORIES = [
    ("product", "Product", "产品"),
    ("service", "Service", "服务"),
    ("price", "Price", "价格"),
    ("delivery", "Delivery", "物流配送"),
    ("other", "Other", "其他"),
]
TARGETS = {"urgent": (1, 8), "high": (4, 24), "normal": (8, 40), "low": (16, 80)}


def install(apps, schema_editor):
    Category = apps.get_model("tickets", "TicketCategory")
    Target = apps.get_model("tickets", "SlaTarget")
    Settings = apps.get_model("tickets", "ServiceSettings")
    for position, (code, name, name_zh) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            code=code, defaults={"name": name, "name_zh": name_zh, "position": position}
        )
    for priority, (first, resolution) in TARGETS.items():
        Target.objects.get_or_create(
            priority=priority,
            defaults={
                "first_response_hours": Decimal(first),
                "resolution_hours": Decimal(resolution),
            },
        )
    Settings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
