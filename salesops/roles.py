"""Role groups' model permissions, granted by data migrations (SPEC §1).

Migrations call these with their historical ``apps``; the permission table stays in each
migration, so what a migration grants never changes after it has run.
"""

from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes


def _ensure_permissions(apps, app_label: str) -> None:
    # Permissions are normally made after the whole migrate run (post_migrate); make them now so
    # that the groups can hold them on a fresh database.
    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_contenttypes(app_config, apps=apps, verbosity=0)
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None


def grant_role_permissions(apps, *, app_label: str, permissions: dict[str, list[str]]) -> None:
    """Add ``permissions`` (group name → codenames of ``app_label``) to the role groups."""
    _ensure_permissions(apps, app_label)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in permissions.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def revoke_role_permissions(apps, *, app_label: str, permissions: dict[str, list[str]]) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=permissions):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label=app_label, codename__in=permissions[group.name]
            )
        )
