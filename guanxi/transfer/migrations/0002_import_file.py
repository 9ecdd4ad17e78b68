"""Uploaded files move out of the import's row into a row of their own (ImportFile)."""

import django.db.models.deletion
from django.db import migrations, models


def move_files(apps, schema_editor):
    Import = apps.get_model("transfer", "Import")
    ImportFile = apps.get_model("transfer", "ImportFile")
    for pk in Import.objects.values_list("pk", flat=True).iterator():
        content = Import.objects.filter(pk=pk).values_list("content", flat=True).get()
        ImportFile.objects.create(import_run_id=pk, content=bytes(content or b""))


def move_back(apps, schema_editor):
    Import = apps.get_model("transfer", "Import")
    ImportFile = apps.get_model("transfer", "ImportFile")
    for f in ImportFile.objects.all().iterator():
        Import.objects.filter(pk=f.import_run_id).update(content=f.content)


class Migration(migrations.Migration):
    dependencies = [
        ("transfer", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportFile",
            fields=[
                (
                    "import_run",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="file",
                        serialize=False,
                        to="transfer.import",
                    ),
                ),
                ("content", models.BinaryField()),
            ],
        ),
        migrations.RunPython(move_files, move_back),
        migrations.RemoveField(
            model_name="import",
            name="content",
        ),
    ]
