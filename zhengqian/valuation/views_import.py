"""Pages of the valuations' Excel import and export (see zhengqian.valuation.imports): the
import's pages are those of every module (zhengqian.core.import_views.ImportPages), with the
valuation's texts and counts, for the valuers of the firm chosen for the project.

Download the workbook (the export: the project's households with the figures entered so far) →
fill it in → upload → check (within the request for small files, by the worker with a progress
bar for large ones) → the report: what would be written and every fault, downloadable → the
valuer confirms → the valid households are written in one transaction.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from zhengqian.core import import_views as pages
from zhengqian.projects.selectors import get_project_for_user
from zhengqian.valuation import imports
from zhengqian.valuation.tasks import import_valuations, validate_valuation_import


class UploadForm(pages.WorkbookUploadForm):
    file = forms.FileField(
        label=gettext_lazy("Valuation workbook (.xlsx)"),
        help_text=gettext_lazy("The downloaded workbook, filled in; at most 20 MB."),
    )


# For the valuers of the firm chosen for the project (imports.require_project_valuer).
PAGES = pages.ImportPages(
    flow=imports.FLOW,
    namespace="valuation",
    templates="valuation/import",
    form=UploadForm,
    title=gettext_lazy("Valuation import"),
    start_title=gettext_lazy("Import valuations from Excel"),
    imported=gettext_lazy("The valuations of %(count)d households imported."),
    counts=(
        ("households", gettext_lazy("Households")),
        ("buildings", gettext_lazy("Buildings")),
        ("decorations", gettext_lazy("Decoration items")),
        ("ancillaries", gettext_lazy("Ancillaries")),
    ),
    in_file_label=gettext_lazy("Filled in"),
    check_task=validate_valuation_import,
    import_task=import_valuations,
    links={"project_page_url": "valuation:project"},
)


@login_required
@require_GET
def export(request: HttpRequest, project_id: int) -> FileResponse:
    """The project's valuations as a workbook, which is also the template to fill in."""
    project = get_project_for_user(request.user, project_id)
    return pages.export_download(
        imports.valuation_export, actor=request.user, project=project, name="评估数据"
    )
