"""search_text gets a mark between the names and the contact details (keys.CONTACTS_MARK), so
that users whose role masks contact details match names only. Existing rows are recomputed."""

from django.db import migrations

BATCH = 2000


def recompute(apps, schema_editor):
    from guanxi.customers.keys import search_keys

    Customer = apps.get_model("customers", "Customer")
    ContactPoint = apps.get_model("customers", "ContactPoint")
    last = 0
    while True:
        batch = list(Customer.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        points: dict[int, list[tuple[str, str]]] = {}
        for cp in ContactPoint.objects.filter(customer_id__in=[c.pk for c in batch]):
            points.setdefault(cp.customer_id, []).append((cp.kind, cp.normalized))
        for c in batch:
            c.search_text = search_keys(
                kind=c.kind,
                display_name=c.display_name,
                legal_name=c.legal_name,
                short_name=c.short_name,
                aliases=c.aliases or [],
                contact_points=points.get(c.pk, []),
            )["search_text"]
        Customer.objects.bulk_update(batch, ["search_text"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_note")]
    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
