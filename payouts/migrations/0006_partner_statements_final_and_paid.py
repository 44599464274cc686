"""Partner statements go draft → final → paid (SPEC §5, §7), and their carried balance chains
from one statement to the next (``carried_from``, filled here for the statements there are).

On PostgreSQL a final or paid statement is kept as it is by triggers, like locked payout runs
(migration 0002): its lines cannot be inserted, changed or deleted; the statement cannot be
deleted, and its only allowed changes are final → paid (with who and when).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION payouts_refuse_closed_statement_line() RETURNS trigger AS $$
DECLARE
    closed_status text;
BEGIN
    SELECT status INTO closed_status FROM payouts_partnerstatement
     WHERE id IN (
        CASE WHEN TG_OP = 'DELETE' THEN OLD.statement_id ELSE NEW.statement_id END,
        CASE WHEN TG_OP = 'INSERT' THEN NEW.statement_id ELSE OLD.statement_id END
     ) AND status IN ('final', 'paid')
     LIMIT 1;
    IF closed_status IS NOT NULL THEN
        RAISE EXCEPTION 'partner statement is %, its lines cannot change (SPEC 5)',
            closed_status USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION payouts_refuse_closed_statement_change() RETURNS trigger AS $$
BEGIN
    IF OLD.status NOT IN ('final', 'paid') THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a % partner statement cannot be deleted (SPEC 5)', OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.partner_id <> OLD.partner_id OR NEW.month <> OLD.month
       OR NEW.carried_from_id IS DISTINCT FROM OLD.carried_from_id
       OR NEW.carried_in <> OLD.carried_in OR NEW.earned <> OLD.earned
       OR NEW.payable <> OLD.payable OR NEW.carried_out <> OLD.carried_out
       OR NEW.computed_at <> OLD.computed_at
       OR NEW.finalised_at IS DISTINCT FROM OLD.finalised_at
       OR NEW.finalised_by_id IS DISTINCT FROM OLD.finalised_by_id
       OR (OLD.status = 'paid' AND (NEW.status <> OLD.status
           OR NEW.paid_at IS DISTINCT FROM OLD.paid_at
           OR NEW.paid_by_id IS DISTINCT FROM OLD.paid_by_id))
       OR (OLD.status = 'final' AND NEW.status NOT IN ('final', 'paid'))
    THEN
        RAISE EXCEPTION 'a % partner statement is immutable (SPEC 5)', OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payouts_statementline_closed
    BEFORE INSERT OR UPDATE OR DELETE ON payouts_partnerstatementline
    FOR EACH ROW EXECUTE FUNCTION payouts_refuse_closed_statement_line();
CREATE TRIGGER payouts_statement_closed BEFORE UPDATE OR DELETE ON payouts_partnerstatement
    FOR EACH ROW EXECUTE FUNCTION payouts_refuse_closed_statement_change();
"""

DROP = """
DROP TRIGGER IF EXISTS payouts_statement_closed ON payouts_partnerstatement;
DROP TRIGGER IF EXISTS payouts_statementline_closed ON payouts_partnerstatementline;
DROP FUNCTION IF EXISTS payouts_refuse_closed_statement_change();
DROP FUNCTION IF EXISTS payouts_refuse_closed_statement_line();
"""


def chain_carried_balances(apps, schema_editor):
    """Each existing statement carried its balance in from the partner's statement before."""
    statement_model = apps.get_model("payouts", "PartnerStatement")
    previous = {}
    for statement in statement_model.objects.order_by("partner_id", "month"):
        before = previous.get(statement.partner_id)
        if before is not None:
            statement.carried_from_id = before
            statement.save(update_fields=["carried_from"])
        previous[statement.partner_id] = statement.pk


def create_triggers(apps, schema_editor):
    # SQLite has no such triggers here; the services refuse there (payouts.partners).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('leads', '0005_audit_entry_by_may_be_a_scheduled_job'),
        ('payouts', '0005_exception_and_statement_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='partnerstatementline',
            name='partnerline_once_ever',
        ),
        migrations.AddField(
            model_name='partnerstatement',
            name='carried_from',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='carried_to', to='payouts.partnerstatement', verbose_name='balance carried from'),
        ),
        migrations.AddField(
            model_name='partnerstatement',
            name='finalised_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='final since'),
        ),
        migrations.AddField(
            model_name='partnerstatement',
            name='finalised_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='made final by'),
        ),
        migrations.AddField(
            model_name='partnerstatement',
            name='paid_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='paid at'),
        ),
        migrations.AddField(
            model_name='partnerstatement',
            name='paid_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='marked paid by'),
        ),
        migrations.AddField(
            model_name='partnerstatement',
            name='status',
            field=models.CharField(choices=[('draft', 'Draft'), ('final', 'Final'), ('paid', 'Paid')], default='draft', max_length=16, verbose_name='status'),
        ),
        migrations.AddField(
            model_name='partnerstatementline',
            name='adjusts_month',
            field=models.DateField(blank=True, null=True, verbose_name='adjusts month'),
        ),
        migrations.AlterField(
            model_name='partnerstatementline',
            name='kind',
            field=models.CharField(choices=[('commission', 'Commission'), ('clawback', 'Clawback of a refund after payout'), ('adjustment', 'Adjustment of a final month')], max_length=16, verbose_name='kind'),
        ),
        migrations.RunPython(chain_carried_balances, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='partnerstatement',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('finalised_at__isnull', True), ('paid_at__isnull', True), ('status', 'draft')), models.Q(('finalised_at__isnull', False), ('paid_at__isnull', True), ('status', 'final')), models.Q(('finalised_at__isnull', False), ('paid_at__isnull', False), ('paid_by__isnull', False), ('status', 'paid')), _connector='OR'), name='partnerstatement_status_has_its_dates'),
        ),
        migrations.AddConstraint(
            model_name='partnerstatement',
            constraint=models.CheckConstraint(condition=models.Q(('carried_from__isnull', False), ('carried_in', 0), _connector='OR'), name='partnerstatement_carried_in_has_source'),
        ),
        migrations.AddConstraint(
            model_name='partnerstatementline',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'adjustment'), _negated=True), fields=('payment', 'kind'), name='partnerline_once_ever'),
        ),
        migrations.AddConstraint(
            model_name='partnerstatementline',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'adjustment')), fields=('statement', 'payment'), name='partnerline_adjustment_once_per_statement'),
        ),
        migrations.AddConstraint(
            model_name='partnerstatementline',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'adjustment'), _negated=True), ('adjusts_month__isnull', False), _connector='OR'), name='partnerline_adjustment_names_its_month'),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
