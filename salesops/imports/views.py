"""Pages of the big-file import: upload, live progress, summary, error report. Each view parses
input, calls one service or selector, and renders."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..exports import csv_writer
from .forms import UploadForm
from .selectors import batch_errors, batch_progress, batches_visible_to
from .services import ImportRefused, import_batch_create, import_batch_rerun, import_batch_start

can_import = permission_required("salesops.add_importbatch", raise_exception=True)


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
            import_batch_start(batch=batch)
            return redirect("imports:batch", pk=batch.pk)
    recent = batches_visible_to(request.user)[:10]
    return render(request, "imports/upload.html", {"form": form, "recent": recent})


@can_import
def batch_detail(request, pk: int):
    batch = get_object_or_404(batches_visible_to(request.user), pk=pk)
    return render(request, "imports/batch.html", {
        "batch": batch, "progress": batch_progress(batch),
        "errors": batch_errors(batch)[:50],
    })


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
    writer = csv_writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(["file", "line", "column", "value", "reason"])
        for error in batch_errors(batch).iterator(chunk_size=2000):
            yield writer.writerow(
                [batch.file_name, error.line, error.column, error.value, error.reason]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
    return response


@require_POST
@can_import
def batch_rerun(request, pk: int):
    batch = get_object_or_404(batches_visible_to(request.user), pk=pk)
    again = import_batch_rerun(batch=batch, created_by=request.user)
    import_batch_start(batch=again)
    messages.info(request, _("Running the same file again: only what is missing is created."))
    return redirect("imports:batch", pk=again.pk)
