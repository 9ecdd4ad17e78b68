from django.db import migrations

# What each built-in role may do in the modules of service, pipeline and analysis
# (accounts.policies.DEFAULT_ROLES), written down here so that the migration does not change
# when the defaults do. A role that already has an entry for a module keeps it.
ALL = ["view", "create", "change", "delete", "export"]
NEW_PERMISSIONS = {
    "admin": {
        m: ALL
        for m in (
            "opportunities",
            "tickets",
            "needs",
            "surveys",
            "articles",
            "analytics",
            "segments",
        )
    },
    "manager": {
        "opportunities": ALL,
        "tickets": ALL,
        "needs": ALL,
        "surveys": ALL,
        "articles": ALL,
        "analytics": ["view", "export"],
        "segments": ALL,
    },
    "sales": {
        "opportunities": ["view", "create", "change", "delete"],
        "tickets": ["view", "create", "change"],
        "needs": ["view", "create", "change"],
        "surveys": ["view", "create"],
        "articles": ["view"],
        "analytics": ["view"],
        "segments": ["view", "create", "change"],
    },
    "service": {
        "opportunities": ["view"],
        "tickets": ["view", "create", "change", "export"],
        "needs": ["view", "create", "change"],
        "surveys": ["view", "create", "change", "export"],
        "articles": ["view", "create", "change", "delete"],
        "analytics": ["view"],
        "segments": ["view"],
    },
    "analyst": {
        "opportunities": ["view", "export"],
        "tickets": ["view", "export"],
        "needs": ["view", "export"],
        "surveys": ["view", "export"],
        "articles": ["view"],
        "analytics": ["view", "export"],
        "segments": ["view", "create", "change", "delete", "export"],
    },
    "read-only": {
        m: ["view"]
        for m in (
            "opportunities",
            "tickets",
            "needs",
            "surveys",
            "articles",
            "analytics",
            "segments",
        )
    },
}


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code__in=NEW_PERMISSIONS):
        permissions = dict(role.permissions or {})
        missing = {m: a for m, a in NEW_PERMISSIONS[role.code].items() if m not in permissions}
        if missing:
            role.permissions = permissions | missing
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_saved_view")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
