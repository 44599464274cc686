"""Spreadsheets as admins bring them, built for a test: no file outside the repository."""

import datetime

import openpyxl

# The layout of issue 12: a plain XLSX no preset was made for.
ENGLISH_HEADER = ["Call ID", "Agent e-mail", "Started", "Total duration", "Talk time", "Result",
                  "Phone"]


def write_xlsx(path, rows) -> str:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return str(path)


def english_calls(path, *, agent="anna@example.com", first=1, statuses=("Answered",),
                  queue=False) -> str:
    """Six calls of the issue's layout; statuses cycle through ``statuses``. With ``queue`` a
    column no field is made for ("Queue") comes last."""
    header = ENGLISH_HEADER + (["Queue"] if queue else [])
    rows = [header]
    for number in range(first, first + 6):
        row = [f"c-{number}", agent, datetime.datetime(2026, 10, 5, 10, number),
               90 + number, 60 + number, statuses[number % len(statuses)], 79161230000 + number]
        rows.append(row + (["sales"] if queue else []))
    return write_xlsx(path, rows)
