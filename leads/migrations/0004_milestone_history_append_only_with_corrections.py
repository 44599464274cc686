"""SPEC §2: a lead's milestone history is append-only. A wrong row is voided by a correction
row with a reason; on PostgreSQL a trigger refuses UPDATE and DELETE of milestone rows.

Two changes stay possible, both whole-history moves rather than rewrites: a merge of duplicate
leads moves rows to the kept lead unchanged (only ``lead_id`` changes, audited by the service),
and wiping the whole demo organisation (``seed_demo --reset``) sets the transaction-local
``salesops.wipe_history`` (``leads.services.milestone_history_wipe_allow``).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION leads_milestone_is_append_only() RETURNS trigger AS $$
BEGIN
    IF current_setting('salesops.wipe_history', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.kind = OLD.kind AND NEW.at = OLD.at
       AND NEW.set_by_id IS NOT DISTINCT FROM OLD.set_by_id AND NEW.note = OLD.note
       AND NEW.reason = OLD.reason AND NEW.corrects_id IS NOT DISTINCT FROM OLD.corrects_id
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'lead milestone history is append-only: record a correction (SPEC 2)'
        USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER leads_leadmilestone_append_only BEFORE UPDATE OR DELETE ON leads_leadmilestone
    FOR EACH ROW EXECUTE FUNCTION leads_milestone_is_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS leads_leadmilestone_append_only ON leads_leadmilestone;
DROP FUNCTION IF EXISTS leads_milestone_is_append_only();
"""


def triggers(apps, schema_editor):
    # SQLite has no such trigger here; the services refuse there (leads.services).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [
        ('leads', '0003_audit_append_only_and_role_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='leadmilestone',
            name='corrects',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='correction', to='leads.leadmilestone', verbose_name='corrects'),
        ),
        migrations.AddField(
            model_name='leadmilestone',
            name='reason',
            field=models.TextField(blank=True, verbose_name='reason of the correction'),
        ),
        migrations.AlterField(
            model_name='leadmilestone',
            name='kind',
            field=models.CharField(choices=[('confirmed', 'Confirmed'), ('arrived', 'Arrived'), ('won', 'Won'), ('lost', 'Lost'), ('fake', 'Fake'), ('correction', 'Correction')], max_length=16, verbose_name='milestone'),
        ),
        migrations.AddConstraint(
            model_name='leadmilestone',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('corrects__isnull', False), ('kind', 'correction'), models.Q(('reason', ''), _negated=True)), models.Q(models.Q(('kind', 'correction'), _negated=True), ('corrects__isnull', True)), _connector='OR'), name='milestone_correction_has_target_and_reason'),
        ),
        migrations.AddConstraint(
            model_name='leadmilestone',
            constraint=models.CheckConstraint(condition=models.Q(('corrects', models.F('pk')), _negated=True), name='milestone_not_correcting_itself'),
        ),
        migrations.RunPython(triggers, drop_triggers),
    ]
