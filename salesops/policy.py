"""The one access policy (SPEC §1, §5, §7): who may do what, to which rows.

``RULES`` is the table: resource → action → role → scope. Every door asks it: the admin
(``salesops.admin_scoping``), the import and export screens, the pages, the API and the
services that act for a user (``by=``, ``approved_by=``...). Whatever is not in the table is
refused, for every role and every model the table does not name.

Scopes: ``own`` rows of the user's own manager profile (for a partner: own partner record),
``team`` rows of the user's team, ``all`` every row, ``below`` users whose role ranks below the
actor's (never oneself). Roles: an inactive or anonymous visitor, and a login with no manager
or partner profile, are ``anonymous``; a superuser counts as the owner and
(the bootstrap login) may also do what an admin may.

``scope_to_user`` (salesops.selectors) answers "view" for the pages with the same rules;
tests/access checks that the two agree.
"""

import enum
import functools
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _


class Scope(enum.Enum):
    NONE = "none"
    OWN = "own"
    TEAM = "team"
    BELOW = "below"
    ALL = "all"


# Roles of the policy: the four of salesops.models.Role, plus a partner's login, a vendor's
# client's guest login (payouts.vendors) and nobody.
ANONYMOUS, MANAGER, SALES_HEAD, ADMIN, OWNER, PARTNER, VENDOR_GUEST = (
    "anonymous", "manager", "sales_head", "admin", "owner", "partner", "vendor_guest",
)
ROLES = (ANONYMOUS, MANAGER, SALES_HEAD, ADMIN, OWNER, PARTNER, VENDOR_GUEST)
# Who outranks whom, for changing logins (``below``) and for granting roles.
RANK = {ANONYMOUS: 0, PARTNER: 1, VENDOR_GUEST: 1, MANAGER: 1, SALES_HEAD: 2, ADMIN: 3,
        OWNER: 4}

VIEW, CREATE, CHANGE, DELETE, IMPORT, EXPORT = (
    "view", "create", "change", "delete", "import", "export",
)
REQUEST_EXCEPTION, DECIDE_EXCEPTION = "request_exception", "decide_exception"
COMPUTE_RUN, APPROVE_RUN, MARK_PAID = "compute_run", "approve_run", "mark_paid"
GRANT_ROLE, RESOLVE_DUPLICATE, REFUND = "grant_role", "resolve_duplicate", "refund"
CORRECT = "correct"
RAISE_INQUIRY, DECIDE_INQUIRY = "raise_inquiry", "decide_inquiry"
DECIDE_CONFLICT = "decide_conflict"
# The organisation's months side by side (payouts.review): owner and admins.
OVERVIEW = "overview"
ACTIONS = (VIEW, CREATE, CHANGE, DELETE, IMPORT, EXPORT, REQUEST_EXCEPTION, DECIDE_EXCEPTION,
           COMPUTE_RUN, APPROVE_RUN, MARK_PAID, GRANT_ROLE, RESOLVE_DUPLICATE, REFUND, CORRECT,
           RAISE_INQUIRY, DECIDE_INQUIRY, DECIDE_CONFLICT, OVERVIEW)

M, H, A, O, P, G = MANAGER, SALES_HEAD, ADMIN, OWNER, PARTNER, VENDOR_GUEST  # noqa: E741
OWN, TEAM, ALL, BELOW = Scope.OWN, Scope.TEAM, Scope.ALL, Scope.BELOW

# Which roles each role may grant (SPEC §1: admins are below the owner). Nobody changes their
# own role, and nobody changes the role of someone whose role they could not grant.
GRANTS = {
    OWNER: (MANAGER, SALES_HEAD, ADMIN, OWNER),
    ADMIN: (MANAGER, SALES_HEAD),
}


@dataclass(frozen=True)
class Resource:
    """A kind of row, and the paths from it to the manager, team or partner it belongs to."""

    name: str
    model: str  # "app_label.model_name"
    manager: str | None = None  # path to the owning Manager ("" = the row is one)
    team: str | None = None  # path to the Team
    partner: str | None = None  # path to the Partner
    vendor: str | None = None  # path to the Vendor (a vendor guest's own rows)


RESOURCES = [
    Resource("calls", "salesops.calllog", manager="manager", team="manager__team"),
    Resource("shifts", "salesops.workshift", manager="manager", team="manager__team"),
    Resource("plans", "salesops.monthlyplan", manager="manager", team="manager__team"),
    Resource("managers", "salesops.manager", manager="", team="team"),
    Resource("teams", "salesops.team", team=""),
    Resource("daily_stats", "salesops.dailymanagerstats", manager="manager",
             team="manager__team"),
    Resource("import_batches", "salesops.importbatch"),
    Resource("import_row_errors", "salesops.importrowerror"),
    Resource("import_conflicts", "salesops.importconflict", manager="old_manager",
             team="old_manager__team"),
    Resource("import_presets", "salesops.importpreset"),
    Resource("status_mappings", "salesops.statusmapping"),
    Resource("manager_aliases", "salesops.manageralias", manager="manager",
             team="manager__team"),
    Resource("leads", "leads.lead", manager="owner", team="owner__team", partner="partner"),
    Resource("milestones", "leads.leadmilestone", manager="lead__owner",
             team="lead__owner__team", partner="lead__partner"),
    Resource("payments", "leads.payment", manager="lead__owner", team="lead__owner__team",
             partner="lead__partner"),
    Resource("partners", "leads.partner", partner=""),
    Resource("audit_entries", "salesops.auditentry"),
    Resource("memberships", "salesops.teammembership", manager="manager",
             team="manager__team"),
    Resource("lead_owners", "leads.leadownership", manager="owner", team="owner__team"),
    Resource("compensation_plans", "payouts.compensationplan"),
    Resource("plan_versions", "payouts.planversion"),
    Resource("plan_components", "payouts.plancomponent"),
    Resource("component_rates", "payouts.componentrate"),
    Resource("revenue_tiers", "payouts.revenuetier"),
    Resource("plan_assignments", "payouts.planassignment"),
    Resource("payout_runs", "payouts.payoutrun", team="team"),
    Resource("payout_run_transitions", "payouts.payoutruntransition", team="run__team"),
    Resource("payout_lines", "payouts.payoutline", manager="manager", team="run__team"),
    Resource("commission_exceptions", "payouts.commissionexception", manager="lead__owner",
             team="lead__owner__team"),
    Resource("payout_inquiries", "payouts.payoutinquiry", manager="manager",
             team="run__team"),
    Resource("partner_statements", "payouts.partnerstatement", partner="partner"),
    Resource("partner_statement_lines", "payouts.partnerstatementline",
             partner="statement__partner"),
    Resource("vendors", "vendors.vendor", vendor=""),
    Resource("vendor_contracts", "vendors.vendorcontract", vendor="vendor"),
    Resource("vendor_statements", "vendors.vendorstatement", vendor="vendor"),
    Resource("vendor_statement_lines", "vendors.vendorstatementline",
             vendor="statement__vendor"),
    Resource("balance_entries", "vendors.balanceentry", vendor="vendor"),
    Resource("pilots", "vendors.pilot"),
    Resource("qa_verdicts", "vendors.qaverdict", vendor="call__manager__team__vendor"),
    Resource("vendor_guests", "vendors.vendorguest", vendor="vendor"),
    # The partner portal (issue 20, leads.partners): its door is the partner's referral link.
    Resource("partner_portal", "partner_portal.referrallink", partner="partner"),
    Resource("payout_details", "partner_portal.payoutdetails", partner="partner"),
    Resource("handed_leads", "partner_portal.handedlead", manager="handed_by",
             team="handed_by__team", partner="partner"),
    Resource("handed_lead_payments", "partner_portal.handedleadpayment",
             manager="handed_lead__handed_by", team="handed_lead__handed_by__team",
             partner="handed_lead__partner"),
    Resource("partner_api_tokens", "partner_portal.partnerapitoken", partner="partner"),
    Resource("integrations", "ingest.integration"),
    Resource("refused_requests", "ingest.refusedrequest"),
    Resource("users", "auth.user"),
    Resource("groups", "auth.group"),
]

# What the floor reads: own for a manager, own team for a sales head, all for owner and admin.
FLOOR = {M: OWN, H: TEAM, A: ALL, O: ALL}
# The floor, and a partner's own rows (what they referred, what we handed them).
FLOOR_AND_PARTNER = {**FLOOR, P: OWN}
SEE_ALL = {A: ALL, O: ALL}
HEAD_AND_ABOVE = {H: TEAM, A: ALL, O: ALL}
ADMIN_ONLY = {A: ALL}
# Configuration an admin keeps (plans, presets): owners and admins read it, admins write it.
CONFIG = {VIEW: SEE_ALL, CREATE: ADMIN_ONLY, CHANGE: ADMIN_ONLY, DELETE: ADMIN_ONLY}
READ_ONLY_FOR_DECIDERS = {VIEW: SEE_ALL}

RULES: dict[str, dict[str, dict[str, Scope]]] = {
    "calls": {VIEW: FLOOR, EXPORT: HEAD_AND_ABOVE, CREATE: ADMIN_ONLY, CHANGE: ADMIN_ONLY,
              DELETE: ADMIN_ONLY, IMPORT: ADMIN_ONLY},
    "shifts": {VIEW: FLOOR, EXPORT: HEAD_AND_ABOVE, CREATE: ADMIN_ONLY, CHANGE: ADMIN_ONLY,
               DELETE: ADMIN_ONLY, IMPORT: ADMIN_ONLY},
    # A sales head sets the monthly plans of own team (SPEC §1, §2).
    # The targets of an approved month are final (SPEC §6.5): only the owner and admins
    # correct them, with a reason.
    "plans": {VIEW: FLOOR, EXPORT: HEAD_AND_ABOVE, CREATE: HEAD_AND_ABOVE,
              CHANGE: HEAD_AND_ABOVE, DELETE: ADMIN_ONLY, IMPORT: HEAD_AND_ABOVE,
              CORRECT: SEE_ALL},
    # A role changes only by a grant (GRANTS); managers are never deleted, they get "active to".
    # An admin keeps the profiles of people below admins, the owner everyone's.
    "managers": {VIEW: FLOOR, EXPORT: HEAD_AND_ABOVE, CREATE: {A: BELOW, O: ALL},
                 CHANGE: {A: BELOW, O: ALL}, IMPORT: {A: BELOW}, GRANT_ROLE: {A: BELOW, O: ALL}},
    "teams": {VIEW: HEAD_AND_ABOVE, CREATE: ADMIN_ONLY, CHANGE: ADMIN_ONLY},
    "daily_stats": {VIEW: FLOOR},
    # Moving people between teams (dated, SPEC §1) decides which team's run pays them.
    "memberships": {VIEW: HEAD_AND_ABOVE, CREATE: SEE_ALL},
    # Who owned a lead when (SPEC §6.7): read like the leads, written by a reassignment.
    "lead_owners": {VIEW: FLOOR},
    "import_batches": {VIEW: SEE_ALL, CREATE: ADMIN_ONLY, DELETE: ADMIN_ONLY},
    # Error rows go with their batch when an admin deletes it.
    "import_row_errors": {VIEW: SEE_ALL, DELETE: ADMIN_ONLY},
    # A re-import that would change a call of a locked month waits for an admin (issue 12):
    # taking the file's version changes pay (as an adjustment), so only those who import.
    "import_conflicts": {VIEW: SEE_ALL, DECIDE_CONFLICT: ADMIN_ONLY},
    "import_presets": CONFIG,
    "status_mappings": CONFIG,
    # An alias decides whose a call is: admins only.
    "manager_aliases": CONFIG,
    # The owner routes leads personally (SPEC §1); sales heads keep own team's leads.
    # A partner reads the leads they referred (the portal shows their status, issue 20).
    "leads": {VIEW: FLOOR_AND_PARTNER, EXPORT: HEAD_AND_ABOVE, CREATE: {H: TEAM, A: ALL, O: ALL},
              CHANGE: HEAD_AND_ABOVE, DELETE: ADMIN_ONLY, IMPORT: ADMIN_ONLY,
              RESOLVE_DUPLICATE: HEAD_AND_ABOVE},
    # Milestones are history: added through lead_milestone_set (a manager records own leads'
    # steps), never changed or deleted; a wrong one is voided by a correction row with a reason
    # (lead_milestone_correct) by those who decide on a lead's pay.
    "milestones": {VIEW: FLOOR_AND_PARTNER, CREATE: FLOOR, CORRECT: HEAD_AND_ABOVE},
    # Payments are facts: entered by admins, reversed by a refund, never edited.
    "payments": {VIEW: FLOOR_AND_PARTNER, EXPORT: HEAD_AND_ABOVE, CREATE: ADMIN_ONLY,
                 IMPORT: ADMIN_ONLY, REFUND: ADMIN_ONLY},
    # A manager picks the partner to hand a lead to (issue 20); a partner reads only itself.
    "partners": {VIEW: {M: ALL, H: ALL, A: ALL, O: ALL, P: OWN}, EXPORT: SEE_ALL,
                 CREATE: ADMIN_ONLY, CHANGE: ADMIN_ONLY, IMPORT: ADMIN_ONLY},
    # The audit trail holds decisions on every team and on roles: owner and admins read it.
    "audit_entries": READ_ONLY_FOR_DECIDERS,
    "compensation_plans": CONFIG,
    "plan_versions": CONFIG,
    "plan_components": CONFIG,
    "component_rates": CONFIG,
    "revenue_tiers": CONFIG,
    "plan_assignments": CONFIG,
    # SPEC §7: the team's sales head or the owner approves; owner or admin marks paid.
    # The payroll file of an approved run: whoever reviews it (a head: own team's).
    "payout_runs": {VIEW: HEAD_AND_ABOVE, COMPUTE_RUN: HEAD_AND_ABOVE,
                    APPROVE_RUN: {H: TEAM, O: ALL}, MARK_PAID: SEE_ALL,
                    EXPORT: HEAD_AND_ABOVE, OVERVIEW: SEE_ALL},
    "payout_run_transitions": {VIEW: HEAD_AND_ABOVE},
    "payout_lines": {VIEW: FLOOR},
    # SPEC §5, §7: a manager asks about own leads; a sales head requests and decides for own
    # team; owner and admins for all. Maker-checker is the services' (nobody decides own ask).
    "commission_exceptions": {VIEW: FLOOR, REQUEST_EXCEPTION: FLOOR,
                              DECIDE_EXCEPTION: HEAD_AND_ABOVE},
    # SPEC §7: a manager asks about a line of own pay; it is decided like an exception.
    "payout_inquiries": {VIEW: FLOOR, RAISE_INQUIRY: {M: OWN},
                         DECIDE_INQUIRY: HEAD_AND_ABOVE},
    # What a partner is paid: owner and admins; a partner with a login reads own statements.
    "partner_statements": {VIEW: {A: ALL, O: ALL, P: OWN}},
    "partner_statement_lines": {VIEW: {A: ALL, O: ALL, P: OWN}},
    # Outsourced call centres (issue 19): the owner buys their work, admins keep it running;
    # the owner finalises a vendor's month. A vendor's client's guest login sees only that
    # vendor's statements and the recordings sampled for listening.
    "vendors": {VIEW: SEE_ALL, CREATE: SEE_ALL, CHANGE: SEE_ALL},
    "vendor_contracts": {VIEW: SEE_ALL, CREATE: SEE_ALL, CHANGE: SEE_ALL, DELETE: SEE_ALL},
    "vendor_statements": {VIEW: {A: ALL, O: ALL, G: OWN}, EXPORT: {A: ALL, O: ALL, G: OWN},
                          COMPUTE_RUN: SEE_ALL, APPROVE_RUN: {O: ALL}, MARK_PAID: SEE_ALL},
    "vendor_statement_lines": {VIEW: {A: ALL, O: ALL, G: OWN}},
    "balance_entries": {VIEW: SEE_ALL, CREATE: SEE_ALL},
    "pilots": {VIEW: SEE_ALL, CREATE: SEE_ALL, CHANGE: SEE_ALL, EXPORT: SEE_ALL},
    "qa_verdicts": {VIEW: {A: ALL, O: ALL, G: OWN}, CREATE: SEE_ALL},
    "vendor_guests": {VIEW: SEE_ALL, CREATE: {O: ALL}},
    # The partner portal (issue 20): a partner's own pages; a partner refers a lead (CREATE).
    "partner_portal": {VIEW: {P: OWN}, CREATE: {P: OWN}},
    # Where a partner is paid: the partner asks for a change, owner or admin confirms it.
    "payout_details": {VIEW: {P: OWN, A: ALL, O: ALL}, CREATE: {P: OWN},
                       CHANGE: {A: ALL, O: ALL}},
    # Leads we hand to partners: a manager hands own lead; the partner reports on it; the owner
    # and admins see every partner's receivable and silence (OVERVIEW).
    "handed_leads": {VIEW: FLOOR_AND_PARTNER, CREATE: FLOOR, CHANGE: {P: OWN},
                     OVERVIEW: SEE_ALL},
    # A partner reports a client's payment; owner or admin records our commission received.
    "handed_lead_payments": {VIEW: FLOOR_AND_PARTNER, CREATE: {P: OWN}, CHANGE: SEE_ALL},
    "partner_api_tokens": {VIEW: {P: OWN, A: ALL, O: ALL}, CREATE: {P: OWN, A: ALL, O: ALL}},
    # PBXs that post calls (issue 21): what they post decides pay like an import, so admins
    # make, re-key and revoke them; the owner reads them and their refused requests.
    "integrations": CONFIG,
    "refused_requests": {VIEW: SEE_ALL},
    # Logins: an admin keeps the logins of people below admins; the owner keeps all of them.
    "users": {VIEW: SEE_ALL, CREATE: SEE_ALL, CHANGE: {A: BELOW, O: ALL}},
    # Rights come from roles (the role groups are kept by migrations): nobody edits a group.
    "groups": {VIEW: SEE_ALL},
}

BY_NAME = {resource.name: resource for resource in RESOURCES}
BY_MODEL = {resource.model: resource for resource in RESOURCES}


class AccessDenied(PermissionDenied):
    """The policy refuses: the user's role may not do this to this row (SPEC §1)."""


# --- who is asking ---------------------------------------------------------------------------

def _manager(user):
    from .selectors import manager_for_user

    return manager_for_user(user)


def _partner(user):
    try:
        return user.partner
    except (AttributeError, apps.get_model("leads", "Partner").DoesNotExist):
        return None


def role_of(user) -> str:
    """The policy role of ``user``: what an active login may do."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    return _standing(user)


def _standing(user) -> str:
    """The role a login holds, active or not (an inactive owner still outranks an admin)."""
    if user.is_superuser:
        return OWNER
    if (manager := _manager_of(user)) is not None:
        return manager.role
    if _partner(user) is not None:
        return PARTNER
    if _vendor_guest(user) is not None:
        return VENDOR_GUEST
    return ANONYMOUS


def _vendor_guest(user):
    try:
        return user.vendor_guest
    except (AttributeError, apps.get_model("vendors", "VendorGuest").DoesNotExist):
        return None


def _manager_of(user):
    from .models import Manager

    try:
        return user.manager
    except Manager.DoesNotExist:
        return None


# --- the table -------------------------------------------------------------------------------

def resource_for(what) -> Resource | None:
    """A resource from its name, a model class or a model instance (None: not in the table)."""
    if isinstance(what, Resource):
        return what
    if isinstance(what, str):
        return BY_NAME.get(what) or BY_MODEL.get(what)
    if isinstance(what, QuerySet):
        what = what.model
    opts = getattr(what, "_meta", None)
    return BY_MODEL.get(opts.label_lower) if opts is not None else None


# The broader of two scopes, for a superuser who holds both the owner's and the admin's rows.
BREADTH = [Scope.NONE, Scope.OWN, Scope.TEAM, Scope.BELOW, Scope.ALL]


def scope_of(user, action: str, resource) -> Scope:
    res = resource_for(resource)
    if res is None:
        return Scope.NONE
    rule = RULES.get(res.name, {}).get(action, {})
    role = role_of(user)
    if role == OWNER and user.is_superuser:
        # The bootstrap login (createsuperuser) is the owner and does the admin's work too.
        return max(rule.get(OWNER, Scope.NONE), rule.get(ADMIN, Scope.NONE), key=BREADTH.index)
    return rule.get(role, Scope.NONE)


def _follow(obj, path: str):
    """The id at the end of ``path`` ("lead__owner") from ``obj``, without loading the last
    object; works for rows not saved yet (an add form, an imported row)."""
    if path == "":
        return obj.pk
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


def _in_scope(user, scope: Scope, res: Resource, obj) -> bool:
    if scope is Scope.ALL:
        return True
    if scope is Scope.BELOW:
        # A login, or a manager profile judged by its login (with the role a form proposes).
        login = getattr(obj, "user", None) if res.name == "managers" else obj
        return (login is not None and login.pk != user.pk
                and RANK[_standing(login)] < RANK[role_of(user)])
    if scope is Scope.OWN:
        if role_of(user) == PARTNER:
            partner = _partner(user)
            return res.partner is not None and _follow(obj, res.partner) == partner.pk
        if role_of(user) == VENDOR_GUEST:
            guest = _vendor_guest(user)
            return res.vendor is not None and _follow(obj, res.vendor) == guest.vendor_id
        manager = _manager(user)
        return res.manager is not None and _follow(obj, res.manager) == manager.pk
    if scope is Scope.TEAM:
        manager = _manager(user)
        return (res.team is not None and manager.team_id is not None
                and _follow(obj, res.team) == manager.team_id)
    return False


def may(user, action: str, resource, obj: Model | None = None) -> bool:
    """May ``user`` do ``action`` on ``resource`` (on ``obj`` when given)?"""
    scope = scope_of(user, action, resource)
    if scope is Scope.NONE:
        return False
    if obj is None:
        return True
    return _in_scope(user, scope, resource_for(resource), obj)


def require(user, action: str, resource, obj: Model | None = None) -> None:
    """Refuse with ``AccessDenied`` unless ``may(...)``."""
    if not may(user, action, resource, obj):
        res = resource_for(resource)
        name = res.name if res else str(resource)
        raise AccessDenied(
            _("%(user)s may not %(action)s %(resource)s") % {
                "user": user, "action": action.replace("_", " "),
                "resource": name.replace("_", " "),
            }
        )


def scoped(user, action: str, resource, queryset: QuerySet | None = None) -> QuerySet:
    """The rows of ``queryset`` (default: every row of the resource) ``user`` may ``action``."""
    res = resource_for(resource if queryset is None else queryset)
    if queryset is None:
        queryset = apps.get_model(res.model)._default_manager.all()
    if res is None:
        return queryset.none()
    scope = scope_of(user, action, res)
    if scope is Scope.ALL:
        return queryset
    if scope is Scope.OWN:
        if role_of(user) == PARTNER:
            path, value = res.partner, _partner(user).pk
        elif role_of(user) == VENDOR_GUEST:
            path, value = res.vendor, _vendor_guest(user).vendor_id
        else:
            path, value = res.manager, _manager(user).pk
        if path is None:
            return queryset.none()
        return queryset.filter(**{f"{path}__pk" if path else "pk": value})
    if scope is Scope.TEAM:
        team_id = _manager(user).team_id
        if res.team is None or team_id is None:
            return queryset.none()
        return queryset.filter(**{f"{res.team}__pk" if res.team else "pk": team_id})
    if scope is Scope.BELOW:
        # Few rows (logins, profiles); the rank lives in Python, so filter by the ids it keeps.
        return queryset.filter(pk__in=[
            row.pk for row in queryset if _in_scope(user, scope, res, row)
        ])
    return queryset.none()


def may_grant(user, *, manager, role: str) -> bool:
    """May ``user`` give ``manager`` the role ``role``? (GRANTS; nobody changes own role,
    nobody changes the role of someone holding a role they could not grant.)"""
    grantable = GRANTS.get(role_of(user), ())
    return (
        scope_of(user, GRANT_ROLE, "managers") is not Scope.NONE
        and manager.user_id != user.pk
        and role in grantable
        and (manager.pk is None or _current_role(manager) in grantable)
        and not (manager.user_id and manager.user.is_superuser and role_of(user) != OWNER)
    )


def _current_role(manager) -> str:
    # The stored role, not the one a form has just put on the instance.
    return type(manager)._default_manager.filter(pk=manager.pk).values_list(
        "role", flat=True).first() or manager.role


def grantable_roles(user) -> tuple[str, ...]:
    return GRANTS.get(role_of(user), ())


# --- the table for people --------------------------------------------------------------------

def policy_table_markdown() -> str:
    """The table as the README shows it: one row per resource, one column per role."""
    roles = [r for r in ROLES if r != ANONYMOUS]
    lines = ["| resource | " + " | ".join(roles) + " |",
             "|---|" + "---|" * len(roles)]
    for res in RESOURCES:
        cells = []
        for role in roles:
            by_scope: dict[str, list[str]] = {}
            for action in ACTIONS:
                scope = RULES.get(res.name, {}).get(action, {}).get(role)
                if scope is not None:
                    by_scope.setdefault(scope.value, []).append(action.replace("_", " "))
            cells.append("; ".join(f"{', '.join(acts)}: {scope}"
                                   for scope, acts in by_scope.items()) or "—")
        lines.append(f"| {res.name.replace('_', ' ')} | " + " | ".join(cells) + " |")
    grants = "; ".join(f"{who} grants {', '.join(roles)}" for who, roles in GRANTS.items())
    lines += ["", f"Roles granted: {grants}; nobody changes their own role. "
              "Anonymous visitors: nothing."]
    return "\n".join(lines)


def policy_required(action: str, resource: str):
    """A page's door: anonymous visitors go to the login page, others without the right get
    403 (the same answer as the admin's)."""
    from django.contrib.auth.views import redirect_to_login

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require(request.user, action, resource)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
