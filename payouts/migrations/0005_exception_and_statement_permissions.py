"""Role permissions on commission exceptions and partner statements: sales heads and owners
view and approve exceptions (and may request them), admins everything (SPEC §1, §5)."""

from django.db import migrations

from salesops.roles import grant_role_permissions, revoke_role_permissions

MODELS = ["commissionexception", "partnerstatement", "partnerstatementline"]
DECIDE = [f"view_{m}" for m in MODELS] + ["add_commissionexception",
                                          "approve_commissionexception"]
ROLE_PERMISSIONS = {
    "Admins": [f"{a}_{m}" for m in MODELS for a in ("view", "add", "change", "delete")]
    + ["approve_commissionexception"],
    "Owners": DECIDE,
    "Sales heads": DECIDE,
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, app_label="payouts", permissions=ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, app_label="payouts", permissions=ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("payouts", "0004_commission_exceptions_and_partner_statements"),
        ("salesops", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
