"""Importing call logs from telephony and dialer exports (the issue "Importing call spreadsheets").

One engine for every path: ``reader`` opens a file and sniffs encoding and delimiter, ``presets``
recognise its layout, ``values`` and ``rows`` turn each record into a call or a row error, and
``loaders`` write chunks to the database (COPY + ``ON CONFLICT`` on PostgreSQL, ``bulk_create`` on
SQLite). ``services`` runs a batch; ``tasks``, ``views``, the admin and ``import_calls`` call it.
"""
