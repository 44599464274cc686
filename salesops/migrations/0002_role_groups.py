"""Create the four role groups (SPEC §1) with the model permissions each role needs in the admin.

What a user *sees* is decided by the scoping selector (salesops.selectors); these groups decide
what they may *do* with the admin screens.
"""

from django.db import migrations

from salesops.roles import grant_role_permissions

VIEW = ["view"]
ALL = ["view", "add", "change", "delete"]

ROLE_PERMISSIONS = {
    "Managers": {
        "salesops": {"calllog": VIEW, "workshift": VIEW, "monthlyplan": VIEW},
        "leads": {"lead": VIEW, "leadmilestone": VIEW, "payment": VIEW},
    },
    "Sales heads": {
        "salesops": {
            "team": VIEW, "manager": VIEW, "calllog": VIEW, "workshift": VIEW,
            "monthlyplan": ["view", "add", "change"],
        },
        "leads": {
            "lead": ["view", "change"], "leadmilestone": ["view", "add"], "payment": VIEW,
            "partner": VIEW,
        },
    },
    "Owners": {
        "salesops": {
            "team": VIEW, "manager": VIEW, "calllog": VIEW, "workshift": VIEW,
            "monthlyplan": VIEW, "importbatch": VIEW,
        },
        "leads": {
            "lead": ["view", "add", "change"], "leadmilestone": ["view", "add"],
            "payment": VIEW, "partner": VIEW,
        },
    },
    "Admins": {
        "salesops": {
            "team": ALL, "manager": ALL, "calllog": ALL, "workshift": ALL,
            "monthlyplan": ALL, "importbatch": ALL,
        },
        "leads": {"lead": ALL, "leadmilestone": ALL, "payment": ALL, "partner": ALL},
        "auth": {"user": ["view", "add", "change"]},
    },
}


def create_role_groups(apps, schema_editor):
    for app_label in ("auth", "salesops", "leads"):
        codenames = {
            group: [
                f"{action}_{model}"
                for model, actions in by_app.get(app_label, {}).items()
                for action in actions
            ]
            for group, by_app in ROLE_PERMISSIONS.items()
        }
        grant_role_permissions(apps, app_label=app_label, permissions=codenames)


def delete_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("salesops", "0001_initial"),
        ("leads", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_role_groups, delete_role_groups)]
