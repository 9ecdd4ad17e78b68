from django.db import migrations

# What each built-in role may do with tasks (accounts.policies.DEFAULT_ROLES), written down here
# so that the migration does not change when the defaults do.
TASK_PERMISSIONS = {
    "admin": ["view", "create", "change", "delete", "export"],
    "manager": ["view", "create", "change", "delete", "export"],
    "sales": ["view", "create", "change", "delete"],
    "service": ["view", "create", "change"],
    "analyst": ["view", "create", "change"],
    "read-only": ["view", "create", "change"],
}


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code__in=TASK_PERMISSIONS):
        permissions = dict(role.permissions or {})
        if "tasks" in permissions:
            continue
        permissions["tasks"] = TASK_PERMISSIONS[role.code]
        role.permissions = permissions
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("followups", "0001_initial"), ("accounts", "0002_default_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
