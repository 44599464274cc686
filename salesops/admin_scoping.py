"""Every admin door asks the one policy (salesops.policy): lists, forms, the choices behind
foreign keys, raw ids and autocompletes, inlines, actions, deletes, and the import and export
screens. The group permissions of the role groups are not consulted here: the table is."""

from django.contrib import admin, messages
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from . import policy
from .imports.upload_rules import CheckedImportExportMixin


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw id box whose label (the row's name, its company...) is looked up among the rows
    the field offers, which the policy scoped: an id typed or given in the URL names nothing
    the user may not see."""

    queryset = None

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            if not self.queryset.filter(**{key: value}).exists():
                return "", ""
        except (ValueError, TypeError, ValidationError):
            return "", ""
        return super().label_and_url_for_value(value)


class PolicyAdminMixin:
    """Put first in the bases of a ModelAdmin or an inline."""

    # The admin's add form creates: which policy action that is (an exception is requested).
    add_action = policy.CREATE

    def _may(self, request, action, obj=None, model=None):
        return policy.may(request.user, action, model or self.model, obj)

    def get_queryset(self, request):
        return policy.scoped(request.user, policy.VIEW, self.model, super().get_queryset(request))

    def has_module_permission(self, request):
        return self._may(request, policy.VIEW)

    def has_view_permission(self, request, obj=None):
        return self._may(request, policy.VIEW, obj)

    def has_add_permission(self, request, *args):
        return self._may(request, self.add_action)

    def has_change_permission(self, request, obj=None):
        return self._may(request, policy.CHANGE, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, policy.DELETE, obj)

    # django-import-export (v4) asks these before showing or running an import or export.
    def has_import_permission(self, request):
        return self._may(request, policy.IMPORT)

    def has_export_permission(self, request):
        return self._may(request, policy.EXPORT)

    def get_export_queryset(self, request):
        return policy.scoped(request.user, policy.EXPORT, self.model,
                             super().get_export_queryset(request))

    def _choices(self, request, db_field, queryset):
        """Only rows the user may see are offered or accepted, whatever the widget."""
        if policy.resource_for(db_field.related_model) is None:
            return queryset
        return policy.scoped(request.user, policy.VIEW, db_field.related_model, queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(
                kwargs.get("using")).all()
        kwargs["queryset"] = self._choices(request, db_field, queryset)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and type(field.widget) is ForeignKeyRawIdWidget:
            field.widget.__class__ = ScopedRawIdWidget
            field.widget.queryset = field.queryset
        return field

    def get_changeform_initial_data(self, request):
        """Values an add page takes from its URL (``?lead=<id>``) are kept only for rows the
        user may see: a crafted link shows nothing of another team."""
        initial = super().get_changeform_initial_data(request)
        for name in list(initial):
            try:
                field = self.opts.get_field(name)
            except FieldDoesNotExist:
                continue
            if not isinstance(field, models.ForeignKey | models.ManyToManyField):
                continue
            values = initial[name] if isinstance(initial[name], list) else [initial[name]]
            target = field.target_field.name if isinstance(field, models.ForeignKey) else "pk"
            queryset = self._choices(request, field, field.related_model._default_manager.all())
            try:
                visible = queryset.filter(**{f"{target}__in": values}).count() == len(set(values))
            except (ValueError, TypeError, ValidationError):
                visible = False
            if not visible:
                del initial[name]
        return initial

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(
                kwargs.get("using")).all()
        kwargs["queryset"] = self._choices(request, db_field, queryset)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        # The autocomplete view searches here: keep it inside what the user may see.
        queryset = policy.scoped(request.user, policy.VIEW, self.model, queryset)
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request, obj, form, change):
        # The form's choices are scoped already; this refuses what a crafted POST might still
        # carry (an object moved out of scope by the edit itself).
        policy.require(request.user, policy.CHANGE if change else self.add_action, obj, obj)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        policy.require(request.user, policy.DELETE, obj, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            policy.require(request.user, policy.DELETE, obj, obj)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            instance = inline_form.instance
            if inline_form in getattr(formset, "deleted_forms", []):
                if instance.pk:
                    policy.require(request.user, policy.DELETE, instance, instance)
            elif inline_form.has_changed():
                action = policy.CHANGE if instance.pk else policy.CREATE
                policy.require(request.user, action, instance, instance)
        super().save_formset(request, form, formset, change)


class PolicyModelAdmin(PolicyAdminMixin, admin.ModelAdmin):
    list_per_page = 50


class PolicyImportExportAdmin(PolicyAdminMixin, CheckedImportExportMixin, admin.ModelAdmin):
    """The import and export screens ask the policy first (the mixin comes before theirs);
    each imported row is checked against the importer's scope by the resource
    (PolicyResourceMixin), and each upload by the upload page's size and type rules."""

    list_per_page = 50


class PolicyInline(PolicyAdminMixin):
    """Inlines ask the policy about their own model (history inlines are then read-only).

    Django hands an inline the parent object, not its own rows: its rows are scoped by
    ``get_queryset`` and each saved row is checked by the parent's ``save_formset``."""

    def has_view_permission(self, request, obj=None):
        return self._may(request, policy.VIEW)

    def has_add_permission(self, request, obj=None):
        return self._may(request, self.add_action)

    def has_change_permission(self, request, obj=None):
        return self._may(request, policy.CHANGE)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, policy.DELETE)


# The name the apps' admin modules use.
ScopedModelAdmin = PolicyModelAdmin


def action_form(modeladmin, request, queryset, *, form_class, title, apply):
    """An admin action that first asks for input (a rejection's reason, a refund's amount):
    shows ``form_class`` for the selected rows, then calls ``apply(obj, cleaned_data)`` for
    each. ``apply`` calls a service; a refusal is shown next to the row it concerns."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        for obj in queryset:
            try:
                apply(obj, form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                text = "; ".join(getattr(error, "messages", None) or [str(error)])
                modeladmin.message_user(request, f"{obj}: {text}", messages.ERROR)
        return None
    return TemplateResponse(request, "admin/action_form.html", {
        **modeladmin.admin_site.each_context(request), "title": title, "form": form,
        "queryset": queryset, "action": request.POST.get("action", ""),
        "opts": modeladmin.model._meta,
    })


class PolicyResourceMixin:
    """django-import-export resources: every row of an admin import must be one the importer
    may write (salesops.policy), before and after the file's values are applied; otherwise
    the row is invalid and, as with any invalid row, nothing of the file is imported.

    The admin passes the importer as ``user``; code that imports without a user (tests, a
    management command run by an operator) is trusted as any other code."""

    def _refuse_unless(self, user, action, instance):
        if not (policy.may(user, policy.IMPORT, instance, instance)
                and policy.may(user, action, instance, instance)):
            raise ValidationError(
                _("You may not import this row: it is outside what you may change."))

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        if kwargs.get("user") is not None and not new:
            self._refuse_unless(kwargs["user"], policy.CHANGE, instance)

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if kwargs.get("user") is not None:
            action = policy.CHANGE if instance.pk else policy.CREATE
            self._refuse_unless(kwargs["user"], action, instance)
