"""Recompute the search keys (traditional characters now meet simplified ones; organisation keys
lose more legal forms, punctuation and industry words) and fill the completeness score of every
existing customer, in id ranges of BATCH rows. An UPDATE keeps the search triggers working on
SQLite (the table is not rebuilt); on PostgreSQL the trigram index follows the rows by itself."""

from django.db import migrations
from django.db.models import Max, Min

BATCH = 5000


def recompute(apps, schema_editor):
    from guanxi.customers.completeness import keys_if_changed_by_0007, recompute_range

    Customer = apps.get_model("customers", "Customer")
    bounds = Customer.objects.aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        return
    start = bounds["low"]
    while start <= bounds["high"]:
        recompute_range(
            Customer=Customer,
            ContactPoint=apps.get_model("customers", "ContactPoint"),
            Address=apps.get_model("customers", "Address"),
            Contact=apps.get_model("customers", "Contact"),
            low=start,
            high=start + BATCH - 1,
            keys=keys_if_changed_by_0007,
        )
        start += BATCH


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_uniquecontactkey")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
