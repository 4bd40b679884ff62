"""Pages of the survey's Excel import and export (see zhengqian.survey.imports): the import's
pages are those of every module (zhengqian.core.import_views.ImportPages), with the survey's
template to fill in, its texts and its counts.

Upload → check (within the request for small files, by the worker with a progress bar for large
ones) → the report: what would be imported and every fault, downloadable → the user confirms →
the valid households are written in one transaction.
"""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from zhengqian.accounts.permissions import has_perm
from zhengqian.accounts.roles import Action, Module
from zhengqian.core import import_views as pages
from zhengqian.projects.models import Project
from zhengqian.projects.selectors import get_project_for_user
from zhengqian.survey import imports
from zhengqian.survey.tasks import import_survey, validate_survey_import


class UploadForm(pages.WorkbookUploadForm):
    file = forms.FileField(
        label=gettext_lazy("Survey workbook (.xlsx)"),
        help_text=gettext_lazy("Filled in from the template; at most 20 MB."),
    )


def _can_export(request: HttpRequest, project: Project) -> dict[str, Any]:
    user = request.user
    return {
        "can_export": has_perm(user, Module.SURVEY, Action.EXPORT, project=project)
        and has_perm(user, Module.SURVEY, Action.VIEW_PERSONAL, project=project)
    }


PAGES = pages.ImportPages(
    flow=imports.FLOW,
    namespace="survey",
    templates="survey/import",
    form=UploadForm,
    title=gettext_lazy("Survey import"),
    start_title=gettext_lazy("Import the survey from Excel"),
    imported=gettext_lazy("%(count)d households imported."),
    counts=(
        ("households", gettext_lazy("Households")),
        ("persons", gettext_lazy("Persons")),
        ("buildings", gettext_lazy("Buildings")),
        ("ancillaries", gettext_lazy("Ancillaries")),
    ),
    in_file_label=gettext_lazy("In the file"),
    check_task=validate_survey_import,
    import_task=import_survey,
    links={"household_list_url": "survey:household_list"},
    start_context=_can_export,
)


@login_required
@require_GET
def import_template(request: HttpRequest, project_id: int) -> FileResponse:
    project = PAGES.project(request, project_id)
    out = io.BytesIO()
    imports.template_for(actor=request.user, project=project, out=out)
    return pages.download(out, f"调查数据导入模板-{project.code}.xlsx")


@login_required
@require_GET
def export(request: HttpRequest, project_id: int) -> FileResponse:
    project = get_project_for_user(request.user, project_id)
    return pages.export_download(
        imports.survey_export, actor=request.user, project=project, name="调查数据"
    )
