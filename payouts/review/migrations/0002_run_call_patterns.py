import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("payouts", "0001_plans_runs_lines"),
        ("review", "0001_notifications"),
    ]

    operations = [
        migrations.CreateModel(
            name="RunCallPatterns",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("generation", models.PositiveIntegerField(verbose_name="computation")),
                ("figures", models.JSONField(default=dict, verbose_name="figures")),
                ("run", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                          related_name="+", to="payouts.payoutrun",
                                          verbose_name="run")),
            ],
            options={
                "verbose_name": "call patterns of a run",
                "verbose_name_plural": "call patterns of runs",
                "constraints": [models.UniqueConstraint(fields=("run", "generation"),
                                                        name="runcallpatterns_once")],
            },
        ),
    ]
