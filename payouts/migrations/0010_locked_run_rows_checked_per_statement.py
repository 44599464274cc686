"""SPEC §7: the lines, ledger items and line items of an approved or paid run stay immutable,
checked once per statement instead of once per row (PostgreSQL, as 0002 and 0008).

A computation writes a batch of people's rows with one statement per table; the row-level
triggers of 0002 and 0008 looked the run up again for every row. These statement-level
triggers read the statement's rows from its transition tables and look their runs up once:
an insert, update or delete that touches any row of a locked run, on either side of an
update, is refused with the same error as before. Transition tables exist only for AFTER
triggers, one event each: the refused statement's rows are undone with it.
"""

from django.db import migrations

# The same names for every event (an event's trigger defines the tables it has); PL/pgSQL
# plans a branch's query only when it runs, so a branch never sees a table it lacks.
REFUSE = """
CREATE OR REPLACE FUNCTION payouts_refuse_locked_rows() RETURNS trigger AS $$
DECLARE
    locked_status text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT r.status INTO locked_status FROM payouts_payoutrun r
         WHERE r.id IN (SELECT run_id FROM new_rows) AND r.status IN ('approved', 'paid')
         LIMIT 1;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT r.status INTO locked_status FROM payouts_payoutrun r
         WHERE r.id IN (SELECT run_id FROM old_rows UNION SELECT run_id FROM new_rows)
           AND r.status IN ('approved', 'paid')
         LIMIT 1;
    ELSE
        SELECT r.status INTO locked_status FROM payouts_payoutrun r
         WHERE r.id IN (SELECT run_id FROM old_rows) AND r.status IN ('approved', 'paid')
         LIMIT 1;
    END IF;
    IF locked_status IS NOT NULL THEN
        RAISE EXCEPTION 'payout run is %, its % rows cannot change (SPEC 7)',
            locked_status, TG_TABLE_NAME USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION payouts_refuse_locked_line_items() RETURNS trigger AS $$
DECLARE
    locked_status text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT r.status INTO locked_status
          FROM payouts_payoutline l JOIN payouts_payoutrun r ON r.id = l.run_id
         WHERE l.id IN (SELECT line_id FROM new_rows) AND r.status IN ('approved', 'paid')
         LIMIT 1;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT r.status INTO locked_status
          FROM payouts_payoutline l JOIN payouts_payoutrun r ON r.id = l.run_id
         WHERE l.id IN (SELECT line_id FROM old_rows UNION SELECT line_id FROM new_rows)
           AND r.status IN ('approved', 'paid')
         LIMIT 1;
    ELSE
        SELECT r.status INTO locked_status
          FROM payouts_payoutline l JOIN payouts_payoutrun r ON r.id = l.run_id
         WHERE l.id IN (SELECT line_id FROM old_rows) AND r.status IN ('approved', 'paid')
         LIMIT 1;
    END IF;
    IF locked_status IS NOT NULL THEN
        RAISE EXCEPTION 'payout run is %, its % rows cannot change (SPEC 7)',
            locked_status, TG_TABLE_NAME USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

TABLES = [
    # table, trigger name prefix, function
    ("payouts_payoutline", "payouts_line_locked", "payouts_refuse_locked_rows"),
    ("payouts_paiditem", "payouts_paiditem_locked", "payouts_refuse_locked_rows"),
    ("payouts_payoutlineitem", "payouts_lineitem_locked", "payouts_refuse_locked_line_items"),
]
EVENTS = [
    ("insert", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
    ("update", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("delete", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
]

CREATE = REFUSE + "".join(
    f"CREATE TRIGGER {name}_{suffix} AFTER {event} ON {table} {referencing}"
    f" FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n"
    for table, name, function in TABLES
    for suffix, event, referencing in EVENTS
) + """
DROP TRIGGER IF EXISTS payouts_line_locked ON payouts_payoutline;
DROP TRIGGER IF EXISTS payouts_paiditem_locked ON payouts_paiditem;
DROP TRIGGER IF EXISTS payouts_lineitem_locked ON payouts_payoutlineitem;
DROP FUNCTION IF EXISTS payouts_refuse_locked_child();
DROP FUNCTION IF EXISTS payouts_refuse_locked_line_item();
"""

# Back to 0002's and 0008's row-level triggers, as they were.
ROW_LEVEL = """
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

CREATE OR REPLACE FUNCTION payouts_refuse_locked_line_item() RETURNS trigger AS $$
DECLARE
    locked_status text;
BEGIN
    SELECT r.status INTO locked_status
      FROM payouts_payoutline l JOIN payouts_payoutrun r ON r.id = l.run_id
     WHERE l.id IN (
        CASE WHEN TG_OP = 'DELETE' THEN OLD.line_id ELSE NEW.line_id END,
        CASE WHEN TG_OP = 'INSERT' THEN NEW.line_id ELSE OLD.line_id END
     ) AND r.status IN ('approved', 'paid')
     LIMIT 1;
    IF locked_status IS NOT NULL THEN
        RAISE EXCEPTION 'payout run is %, its % rows cannot change (SPEC 7)',
            locked_status, TG_TABLE_NAME USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payouts_line_locked BEFORE INSERT OR UPDATE OR DELETE ON payouts_payoutline
    FOR EACH ROW EXECUTE FUNCTION payouts_refuse_locked_child();
CREATE TRIGGER payouts_paiditem_locked BEFORE INSERT OR UPDATE OR DELETE ON payouts_paiditem
    FOR EACH ROW EXECUTE FUNCTION payouts_refuse_locked_child();
CREATE TRIGGER payouts_lineitem_locked BEFORE INSERT OR UPDATE OR DELETE
    ON payouts_payoutlineitem FOR EACH ROW EXECUTE FUNCTION payouts_refuse_locked_line_item();
"""

DROP = "".join(
    f"DROP TRIGGER IF EXISTS {name}_{suffix} ON {table};\n"
    for table, name, _function in TABLES
    for suffix, _event, _referencing in EVENTS
) + """
DROP FUNCTION IF EXISTS payouts_refuse_locked_rows();
DROP FUNCTION IF EXISTS payouts_refuse_locked_line_items();
""" + ROW_LEVEL


def per_statement(apps, schema_editor):
    # SQLite has no such triggers here; the services refuse there (payouts.lifecycle).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def per_row(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("payouts", "0009_payout_inquiries")]

    operations = [migrations.RunPython(per_statement, per_row)]
