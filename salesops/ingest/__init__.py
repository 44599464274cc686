"""Calls that arrive by themselves (issue 21): telephony webhooks and the batch API, through the
one ingestion service (``calls.calls_ingest``) that shares the file importer's manager aliases,
status mappings, (source, external id) identity and re-import rule."""
