"""SPEC §7: approved and paid runs are immutable, kept by the database where it can (PostgreSQL).

Lines and ledger items of a locked run cannot be inserted, changed or deleted; a locked run
cannot be deleted, and its only allowed change is approved → paid (with paid_at).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION payouts_refuse_locked_child() RETURNS trigger AS $$
DECLARE
    locked_status text;
BEGIN
    SELECT status INTO locked_status FROM payouts_payoutrun
     WHERE id IN (
        CASE WHEN TG_OP = 'DELETE' THEN OLD.run_id ELSE NEW.run_id END,
        CASE WHEN TG_OP = 'INSERT' THEN NEW.run_id ELSE OLD.run_id END
     ) AND status IN ('approved', 'paid')
     LIMIT 1;
    IF locked_status IS NOT NULL THEN
        RAISE EXCEPTION 'payout run is %, its % rows cannot change (SPEC 7)',
            locked_status, TG_TABLE_NAME USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION payouts_refuse_locked_run_change() RETURNS trigger AS $$
BEGIN
    IF OLD.status NOT IN ('approved', 'paid') THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a % payout run cannot be deleted (SPEC 7)', OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.month <> OLD.month OR NEW.team_id <> OLD.team_id
       OR NEW.generation <> OLD.generation
       OR NEW.approved_by_id IS DISTINCT FROM OLD.approved_by_id
       OR NEW.approved_at IS DISTINCT FROM OLD.approved_at
       OR NEW.team_facts <> OLD.team_facts
       OR (NEW.status <> OLD.status AND NOT (OLD.status = 'approved' AND NEW.status = 'paid'))
    THEN
        RAISE EXCEPTION 'a % payout run is immutable (SPEC 7)', OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payouts_line_locked BEFORE INSERT OR UPDATE OR DELETE ON payouts_payoutline
    FOR EACH ROW EXECUTE FUNCTION payouts_refuse_locked_child();
CREATE TRIGGER payouts_paiditem_locked BEFORE INSERT OR UPDATE OR DELETE ON payouts_paiditem
    FOR EACH ROW EXECUTE FUNCTION payouts_refuse_locked_child();
CREATE TRIGGER payouts_run_locked BEFORE UPDATE OR DELETE ON payouts_payoutrun
    FOR EACH ROW EXECUTE FUNCTION payouts_refuse_locked_run_change();
"""

DROP = """
DROP TRIGGER IF EXISTS payouts_run_locked ON payouts_payoutrun;
DROP TRIGGER IF EXISTS payouts_paiditem_locked ON payouts_paiditem;
DROP TRIGGER IF EXISTS payouts_line_locked ON payouts_payoutline;
DROP FUNCTION IF EXISTS payouts_refuse_locked_run_change();
DROP FUNCTION IF EXISTS payouts_refuse_locked_child();
"""


def create_triggers(apps, schema_editor):
    # SQLite has no such triggers here; the services refuse there (payouts.lifecycle).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("payouts", "0001_plans_runs_lines")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
