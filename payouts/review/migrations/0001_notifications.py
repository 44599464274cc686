import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Notification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("event", models.CharField(max_length=100, verbose_name="event")),
                ("subject", models.CharField(max_length=200, verbose_name="subject")),
                ("sent_at", models.DateTimeField(verbose_name="sent at")),
                ("recipient", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name="+",
                    to=settings.AUTH_USER_MODEL, verbose_name="recipient")),
            ],
            options={
                "verbose_name": "notification",
                "verbose_name_plural": "notifications",
                "ordering": ["-sent_at"],
                "constraints": [models.UniqueConstraint(fields=("event", "recipient"),
                                                        name="notification_once")],
            },
        ),
    ]
