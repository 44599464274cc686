"""Give the role groups (salesops 0002) their permissions on pay: admins configure plans and
everything else; owners and sales heads view and approve (SPEC §1, §7)."""

from django.db import migrations

from salesops.roles import grant_role_permissions, revoke_role_permissions

MODELS = [
    "compensationplan", "planversion", "plancomponent", "componentrate", "revenuetier",
    "planassignment", "payoutrun", "payoutruntransition", "payoutrunmanager", "payoutline",
    "paiditem",
]
VIEW_AND_APPROVE = [f"view_{m}" for m in MODELS] + ["approve_payoutrun"]
ROLE_PERMISSIONS = {
    "Admins": [f"{a}_{m}" for m in MODELS for a in ("view", "add", "change", "delete")]
    + ["approve_payoutrun"],
    "Owners": VIEW_AND_APPROVE,
    "Sales heads": VIEW_AND_APPROVE,
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, app_label="payouts", permissions=ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, app_label="payouts", permissions=ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("payouts", "0002_locked_runs_are_immutable"),
        ("salesops", "0002_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
