"""Create the four role groups (SPEC §1) with the model permissions each role needs in the admin.

What a user *sees* is decided by the scoping selector (salesops.selectors); these groups decide
what they may *do* with the admin screens.
"""

from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.db import migrations

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
    # Permissions are normally made after the whole migrate run (post_migrate); make them now so
    # that the groups can hold them on a fresh database.
    for app_label in ("auth", "salesops", "leads"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_contenttypes(app_config, apps=apps, verbosity=0)
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, by_app in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for app_label, by_model in by_app.items():
            for model, actions in by_model.items():
                codenames = [f"{action}_{model}" for action in actions]
                group.permissions.add(
                    *Permission.objects.filter(
                        content_type__app_label=app_label, codename__in=codenames
                    )
                )


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
