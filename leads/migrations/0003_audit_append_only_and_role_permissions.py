"""The audit trail is append-only (PostgreSQL refuses UPDATE and DELETE on it), and the role
groups get the new permissions: sales heads, owners and admins resolve duplicates and read the
audit trail (SPEC §5, §6.3)."""

from django.db import migrations

from salesops.roles import grant_role_permissions, revoke_role_permissions

CREATE = """
CREATE OR REPLACE FUNCTION leads_audit_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail cannot be changed (SPEC 5)' USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER leads_auditentry_append_only BEFORE UPDATE OR DELETE ON leads_auditentry
    FOR EACH ROW EXECUTE FUNCTION leads_audit_is_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS leads_auditentry_append_only ON leads_auditentry;
DROP FUNCTION IF EXISTS leads_audit_is_append_only();
"""
DECIDERS = ["view_auditentry", "resolve_duplicate"]
ROLE_PERMISSIONS = {"Admins": DECIDERS, "Owners": DECIDERS, "Sales heads": DECIDERS}


def triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


def grant(apps, schema_editor):
    grant_role_permissions(apps, app_label="leads", permissions=ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, app_label="leads", permissions=ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0002_duplicates_and_audit_trail"),
        ("salesops", "0002_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(triggers, drop_triggers),
        migrations.RunPython(grant, revoke),
    ]
