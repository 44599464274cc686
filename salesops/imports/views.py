"""Pages of the big-file import: upload, the column mapping, live progress, summary, the error
report and its unknown values mapped in bulk. Each view parses input, calls one service or
selector, and renders."""

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops import policy
from salesops.models import ImportBatch

from ..exports import csv_writer
from .columns import MappingRefused, import_batch_map_columns, import_values_map
from .forms import ColumnsForm, UploadForm, ValuesForm
from .reader import UnreadableFile
from .recognise import column_letter
from .selectors import (
    batch_columns_left_out,
    batch_errors,
    batch_progress,
    batch_proposal,
    batch_rollback_preview,
    batch_unknown_values,
    batches_visible_to,
    managers_to_map,
)
from .services import (
    TALK_ONLY,
    ImportRefused,
    import_batch_create,
    import_batch_recognise_soon,
    import_batch_rollback,
    import_batch_run_again,
    import_batch_start,
)

# The big-file import writes calls: the policy's "import calls" row (salesops.policy).
can_import = policy.policy_required(policy.IMPORT, "calls")


@can_import
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch = import_batch_create(
                file=data["file"], file_name=data["file"].name, created_by=request.user,
                preset=data["preset"], time_zone=data["time_zone"], source=data["source"],
                dry_run=data["dry_run"],
            )
        except ImportRefused as exc:
            form.add_error(None, str(exc))
        else:
            # The file is read by the worker, never here: without a chosen layout it first
            # recognises it (then runs it, or holds it for the column mapping).
            if data["preset"]:
                import_batch_start(batch=batch)
            else:
                import_batch_recognise_soon(batch=batch)
            return redirect("imports:batch", pk=batch.pk)
    recent = batches_visible_to(request.user)[:10]
    return render(request, "imports/upload.html", {"form": form, "recent": recent})


@can_import
def batch_columns(request, pk: int):
    batch = get_object_or_404(batches_visible_to(request.user), pk=pk)
    if batch.status != ImportBatch.Status.MAPPING:
        return redirect("imports:batch", pk=batch.pk)
    # The header row the admin chose (the select reloads the page with it), else found.
    chosen_row = request.POST.get("header_row", request.GET.get("header_row", ""))
    header_row = int(chosen_row) if chosen_row.isdigit() else None
    try:
        proposal = batch_proposal(batch, header_row=header_row)
    except UnreadableFile as exc:
        messages.error(request, str(exc))
        return redirect("imports:upload")
    # "Read again": the header row changed without the page's script; show the new proposal.
    rereading = request.method == "POST" and "reread" in request.POST
    form = ColumnsForm(None if rereading else request.POST or None, proposal=proposal)
    if request.method == "POST" and not rereading and form.is_valid():
        columns, has_header, header, skip, date_order = form.chosen()
        try:
            batch = import_batch_map_columns(
                batch=batch, columns=columns, has_header=has_header, header=header,
                width=proposal.width, save_as=form.cleaned_data["save_as"], skip=skip,
                date_order=date_order,
            )
        except MappingRefused as exc:
            form.add_error(None, str(exc))
        else:
            import_batch_start(batch=batch)
            return redirect("imports:batch", pk=batch.pk)
    return render(request, "imports/columns.html", {
        "batch": batch, "proposal": proposal, "form": form,
        # Said before the import, as the batch's message says it after.
        "talk_only": TALK_ONLY if proposal.talk_only else "",
        "unmatched": [proposal.column_name(index) for index in proposal.unmatched],
        "preview_columns": [
            (column_letter(index), proposal.header[index] if index < len(proposal.header) else "")
            for index in range(proposal.width)
        ],
    })


@can_import
def batch_detail(request, pk: int):
    batch = get_object_or_404(batches_visible_to(request.user), pk=pk)
    if batch.status == ImportBatch.Status.MAPPING:
        return redirect("imports:columns", pk=batch.pk)
    progress = batch_progress(batch)
    values_form = None
    if progress["finished"]:
        unknown = batch_unknown_values(batch)
        if unknown:
            values_form = ValuesForm(unknown=unknown, managers=managers_to_map())
    conflicts_url = None
    if progress["conflicts"] and policy.may(request.user, policy.VIEW, "import_conflicts"):
        conflicts_url = (reverse("admin:salesops_importconflict_changelist")
                         + f"?batch__id__exact={batch.pk}&status__exact=open")
    return render(request, "imports/batch.html", {
        "batch": batch, "progress": progress, "errors": batch_errors(batch)[:50],
        "values_form": values_form, "unmatched": batch_columns_left_out(batch),
        "conflicts_url": conflicts_url,
    })


@require_POST
@can_import
def batch_map_values(request, pk: int):
    batch = get_object_or_404(batches_visible_to(request.user), pk=pk)
    form = ValuesForm(request.POST, unknown=batch_unknown_values(batch),
                      managers=managers_to_map())
    if not form.is_valid():
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect("imports:batch", pk=batch.pk)
    managers, statuses = form.chosen()
    import_values_map(batch=batch, managers=managers, statuses=statuses)
    if not batch.file:  # calls a PBX posted (salesops.ingest): no file to run again
        messages.info(request, _("Mapped: %(managers)d managers, %(statuses)d statuses. The "
                                 "calls are taken when they are posted again.")
                      % {"managers": len(managers), "statuses": len(statuses)})
        return redirect("imports:batch", pk=batch.pk)
    again = import_batch_run_again(batch=batch, by=request.user)
    messages.info(request, _("Mapped: %(managers)d managers, %(statuses)d statuses. Running the "
                             "same file again: only what is missing is created.")
                  % {"managers": len(managers), "statuses": len(statuses)})
    return redirect("imports:batch", pk=again.pk)


@can_import
def batch_progress_json(request, pk: int):
    batch = get_object_or_404(batches_visible_to(request.user), pk=pk)
    return JsonResponse(batch_progress(batch))


class _Echo:
    def write(self, value):
        return value


@can_import
def batch_errors_csv(request, pk: int):
    batch = get_object_or_404(batches_visible_to(request.user), pk=pk)
    # Opens as columns in the reader's Excel: UTF-8 with a BOM, and ";" where the decimal
    # separator is a comma (a Russian reader's Excel splits a CSV on ";").
    russian = (get_language() or "").startswith("ru")
    writer = csv_writer(_Echo(), delimiter=";" if russian else ",")
    language = get_language()

    cap = settings.IMPORT_ERROR_REPORT_MAX_ROWS

    def lines():
        # A streamed body is written after the view returns: in the reader's language still.
        with translation.override(language):
            yield from report()

    def report():
        yield "\ufeff" + writer.writerow([
            _("file"), _("line"), _("column"), _("value"), _("reason")])
        shown = 0
        for error in batch_errors(batch)[:cap].iterator(chunk_size=5000):
            shown += 1
            yield writer.writerow([batch.file_name, error.line, error.column, error.value,
                                   error.reason_shown])
        # A report always ends: past the cap (millions of rows would outlast any time limit)
        # its last row says so, and where every error is counted.
        if shown == cap and batch.error_count > cap:
            yield writer.writerow([batch.file_name, "", "", "", _(
                "The report stops here: it lists the first %(shown)d of %(total)d errors. The "
                "import's page counts them all and groups unknown values; fix these and run "
                "the file again for the rest.") % {"shown": shown, "total": batch.error_count}])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
    return response


@require_POST
@can_import
def batch_rerun(request, pk: int):
    batch = get_object_or_404(batches_visible_to(request.user), pk=pk)
    try:
        again = import_batch_run_again(batch=batch, by=request.user)
    except ImportRefused as exc:
        messages.error(request, str(exc))
        return redirect("imports:batch", pk=batch.pk)
    messages.info(request, _("Running the same file again: only what is missing is created."))
    return redirect("imports:batch", pk=again.pk)


@can_import
def batch_rollback(request, pk: int):
    """The rollback, on the batch's page: what it undoes (calls, months, people, whether a
    month is approved or paid) is shown first, and it runs only when the admin confirms."""
    batch = get_object_or_404(batches_visible_to(request.user), pk=pk)
    if batch.status not in (ImportBatch.Status.DONE, ImportBatch.Status.FAILED) or \
            batch.dry_run:
        return redirect("imports:batch", pk=batch.pk)
    preview = batch_rollback_preview(batch)
    if request.method == "POST":
        try:
            deleted = import_batch_rollback(batch=batch, by=request.user)
        except ImportRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.info(request, ngettext(
                "Rolled back: %(count)d call deleted.", "Rolled back: %(count)d calls deleted.",
                deleted) % {"count": deleted})
            return redirect("imports:batch", pk=batch.pk)
    return render(request, "imports/rollback.html", {"batch": batch, "preview": preview})
