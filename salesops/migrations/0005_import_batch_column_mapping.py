# The same field as import-robust's 0005_import_conflicts_changes_heartbeat adds (identical
# definition): when both branches meet, keep theirs and drop this migration.
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('salesops', '0004_seed_status_mappings'),
    ]

    operations = [
        migrations.AddField(
            model_name='importbatch',
            name='mapping',
            field=models.JSONField(blank=True, default=dict, verbose_name='column mapping'),
        ),
    ]
