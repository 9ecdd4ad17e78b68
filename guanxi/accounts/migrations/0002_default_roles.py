from django.db import migrations


def add_roles(apps, schema_editor):
    from guanxi.accounts.policies import DEFAULT_ROLES

    Role = apps.get_model("accounts", "Role")
    for code, spec in DEFAULT_ROLES.items():
        Role.objects.get_or_create(
            code=code,
            defaults={
                "name": spec["name"],
                "is_admin": spec.get("is_admin", False),
                "data_scope": spec["data_scope"],
                "can_view_contact_details": spec["can_view_contact_details"],
                "permissions": spec["permissions"],
            },
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(add_roles, migrations.RunPython.noop)]
