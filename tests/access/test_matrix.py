"""The access matrix, generated from the policy table (salesops.policy.RULES), the admin
registry, the API router and the site's named pages: every role × every door × a row of its
own side and a row of the other side. A new admin, endpoint or page is covered by being
registered; one the table does not name fails ``test_every_door_is_in_the_policy_table``.

Expected answers come from ``policy.may``; the tests check that each door gives exactly that
answer, and that a refused write changed nothing.
"""

import io

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, reverse
from import_export.admin import ImportExportMixin

from salesops import policy
from salesops.admin_scoping import PolicyAdminMixin, PolicyInline
from salesops.urls import router, urlpatterns

from .conftest import PERSONAS, login, policy_user

pytestmark = pytest.mark.django_db

ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label_lower)
LABELS = [model._meta.label_lower for model, _ in ADMINS]
IMPORT_EXPORT = [label for (model, ma), label in zip(ADMINS, LABELS, strict=True)
                 if isinstance(ma, ImportExportMixin)]
SIDES = ("own", "other")
# The admin is for staff: sales heads, admins and the owner. Anyone else is sent to log in.
STAFF = {"sales_head", "admin", "owner"}
REFUSED = {302, 403, 404}


def _admin_for(label):
    return next(ma for model, ma in ADMINS if model._meta.label_lower == label)


def _url(label, view, *args):
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_{view}", args=args)


def _row(world, label, side):
    return (world.own if side == "own" else world.other).get(label)


def _state(obj):
    """What a write would change: the row's stored values (None once deleted). Logging in
    stamps ``last_login``, which is not a write through a door."""
    values = type(obj)._default_manager.filter(pk=obj.pk).values().first()
    if values is not None:
        values.pop("last_login", None)
    return values


def _count(label):
    return _admin_for(label).model._default_manager.count()


def _request(world, persona, method="get"):
    request = getattr(RequestFactory(), method)("/")
    request.user = policy_user(world, persona)
    return request


def _expect_login(response):
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- the table covers every door ---------------------------------------------------------------

def test_every_door_is_in_the_policy_table():
    """Every admin (and inline), every API endpoint asks the policy about a row it knows."""
    missing = [label for label in LABELS if policy.resource_for(label) is None]
    assert missing == []
    not_asking = [label for (model, ma), label in zip(ADMINS, LABELS, strict=True)
                  if not isinstance(ma, PolicyAdminMixin)]
    assert not_asking == []
    inlines = [inline for _, ma in ADMINS for inline in ma.inlines]
    assert [i.__name__ for i in inlines if not issubclass(i, PolicyInline)] == []
    assert [i.model._meta.label_lower for i in inlines
            if policy.resource_for(i.model) is None] == []
    for _, viewset, _ in router.registry:
        assert policy.resource_for(viewset.policy_resource) is not None


def test_every_rule_names_a_known_resource_action_and_role():
    assert set(policy.RULES) == {r.name for r in policy.RESOURCES}
    for actions in policy.RULES.values():
        assert set(actions) <= set(policy.ACTIONS)
        for roles in actions.values():
            assert set(roles) <= set(policy.ROLES) - {policy.ANONYMOUS}


def test_anonymous_may_do_nothing():
    from django.contrib.auth.models import AnonymousUser

    nobody = AnonymousUser()
    assert [(r.name, a) for r in policy.RESOURCES for a in policy.ACTIONS
            if policy.may(nobody, a, r.name)] == []


# --- admin: pages --------------------------------------------------------------------------------

NOT_STAFF = [p for p in PERSONAS if p not in STAFF]
STAFF_PERSONAS = [p for p in PERSONAS if p in STAFF]


def _doors(label):
    """Every admin request a visitor might make on ``label``: (method, url, data)."""
    ma = _admin_for(label)
    doors = [("get", _url(label, "changelist"), None), ("get", _url(label, "add"), None),
             ("post", _url(label, "add"), {})]
    if isinstance(ma, ImportExportMixin):
        doors += [("get", _url(label, "import"), None), ("post", _url(label, "import"), {}),
                  ("get", _url(label, "export"), None), ("post", _url(label, "export"), {})]
    return doors


def _row_doors(label, row):
    ma = _admin_for(label)
    doors = [("get", _url(label, "change", row.pk), None),
             ("post", _url(label, "change", row.pk), {}),
             ("post", _url(label, "delete", row.pk), {"post": "yes"})]
    for _func, name, _ in ma._get_base_actions():
        doors.append(("post", _url(label, "changelist"),
                      {"action": name, "_selected_action": [row.pk], "post": "yes"}))
    return doors


@pytest.mark.parametrize("label", LABELS)
def test_every_admin_door_sends_anyone_but_staff_to_log_in(world, client, label):
    rows = [row for side in SIDES if (row := _row(world, label, side)) is not None]
    before = ([_state(row) for row in rows], _count(label))
    for persona in NOT_STAFF:
        login(client, world, persona)
        doors = _doors(label) + [door for row in rows for door in _row_doors(label, row)]
        for method, url, data in doors:
            _expect_login(getattr(client, method)(url, data or {}))
        client.logout()
    assert ([_state(row) for row in rows], _count(label)) == before


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("persona", STAFF_PERSONAS)
def test_admin_changelist_lists_exactly_the_rows_the_policy_lets_the_role_view(
    world, client, persona, label
):
    login(client, world, persona)
    response = client.get(_url(label, "changelist"))
    user = policy_user(world, persona)
    if not policy.may(user, policy.VIEW, label):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    rows = [row for side in SIDES if (row := _row(world, label, side)) is not None]
    shown = set(response.context["cl"].queryset.values_list("pk", flat=True))
    expected = {row.pk for row in rows if policy.may(user, policy.VIEW, row, row)}
    assert shown & {row.pk for row in rows} == expected


# Rows made by a service of their own, whose admin add page leads there.
ADD_PAGE_ELSEWHERE = {"salesops.importbatch": "/imports/"}


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("persona", STAFF_PERSONAS)
def test_admin_add_page_opens_only_for_roles_that_may_create(world, client, persona, label):
    login(client, world, persona)
    before = _count(label)
    allowed = policy.may(policy_user(world, persona), _admin_for(label).add_action, label)
    response = client.get(_url(label, "add"))
    if allowed and label in ADD_PAGE_ELSEWHERE:
        assert (response.status_code, response["Location"]) == (302, ADD_PAGE_ELSEWHERE[label])
    else:
        assert response.status_code == (200 if allowed else 403)
    if not allowed:
        # A POST of the add form is refused before the form is read.
        assert client.post(_url(label, "add"), {}).status_code == 403
    assert _count(label) == before


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("persona", STAFF_PERSONAS)
def test_admin_change_page_delete_and_posts_follow_the_policy(world, client, persona, label):
    user = policy_user(world, persona)
    login(client, world, persona)
    for side in SIDES:
        row = _row(world, label, side)
        if row is None:
            continue
        before = _state(row)
        response = client.get(_url(label, "change", row.pk))
        if policy.may(user, policy.VIEW, row, row):
            assert response.status_code == 200, side
        else:
            assert response.status_code in REFUSED, side
        # Writes the role may not make are refused before any form is read; the writes it may
        # make are tried with real data by the named tests (test_escalations).
        if not policy.may(user, policy.CHANGE, row, row):
            assert client.post(_url(label, "change", row.pk), {}).status_code in REFUSED
        if not policy.may(user, policy.DELETE, row, row):
            deleted = client.post(_url(label, "delete", row.pk), {"post": "yes"})
            assert deleted.status_code in REFUSED, side
        assert _state(row) == before, side


# --- admin: actions ------------------------------------------------------------------------------

def _actions():
    cases = []
    for (_model, ma), label in zip(ADMINS, LABELS, strict=True):
        for _func, name, _ in ma._get_base_actions():
            cases.append((label, name))
    return cases


@pytest.mark.parametrize(("label", "action"), _actions())
@pytest.mark.parametrize("persona", STAFF_PERSONAS)
def test_admin_actions_never_touch_a_row_the_role_may_not_act_on(
    world, client, persona, label, action
):
    ma = _admin_for(label)
    user = policy_user(world, persona)
    func = {name: f for f, name, _ in ma._get_base_actions()}[action]
    offered = policy.may(user, policy.VIEW, label) and all(
        getattr(ma, f"has_{perm}_permission")(_request(world, persona))
        for perm in getattr(func, "allowed_permissions", ()))
    login(client, world, persona)
    for side in SIDES:
        row = _row(world, label, side)
        if row is None or (offered and policy.may(user, policy.VIEW, row, row)):
            # An action the role may run on a row it sees: the service decides (named tests).
            continue
        before = _state(row)
        response = client.post(_url(label, "changelist"), {
            "action": action, "_selected_action": [row.pk], "post": "yes", "index": 0})
        assert response.status_code in (200, 302, 403)
        assert _state(row) == before, side


# --- admin: import and export --------------------------------------------------------------------

@pytest.mark.parametrize("label", IMPORT_EXPORT)
@pytest.mark.parametrize("persona", STAFF_PERSONAS)
def test_admin_import_screen_follows_the_policy_and_a_refused_import_changes_nothing(
    world, client, persona, label
):
    ma = _admin_for(label)
    other = _row(world, label, "other")
    resource = ma.get_export_resource_classes(_request(world, "admin"))[0]()
    exported = resource.export(queryset=type(other)._default_manager.filter(pk=other.pk))
    login(client, world, persona)
    before, count = _state(other), _count(label)
    page = client.get(_url(label, "import"))
    upload = io.BytesIO(exported.csv.encode())
    upload.name = "rows.csv"
    posted = client.post(_url(label, "import"), {
        "import_file": upload, "format": "0", "resource": "0"})
    allowed = policy.may(policy_user(world, persona), policy.IMPORT, label)
    if allowed:
        assert (page.status_code, posted.status_code) == (200, 200)  # the dry-run preview
    else:
        assert (page.status_code, posted.status_code) == (403, 403)
    assert (_state(other), _count(label)) == (before, count)


@pytest.mark.parametrize("label", IMPORT_EXPORT)
@pytest.mark.parametrize("persona", STAFF_PERSONAS)
def test_admin_export_holds_exactly_the_rows_the_policy_lets_the_role_export(
    world, client, persona, label
):
    login(client, world, persona)
    page = client.get(_url(label, "export"))
    user = policy_user(world, persona)
    allowed = policy.may(user, policy.EXPORT, label)
    assert page.status_code == (200 if allowed else 403)
    if not allowed:
        return
    ma = _admin_for(label)
    request = _request(world, persona)
    request.GET = request.GET.copy()
    exported = set(ma.get_export_queryset(request).values_list("pk", flat=True))
    rows = [_row(world, label, side) for side in SIDES]
    assert exported & {r.pk for r in rows} == {
        r.pk for r in rows if policy.may(user, policy.EXPORT, r, r)}


# --- API ---------------------------------------------------------------------------------------

ENDPOINTS = [(prefix, viewset) for prefix, viewset, _ in router.registry]


@pytest.mark.parametrize(("prefix", "viewset"), ENDPOINTS, ids=[p for p, _ in ENDPOINTS])
@pytest.mark.parametrize("persona", PERSONAS)
def test_api_lists_and_shows_exactly_what_the_policy_lets_the_role_view(
    world, client, persona, prefix, viewset
):
    login(client, world, persona)
    user = policy_user(world, persona)
    resource = policy.resource_for(viewset.policy_resource)
    listing = client.get(f"/api/{prefix}/")
    if not policy.may(user, policy.VIEW, resource):
        assert listing.status_code in (401, 403)
    else:
        assert listing.status_code == 200
    for side in SIDES:
        row = _row(world, resource.model, side)
        detail = client.get(f"/api/{prefix}/{row.pk}/")
        allowed = policy.may(user, policy.VIEW, resource, row)
        assert detail.status_code == 200 if allowed else detail.status_code in (401, 403, 404)
    count = _count_model(resource)
    posted = client.post(f"/api/{prefix}/", {})
    # The one write is a batch of calls (salesops.ingest): who may import calls hears that an
    # empty form is no batch; everybody else is refused.
    writes = hasattr(viewset, "create") and policy.may(user, policy.IMPORT, resource)
    assert posted.status_code in ((400,) if writes else (401, 403, 405))
    assert _count_model(resource) == count


def _count_model(resource):
    from django.apps import apps

    return apps.get_model(resource.model)._default_manager.count()


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_api_schema_and_docs_need_a_login(world, client, persona, path):
    login(client, world, persona)
    response = client.get(path)
    assert response.status_code == (401 if persona == "anonymous" else 200) or (
        persona == "anonymous" and response.status_code == 403)


# --- pages -------------------------------------------------------------------------------------

# Each named page of the site and the policy row it asks (salesops.urls, salesops.imports).
PAGES = {
    "home": (policy.VIEW, "managers", None),
    "imports:upload": (policy.IMPORT, "calls", None),
    "imports:batch": (policy.IMPORT, "calls", "salesops.importbatch"),
    "imports:progress": (policy.IMPORT, "calls", "salesops.importbatch"),
    "imports:errors": (policy.IMPORT, "calls", "salesops.importbatch"),
    "imports:rerun": (policy.IMPORT, "calls", "salesops.importbatch"),
    "imports:columns": (policy.IMPORT, "calls", "salesops.importbatch"),
    "imports:values": (policy.IMPORT, "calls", "salesops.importbatch"),
    "imports:rollback": (policy.IMPORT, "calls", "salesops.importbatch"),
    "review:team-month": (policy.VIEW, "payout_runs", None),
    "review:overview": (policy.OVERVIEW, "payout_runs", None),
    "review:lines": (policy.VIEW, "payout_runs", "payouts.payoutrun"),
    "review:progress": (policy.VIEW, "payout_runs", "payouts.payoutrun"),
    "review:approve": (policy.APPROVE_RUN, "payout_runs", "payouts.payoutrun"),
    "review:recompute": (policy.COMPUTE_RUN, "payout_runs", "payouts.payoutrun"),
    "review:export": (policy.EXPORT, "payout_runs", "payouts.payoutrun"),
    "review:mark-paid": (policy.MARK_PAID, "payout_runs", "payouts.payoutrun"),
    "review:decide-exception": (policy.DECIDE_EXCEPTION, "commission_exceptions",
                                "payouts.commissionexception"),
    "review:decide-inquiry": (policy.DECIDE_INQUIRY, "payout_inquiries",
                              "payouts.payoutinquiry"),
    "review:request-exception": (policy.REQUEST_EXCEPTION, "commission_exceptions", None),
    "earnings:month": (policy.VIEW, "payout_lines", None),
    "earnings:line": (policy.VIEW, "payout_lines", "payouts.payoutline"),
    "earnings:line-at": (policy.VIEW, "payout_lines", "payouts.payoutline"),
    "earnings:ask": (policy.RAISE_INQUIRY, "payout_inquiries", "payouts.payoutline"),
    "earnings:statement": (policy.VIEW, "payout_lines", None),
    "vendors:list": (policy.VIEW, "vendors", None),
    "vendors:guest": (policy.VIEW, "vendor_statements", None),
    "vendors:vendor": (policy.VIEW, "vendors", "vendors.vendor"),
    "vendors:compute": (policy.COMPUTE_RUN, "vendor_statements", "vendors.vendor"),
    "vendors:top-up": (policy.CREATE, "balance_entries", "vendors.vendor"),
    "vendors:statement": (policy.VIEW, "vendor_statements", "vendors.vendorstatement"),
    "vendors:finalise": (policy.APPROVE_RUN, "vendor_statements", "vendors.vendorstatement"),
    "vendors:pay": (policy.MARK_PAID, "vendor_statements", "vendors.vendorstatement"),
    "vendors:file": (policy.EXPORT, "vendor_statements", "vendors.vendorstatement"),
    "vendors:pilot": (policy.VIEW, "pilots", "vendors.pilot"),
    "vendors:qa": (policy.VIEW, "qa_verdicts", "vendors.vendor"),
    "vendors:verdict": (policy.CREATE, "qa_verdicts", "vendors.vendor"),
    "vendors:compare": (policy.VIEW, "compensation_plans", None),
    "vendors:operator-add": (policy.CHANGE, "vendors", "vendors.vendor"),
    # The partner portal (issue 20) and our side of the leads we hand to partners.
    "partner:home": (policy.VIEW, "partner_portal", None),
    "partner:statement": (policy.VIEW, "partner_portal", "payouts.partnerstatement"),
    "partner:refer": (policy.VIEW, "partner_portal", None),
    "partner:link-make": (policy.VIEW, "partner_portal", None),
    "partner:payout-details": (policy.VIEW, "partner_portal", None),
    "partner:handed-lead": (policy.VIEW, "partner_portal", "partner_portal.handedlead"),
    "partner-receivables:receivables": (policy.OVERVIEW, "handed_leads", None),
    "partner-receivables:hand": (policy.CREATE, "handed_leads", "leads.lead"),
    "partner-receivables:commission-received": (policy.CHANGE, "handed_lead_payments",
                                                "partner_portal.handedleadpayment"),
}
POST_ONLY = {"imports:rerun", "imports:values", "review:recompute", "review:mark-paid",
             "review:decide-exception", "review:decide-inquiry", "review:request-exception",
             "earnings:ask", "vendors:compute", "vendors:top-up", "vendors:finalise",
             "vendors:pay", "vendors:verdict", "vendors:operator-add",
             "partner-receivables:commission-received", "partner:link-make"}
# Pages every visitor may open, and doors covered above (admin, API).
OPEN_PAGES = {"login", "logout", "set_language", "api-schema", "api-docs", "referral:link"}


def _address(name, row):
    """A page's arguments: a line by month, person, component and key; anything else by id."""
    if name == "earnings:line-at":
        return [row.month, row.manager_id, row.kind, *([row.key] if row.key else [])]
    return [row.pk]


def _named_pages(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin",) or str(pattern.pattern).startswith("api/"):
                continue
            space = f"{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_pages(pattern.url_patterns, space)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_page_is_in_the_page_table():
    assert set(_named_pages(urlpatterns)) - OPEN_PAGES == set(PAGES)


@pytest.mark.parametrize("name", sorted(PAGES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_answer_as_the_policy_says(world, client, persona, name):
    action, resource, arg = PAGES[name]
    login(client, world, persona)
    args = _address(name, _row(world, arg, "own")) if arg else []
    batches = _count("salesops.importbatch")
    method = client.post if name in POST_ONLY else client.get
    response = method(reverse(name, args=args))
    if persona == "anonymous":
        return _expect_login(response)
    if persona == "vendor_guest" and name == "home":
        # A guest's start is its vendor's own page (issue 19), not the sales floor.
        assert (response.status_code, response["Location"]) == (302, "/vendors/guest/")
        return
    if policy.may(policy_user(world, persona), action, resource):
        # 301: a line's address by id sends to its lasting one.
        assert response.status_code in (200, 301, 302)
    else:
        assert response.status_code == 403
        assert _count("salesops.importbatch") == batches
