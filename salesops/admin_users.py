"""Django's login and group screens, behind the policy: an admin keeps the logins of people
below admins, the owner all of them; rights (superuser, staff, groups, permissions) come from
roles through ``manager_set_role`` and are never ticked by hand, least of all on one's own
login."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from .admin_scoping import PolicyAdminMixin

RIGHTS = ("is_superuser", "is_staff", "groups", "user_permissions")

User = get_user_model()
for model in (User, Group):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(User)
class PolicyUserAdmin(PolicyAdminMixin, UserAdmin):
    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # Only a superuser changes someone else's rights, and nobody their own.
        if not request.user.is_superuser or (obj is not None and obj.pk == request.user.pk):
            fields += [name for name in RIGHTS if name not in fields]
        return fields

    # The set-password form asks has_change_permission(login): the policy refuses logins of
    # one's own rank or above (and an admin's own, which only the owner may reset).


@admin.register(Group)
class PolicyGroupAdmin(PolicyAdminMixin, GroupAdmin):
    pass
