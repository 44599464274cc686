"""One language on every page (issue 18): each page of each role, opened in Russian and in
English, shows no word of the other language — an untranslated string, a label left as a stored
code, a message kept in the language it was written in. The site's own 403, 404 and 500 pages
are in the reader's language too.

What a page shows that people typed (names, teams, leads, comments, file names) is data, in
whatever language it was written: it is taken out before the words are checked."""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import path, reverse

from leads.models import Lead, Partner
from payouts.earnings.selectors import line_address
from payouts.exceptions import commission_exception_approve
from payouts.lifecycle import payout_run_approve
from payouts.models import CommissionException, CompensationPlan, PayoutInquiry, PayoutLine
from salesops.imports.selectors import available_presets
from salesops.imports.services import import_file
from salesops.inputs import mark_months
from salesops.models import (
    CallLog,
    ImportBatch,
    ImportRowError,
    ManagerAlias,
    StatusMapping,
    Team,
)
from tests.imports.conftest import sample
from tests.payouts.helpers import NOVEMBER, compute
from tests.review.conftest import build_month

pytestmark = pytest.mark.django_db
LANGUAGES = ("ru", "en")
PERSONAS = ("anonymous", "anna", "head_north", "owner", "admin")
# Words that are the same in both languages: names of things, not sentences. "True" and
# "False" are the text Django's admin gives its yes/no icons, in English whatever the language.
EVERYWHERE = {"SalesOps", "PDF", "XLSX", "CSV", "English", "Русский", "API", "E.164", "True",
              "False", "ID", "E-mail",
              # Telephony products and encodings, by their own names.
              "Asterisk", "CDR-Stats", "FreePBX", "FreeSWITCH", "Twilio", "VICIdial", "UTF-",
              "Windows-", "Zadarma", "Mango", "Office", "CDR", "JSON"}
SKIPPED_TAGS = {"script", "style", "template"}
SHOWN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "data-label", "data-message",
                    "data-computing"}
LATIN_WORD = re.compile(r"\b[A-Za-z][A-Za-z'’-]+\b")
CYRILLIC = re.compile(r"[А-Яа-яЁё]+")


class _Visible(HTMLParser):
    """The text a reader sees or hears: text nodes, and the attributes shown as text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self._skipping += 1
        for name, value in attrs:
            if value and (name in SHOWN_ATTRIBUTES or (
                    tag == "input" and name == "value"
                    and dict(attrs).get("type") in ("submit", "button"))):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


def data_strings() -> list[str]:
    """What people typed or files said, longest first (so "Anna Seller" goes before "Anna")."""
    values = set()
    for user in get_user_model().objects.all():
        values |= {user.username, user.first_name, user.last_name, user.email,
                   user.get_full_name()}
    # Django names permissions once, in English, when it makes them ("Can view call log").
    values |= set(Permission.objects.values_list("name", flat=True))
    values |= set(Team.objects.values_list("name", flat=True))
    values |= set(Team.objects.values_list("code", flat=True))
    for lead in Lead.objects.all():
        values |= {lead.name, lead.company, lead.phone, lead.tax_id, str(lead)}
    values |= set(Partner.objects.values_list("name", flat=True))
    values |= set(CommissionException.objects.values_list("reason", flat=True))
    values |= set(CommissionException.objects.values_list("decision_comment", flat=True))
    values |= set(PayoutInquiry.objects.values_list("comment", flat=True))
    values |= set(PayoutInquiry.objects.values_list("decision_comment", flat=True))
    for batch in ImportBatch.objects.all():
        values |= {batch.file_name, batch.source, batch.preset, batch.file.name}
    # What a file said, and what the import wrote about its rows when it read them (kept with
    # the batch as written; the import's own business, issue 17).
    for error in ImportRowError.objects.all():
        values |= {error.column, error.value, error.reason}
    values |= set(ImportBatch.objects.values_list("message", flat=True))
    values |= set(ManagerAlias.objects.values_list("value", flat=True))
    values |= set(StatusMapping.objects.values_list("value", flat=True))
    values |= set(StatusMapping.objects.values_list("preset", flat=True))
    values |= set(Group.objects.values_list("name", flat=True))
    values |= set(CompensationPlan.objects.values_list("name", flat=True))
    values |= set(CompensationPlan.objects.values_list("code", flat=True))
    # A telephony product's own name for its export ("VICIdial Export Calls Report"), and the
    # organisation's time zone by its name.
    values |= {str(preset.label) for preset in available_presets()}
    values.add(settings.TIME_ZONE)
    values |= set(CallLog.objects.values_list("external_id", flat=True))
    values |= set(CallLog.objects.values_list("source", flat=True))
    return sorted((v for v in values if v and len(v) > 1), key=len, reverse=True)


def foreign_words(html: str, language: str, data: list[str]) -> set[str]:
    # A secret the admin shows masked ("xt******") is no word of any language.
    text = re.sub(r"\S*\*{4,}", " ", visible_text(html))
    for value in data:
        if value in text:
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
    if language == "ru":
        return {w for w in LATIN_WORD.findall(text) if w not in EVERYWHERE}
    return {w for w in CYRILLIC.findall(text) if w not in EVERYWHERE}


@pytest.fixture
def world(db, settings, tmp_path):
    """Both teams' November: north approved (its exceptions decided by the owner), south with
    a pending exception and an open inquiry; a call import with a bad row."""
    settings.REVIEW_RECOMPUTE_IN_THREAD = False
    settings.MEDIA_ROOT = tmp_path / "media"
    month = build_month()
    for name in ("anna", "vera"):
        commission_exception_approve(exception=month.exceptions[name],
                                     approved_by=month.user("owner"))
    month.runs["north"] = payout_run_approve(run=compute(NOVEMBER, month.north),
                                             approved_by=month.user("head_north"))
    month.batch = import_file(path=sample("asterisk-testsuite_cdrlib_good.csv"),
                              created_by=month.user("admin"))
    # Boris's figures changed after south was computed: its team month says so.
    mark_months(manager_ids=[month.people["boris"].pk], months=[NOVEMBER])
    return month


def pages_of(world, persona) -> list[tuple[str, int]]:
    """(address, the status it answers) of every page ``persona`` opens."""
    north, south = world.runs["north"], world.runs["south"]
    anna = world.people["anna"]
    lines = [line_address(month=line.month, manager_id=line.manager_id, kind=line.kind,
                          key=line.key)
             for line in PayoutLine.objects.filter(manager=anna, month=NOVEMBER)]
    common = [("/no-such-page/", 404)]
    if persona == "anonymous":
        return [("/login/", 200), *common]
    if persona == "anna":
        return [("/earnings/?month=2026-11", 200), ("/earnings/?month=2026-12", 200),
                *((line, 200) for line in lines),
                ("/earnings/statement/?month=2026-11", 200), ("/?floor=1&month=2026-11", 200),
                ("/review/overview/", 403), *common]
    team_month = [("/review/?team=north&month=2026-11", 200),
                  (f"/review/runs/{north.pk}/people/", 200),
                  (f"/review/runs/{north.pk}/approve/", 200),
                  (f"/earnings/?manager={anna.pk}&month=2026-11", 200),
                  *((line, 200) for line in lines),
                  ("/?floor=1&month=2026-11", 200), ("/admin/", 200)]
    if persona == "head_north":
        return [*team_month, ("/review/overview/", 403), *common, *admin_pages(world, persona)]
    return [*team_month, ("/review/overview/?month=2026-11", 200),
            ("/review/?team=south&month=2026-11", 200),
            (f"/review/runs/{south.pk}/approve/", 200),
            (f"/review/runs/{south.pk}/people/", 200),
            (f"/review/runs/{north.pk}/mark-paid/", 200),
            ("/imports/", 200), (f"/imports/{world.batch.pk}/", 200),
            *common, *admin_pages(world, persona)]


def admin_pages(world, persona) -> list[tuple[str, int]]:
    """Every admin list the persona may read."""
    request = RequestFactory().get("/admin/")
    request.user = world.user(persona)
    pages = []
    for model, model_admin in admin.site._registry.items():
        if model_admin.has_view_permission(request):
            meta = model._meta
            pages.append((reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"), 200))
            row = model_admin.get_queryset(request).order_by("pk").first()
            if row is not None:
                pages.append((reverse(f"admin:{meta.app_label}_{meta.model_name}_change",
                                      args=[row.pk]), 200))
    return pages


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_of_every_role_speaks_one_language(client, world, persona, language):
    if persona != "anonymous":
        client.force_login(world.user(persona))
    data = data_strings()
    found = {}
    for address, status in pages_of(world, persona):
        response = client.get(address, HTTP_ACCEPT_LANGUAGE=language)
        # A page a role may not open answers the site's 403 page: checked all the same.
        assert response.status_code in (status, 403), address
        words = foreign_words(response.content.decode(), language, data)
        if words:
            found[address] = sorted(words)
    assert found == {}, "\n".join(f"{address}: {' '.join(words)}"
                                   for address, words in found.items())


def _fails(request):
    raise RuntimeError("a page that breaks")


urlpatterns = [path("breaks/", _fails)]


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Что-то пошло не так"), ("en", "Something went wrong")])
def test_the_500_page_is_the_sites_own_in_the_readers_language(client, settings, language,
                                                               words):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    response = client.get("/breaks/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 500
    assert words in response.content.decode()
    assert foreign_words(response.content.decode(), language, []) == set()


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Страница не найдена"), ("en", "Page not found")])
def test_the_404_page_is_the_sites_own_in_the_readers_language(client, language, words):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)
    assert (response.status_code, words in response.content.decode()) == (404, True)


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Нет доступа"), ("en", "Not allowed")])
def test_the_403_page_is_the_sites_own_in_the_readers_language(client, world, language, words):
    client.force_login(world.user("anna"))
    response = client.get("/review/overview/", HTTP_ACCEPT_LANGUAGE=language)
    assert (response.status_code, words in response.content.decode()) == (403, True)
