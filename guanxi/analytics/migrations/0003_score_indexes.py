"""Fewer indexes on the score table, which the nightly recompute rewrites whole: the indexes on
segment, lifetime value and churn risk go (segment rules read the narrow table in one pass);
the warning index and the win-back task's foreign key index keep only the rows that have one.

The foreign key's own index is dropped by name instead of through AlterField, which on SQLite
would copy the whole table to change an index."""

import django.db.models.deletion
from django.db import migrations, models

FK_INDEX = "analytics_customerscore_winback_task_id_39de1c72"


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_scoring"),
        ("followups", "0002_task_permissions"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="customerscore", name="score_rfm_segment"),
        migrations.RemoveIndex(model_name="customerscore", name="score_clv"),
        migrations.RemoveIndex(model_name="customerscore", name="score_churn_risk"),
        migrations.RemoveIndex(model_name="customerscore", name="score_warning"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="customerscore",
                    name="winback_task",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="followups.task",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{FK_INDEX}"',
                    reverse_sql=(
                        f'CREATE INDEX "{FK_INDEX}" ON "analytics_customerscore" '
                        '("winback_task_id")'
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="customerscore",
            index=models.Index(
                condition=models.Q(("warning", True)), fields=["customer"], name="score_warned"
            ),
        ),
        migrations.AddIndex(
            model_name="customerscore",
            index=models.Index(
                condition=models.Q(("winback_task__isnull", False)),
                fields=["winback_task"],
                name="score_winback_task",
            ),
        ),
    ]
