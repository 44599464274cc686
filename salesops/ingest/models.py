"""Integrations that post calls by themselves, and what the ingestion keeps about them."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Adapter(models.TextChoices):
    """How an integration's requests are read and authenticated (``salesops.ingest.adapters``)."""

    API = "api", _("Batch API (token)")
    ZADARMA = "zadarma", _("Zadarma (NOTIFY_END, NOTIFY_OUT_END)")
    MANGO = "mango", _("Mango Office VPBX events")
    TWILIO = "twilio", _("Twilio status callbacks")
    ASTERISK = "asterisk", _("Asterisk CDR as JSON")
    FREESWITCH = "freeswitch", _("FreeSWITCH mod_json_cdr")
    GENERIC = "generic", _("Any JSON, mapped by an admin")


class Integration(models.Model):
    """A PBX, dialer or program that posts calls of one telephony source.

    ``token_hash``: our token, shown once when made and kept only as its SHA-256 (a
    high-entropy random token needs no slow hash). ``secret``: the provider's own signing key
    (Zadarma's API secret, Mango's salt, Twilio's auth token), kept as given because checking
    an HMAC needs the key itself. ``teams``: the managers it may post calls for (none: all)."""

    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(
        _("telephony source"), max_length=64,
        help_text=_("Calls are identified by (source, external id): use the source the file "
                    "imports of this PBX use (asterisk, freeswitch, twilio …), so that a call "
                    "posted here and found later in a file is one call."))
    adapter = models.CharField(_("adapter"), max_length=16, choices=Adapter.choices)
    public_id = models.UUIDField(_("address key"), default=uuid.uuid4, unique=True,
                                 editable=False)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(_("token begins with"), max_length=12, editable=False)
    secret = models.CharField(
        _("provider's signing secret"), max_length=200, blank=True,
        help_text=_("Zadarma: the API secret; Mango Office: the API salt; Twilio: the auth "
                    "token. Not used by the adapters that authenticate with our token."))
    account_key = models.CharField(
        _("provider's account key"), max_length=200, blank=True,
        help_text=_("Mango Office: the VPBX API key (vpbx_api_key)."))
    teams = models.ManyToManyField(
        "salesops.Team", blank=True, related_name="+", verbose_name=_("teams it may post for"),
        help_text=_("Empty: calls of any manager."))
    status_preset = models.CharField(
        _("status mappings"), max_length=64, blank=True,
        help_text=_("Whose status mappings read its statuses; empty: the adapter's name."))
    time_zone = models.CharField(
        _("time zone of its times"), max_length=64, blank=True,
        help_text=_("For times posted without a zone; empty: the organisation's."))
    json_mapping = models.JSONField(
        _("JSON paths"), default=dict, blank=True,
        help_text=_("Generic JSON: call field → JSON path in the posted body."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # The last request it posted that was accepted (kept to the second: see ``event_seen``).
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("telephony integration")
        verbose_name_plural = _("telephony integrations")

    def __str__(self):
        return f"{self.name} ({self.source})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def statuses(self) -> str:
        return self.status_preset or self.adapter


class IngestDay(models.Model):
    """The import batch that holds an integration's calls of one day: its calls, conflicts
    and unknown values are the importer's own rows, seen and rolled back on its pages."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE,
                                    related_name="days", verbose_name=_("integration"))
    day = models.DateField(_("day"))
    batch = models.OneToOneField("salesops.ImportBatch", on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("import batch"))

    class Meta:
        ordering = ["-day"]
        verbose_name = _("integration day")
        verbose_name_plural = _("integration days")
        constraints = [models.UniqueConstraint(fields=["integration", "day"],
                                               name="ingestday_integration_day")]

    def __str__(self):
        return f"{self.integration_id}:{self.day}"


class IngestTally(models.Model):
    """What one request wrote, waiting to be added to its batch's counters and to the
    dashboard's daily figures (``salesops.ingest.tallies``).

    One row per request, inserted in the request's own transaction, so it commits with the
    calls or not at all; no request waits on another for the day batch's counter row, and no
    request sends a message of its own. ``days``: the (manager id, ISO day) pairs touched."""

    batch = models.ForeignKey("salesops.ImportBatch", on_delete=models.CASCADE,
                              related_name="+", verbose_name=_("import batch"))
    at = models.DateTimeField(_("at"))
    rows = models.PositiveIntegerField(_("rows read"))
    created = models.PositiveIntegerField(_("created"))
    present = models.PositiveIntegerField(_("already there"))
    updated = models.PositiveIntegerField(_("updated"))
    conflicts = models.PositiveIntegerField(_("conflicts"))
    errors = models.PositiveIntegerField(_("errors"))
    days = models.JSONField(_("manager days"), default=list)

    class Meta:
        verbose_name = _("ingestion tally")
        verbose_name_plural = _("ingestion tallies")

    def __str__(self):
        return f"{self.batch_id}:{self.at:%Y-%m-%d %H:%M:%S}"


class RefusedRequest(models.Model):
    """A request refused before anything was read into calls: who it claimed to be and why,
    never its body or credentials."""

    class Reason(models.TextChoices):
        NO_CREDENTIALS = "no_credentials", _("No token or signature")
        BAD_TOKEN = "bad_token", _("Unknown token")
        BAD_SIGNATURE = "bad_signature", _("Wrong signature")
        REVOKED = "revoked", _("Integration revoked")
        OTHER_INTEGRATION = "other_integration", _("Token of another integration")
        OTHER_SOURCE = "other_source", _("Calls of another source")
        WRONG_ADAPTER = "wrong_adapter", _("Not this integration's adapter")
        UNREADABLE = "unreadable", _("Unreadable body")
        THROTTLED = "throttled", _("Too many requests")

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, null=True,
                                    blank=True, related_name="refusals",
                                    verbose_name=_("integration"))
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    path = models.CharField(_("address"), max_length=200)
    remote_addr = models.GenericIPAddressField(_("from"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    status = models.PositiveSmallIntegerField(_("answered"))

    class Meta:
        ordering = ["-at"]
        verbose_name = _("refused request")
        verbose_name_plural = _("refused requests")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.reason}"


class IdempotentAnswer(models.Model):
    """The first answer to a batch posted with an ``Idempotency-Key``: the same key and body
    get it again; the same key with another body is refused."""

    caller = models.CharField(_("caller"), max_length=40)  # "integration:7", "user:3"
    key = models.CharField(_("idempotency key"), max_length=200)
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64)
    status = models.PositiveSmallIntegerField(_("status"))
    answer = models.JSONField(_("answer"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotent answer")
        verbose_name_plural = _("idempotent answers")
        constraints = [models.UniqueConstraint(fields=["caller", "key"],
                                               name="idempotentanswer_caller_key")]

    def __str__(self):
        return f"{self.caller}:{self.key}"
