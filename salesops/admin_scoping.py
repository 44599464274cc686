from django.contrib import admin

from .selectors import scope_to_user


class ScopedAdminMixin:
    """Admin lists show only what the user may see, by the one scoping selector."""

    scope_via = "manager"

    def get_queryset(self, request):
        return scope_to_user(super().get_queryset(request), request.user, via=self.scope_via)


class ScopedModelAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_per_page = 50
