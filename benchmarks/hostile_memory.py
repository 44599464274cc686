"""Benchmark: the import worker's peak memory on files built to exhaust it, against a small
ordinary file imported by the same code in the same run (the baseline).

    .venv/bin/python benchmarks/hostile_memory.py            # a 10-million-row CSV (dry run)
    .venv/bin/python benchmarks/hostile_memory.py --small    # CI: 200 000 rows, smaller files

Each file is imported in a process of its own, as a worker child runs the task
(``manage.py import_calls``: the same engine), against a PostgreSQL database of the benchmark's
own (``salesops_bench_hostile``, dropped at the end); its peak resident memory is read from
the kernel when it exits (``wait4``). Files:

- ``far-cell-xfd``: a 9 KB workbook with one cell at XFD1048576 (refused before allocating);
- ``far-cell-z``: a tiny workbook whose used range is 26 × 1 000 000 (streamed, not allocated);
- ``shared-strings``: a workbook whose shared strings unpack to hundreds of MB at a compression
  ratio that passes the ratio check (refused by their unpacked size, counted while unpacking);
- ``shared-strings-at-limit``: shared strings just under their limit (read);
- ``broken-xml``: a sheet whose XML breaks after most of its rows (the rows before are read);
- ``csv-dry-run``: the big CSV, dry run: memory must not grow with the file.

Each small case runs ``--runs`` times and its median is printed; the big CSV runs once. The
target: every peak under 400 MB (``--limit``); the script exits 1 otherwise.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATABASE = "salesops_bench_hostile"
HEADER = "ID,Оператор,Дата и время,Длительность,Длительность разговора,Номер\n"
EXTENSION = "7001"
SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
              b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = b"</sheetData></worksheet>"


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        lines = []
        for n in range(1, rows + 1):
            second = n % 86_400
            day = 1 + n // 86_400 % 28
            lines.append(f"c{n},{EXTENSION},2026-10-{day:02d} {second // 3600:02d}:"
                         f"{second // 60 % 60:02d}:{second % 60:02d},{30 + n % 500},"
                         f"{n % 30},+7916{n % 10_000_000:07d}\n")
            if len(lines) == 100_000:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))


def _workbook(path: Path, sheet_rows, *, shared_strings=None) -> None:
    """A workbook written straight into the ZIP: parts, then the sheet's XML streamed."""
    ns = 'xmlns="http://schemas.openxmlformats.org/'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", (
            f'<?xml version="1.0"?><Types {ns}package/2006/content-types"><Default Extension='
            '"rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet'
            '+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            f'<?xml version="1.0"?><Relationships {ns}package/2006/relationships"><Relationship'
            ' Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            f'<?xml version="1.0"?><workbook {ns}spreadsheetml/2006/main" xmlns:r="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
            'name="Calls" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0"?><Relationships {ns}package/2006/relationships"><Relationship'
            ' Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
        with archive.open("xl/sharedStrings.xml", "w") as part:
            part.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                       b'spreadsheetml/2006/main">')
            for block in shared_strings or ():
                part.write(block)
            part.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(SHEET_HEAD)
            for block in sheet_rows:
                part.write(block)


def _row(n: int) -> bytes:
    cells = [f"c{n}", EXTENSION, f"2026-10-05 10:{n % 60:02d}:{n % 60:02d}"]
    text = "".join(f'<c r="{col}{n}" t="inlineStr"><is><t>{value}</t></is></c>'
                   for col, value in zip("ABC", cells, strict=True))
    return (f'<row r="{n}">{text}<c r="D{n}"><v>60</v></c><c r="E{n}"><v>30</v></c>'
            f'<c r="F{n}" t="inlineStr"><is><t>+79160000000</t></is></c></row>').encode()


def _header_row() -> bytes:
    names = HEADER.strip().split(",")
    return (b'<row r="1">' + b"".join(
        f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>'.encode()
        for col, name in zip("ABCDEF", names, strict=True)) + b"</row>")


def _rows(count: int, *, first: int = 2):
    block = [_header_row()] if first == 2 else []
    for n in range(first, first + count):
        block.append(_row(n))
        if len(block) == 10_000:
            yield b"".join(block)
            block = []
    yield b"".join(block)


def far_cell(path: Path, ref: str) -> None:
    row = "".join(c for c in ref if c.isdigit())
    _workbook(path, [*_rows(3), f'<row r="{row}"><c r="{ref}"><v>1</v></c></row>'.encode(),
                     SHEET_TAIL])


def shared_strings(path: Path, megabytes: int) -> None:
    """Shared strings of ``megabytes`` of short distinct strings, each used by no cell: what a
    reader holds in memory before any row."""
    def strings():
        size, n = 0, 0
        while size < megabytes * 2**20:
            block = b"".join(f"<si><t>s{n + i:09d}</t></si>".encode() for i in range(10_000))
            n += 10_000
            size += len(block)
            yield block
    _workbook(path, [*_rows(100), SHEET_TAIL], shared_strings=strings())


def broken_xml(path: Path, rows: int) -> None:
    """A sheet cut off in the middle of a row after ``rows`` rows, as a failed copy leaves it."""
    _workbook(path, [*_rows(rows), b'<row r="x'])


def peak_of(args: list[str], env: dict) -> tuple[float, int, str]:
    """Run ``args`` as a child; its peak RSS (MB), exit code and last output line."""
    with tempfile.TemporaryFile() as output:
        child = subprocess.Popen(args, cwd=REPO, env=env, stdout=output, stderr=output)
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        lines = output.read().decode(errors="replace").strip().splitlines()
    return usage.ru_maxrss / 1024, child.returncode, (lines[-1] if lines else "")[:150]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="CI's size")
    parser.add_argument("--rows", type=int, default=None, help="rows of the big CSV")
    parser.add_argument("--runs", type=int, default=3, help="runs of each small case")
    parser.add_argument("--limit", type=float, default=400.0, help="peak MB allowed")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432"))
    options = parser.parse_args()
    big_rows = options.rows or (200_000 if options.small else 10_000_000)
    strings_mb = 150 if options.small else 900
    base = options.database_url.rstrip("/")
    server = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    url = f"{server}/{DATABASE}"
    env = {**os.environ, "DATABASE_URL": url, "CELERY_BROKER_URL": "",
           "SALESOPS_LANGUAGE": "en", "DJANGO_DEBUG": "false",
           "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-" + "x" * 50)}
    manage = [sys.executable, "manage.py"]
    subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", DATABASE],
                   check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True)
    try:
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env,
                       check=True)
        subprocess.run([*manage, "shell", "-c", (
            "from salesops.models import Manager, Team; from django.contrib.auth.models import "
            "User; import datetime; t = Team.objects.create(code='bench', name='Bench'); "
            "Manager.objects.create(user=User.objects.create(username='bench'), team=t, "
            f"extension='{EXTENSION}', active_from=datetime.date(2026, 1, 1))")],
            cwd=REPO, env=env, check=True)
        with tempfile.TemporaryDirectory(prefix="salesops-hostile-") as folder:
            folder = Path(folder)
            began = time.perf_counter()
            write_csv(folder / "baseline.csv", 10_000)
            far_cell(folder / "far-cell-xfd.xlsx", "XFD1048576")
            far_cell(folder / "far-cell-z.xlsx", "Z1000000")
            shared_strings(folder / "shared-strings.xlsx", strings_mb)
            shared_strings(folder / "shared-strings-at-limit.xlsx", 90)
            broken_xml(folder / "broken-xml.xlsx", 100_000 if options.small else 300_000)
            write_csv(folder / "csv-dry-run.csv", big_rows)
            print(f"files written in {time.perf_counter() - began:.0f} s "
                  f"(big CSV: {big_rows:,} rows, "
                  f"{(folder / 'csv-dry-run.csv').stat().st_size / 2**20:,.0f} MB; shared "
                  f"strings: {strings_mb} MB unpacked)", flush=True)
            cases = [("baseline", "baseline.csv", ["--dry-run"], options.runs),
                     ("far-cell-xfd", "far-cell-xfd.xlsx", [], options.runs),
                     ("far-cell-z", "far-cell-z.xlsx", [], options.runs),
                     ("shared-strings", "shared-strings.xlsx", [], options.runs),
                     ("shared-strings-at-limit", "shared-strings-at-limit.xlsx", [],
                      options.runs),
                     ("broken-xml", "broken-xml.xlsx", ["--dry-run"], options.runs),
                     ("csv-dry-run", "csv-dry-run.csv", ["--dry-run"], 1)]
            results = {}
            for name, file_name, extra, runs in cases:
                peaks, seconds = [], []
                for _run in range(runs):
                    start = time.perf_counter()
                    peak, code, last = peak_of(
                        [*manage, "import_calls", str(folder / file_name), *extra], env)
                    seconds.append(time.perf_counter() - start)
                    peaks.append(peak)
                results[name] = (statistics.median(peaks), statistics.median(seconds), code,
                                 last)
                print(f"  {name}: median peak {results[name][0]:.0f} MB over {runs} run(s)",
                      flush=True)
    finally:
        subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres",
                        DATABASE], check=False)
    baseline = results["baseline"][0]
    print(f"\nWorker peak memory (median of {options.runs} runs; the big CSV once), "
          f"against the baseline (10 000 ordinary rows, dry run): {baseline:.0f} MB")
    print(f"{'file':<26}{'peak MB':>9}{'× base':>8}{'seconds':>9}  outcome")
    over = []
    for name, (peak, seconds, code, last) in results.items():
        outcome = ("imported" if code == 0 else "refused") + f": {last}"
        print(f"{name:<26}{peak:>9.0f}{peak / baseline:>8.2f}{seconds:>9.1f}  {outcome}")
        if peak > options.limit:
            over.append(name)
    print(f"\nlimit {options.limit:.0f} MB: " + ("every peak under it" if not over
                                               else "OVER: " + ", ".join(over)))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
