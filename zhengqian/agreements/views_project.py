"""A project's agreement pages: the overview (signing rate, the agreement list, drafting the
waiting agreements with its progress polled by HTMX) and the project manager's templates page
(template versions, the number pattern, the sample templates and the placeholders).

Thin views: every rule is in agreements.services and agreements.batch. A project outside the
user's scope is 404; a refused write raises AccessDenied (403, recorded by the middleware).
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements import batch as batches
from zhengqian.agreements import selectors, services, tasks
from zhengqian.agreements.forms import FilterForm, PatternForm, TemplateUploadForm
from zhengqian.agreements.models import AgreementKind, DraftBatch
from zhengqian.audit.services import record_read, record_search
from zhengqian.core.forms import attach_errors
from zhengqian.core.http import is_htmx
from zhengqian.projects.models import Project

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# --- the overview --------------------------------------------------------------------------


def _overview(
    request: HttpRequest, project: Project, *, draft_error: str = "", status: int = 200
) -> HttpResponse:
    user = request.user
    form = FilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {"status": "", "q": ""}
    agreements = selectors.agreements_for_user(
        user, project, status=data.get("status") or "", search=data.get("q") or ""
    )
    page = Paginator(agreements, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    if data.get("q") or data.get("status"):
        record_search(
            actor=user,
            event_type="agreement.search",
            project=project,
            query={"q": data.get("q") or "", "status": data.get("status") or ""},
            results=page.paginator.count,
        )
    rows = selectors.list_rows(user, project, list(page.object_list))
    if selectors.may_in_project(user, project, Action.VIEW_PERSONAL) and rows:
        # The heads' names are shown unmasked: which households' were seen is recorded.
        record_read(
            actor=user,
            event_type="agreement.list",
            project=project,
            details={"households": [r["agreement"].household_id for r in rows]},
        )
    query = request.GET.copy()
    query.pop("page", None)
    may_draft = selectors.may_in_project(user, project, Action.CREATE)
    context = {
        "project": project,
        "box": selectors.rate_box(project),
        "form": form,
        "page_obj": page,
        "rows": rows,
        "query_string": query.urlencode(),
        "may_draft": may_draft,
        "waiting": selectors.waiting_count(user, project) if may_draft else 0,
        "may_manage": selectors.may_in_project(user, project, Action.APPROVE),
        "draft_error": draft_error,
        **_batch_context(selectors.latest_batch(project)),
    }
    return render(request, "agreements/project.html", context, status=status)


def _batch_context(found: DraftBatch | None) -> dict[str, Any]:
    context = selectors.batch_context(found)
    if found is not None:
        context["progress_url"] = reverse("agreements:batch_progress", args=[found.pk])
    return context


@login_required
@require_GET
def project(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_project_for_user(request.user, pk)
    services.settle_if_due(found.pk)
    return _overview(request, found)


@login_required
@require_POST
def project_drafts(request: HttpRequest, pk: int) -> HttpResponse:
    """Draft every waiting agreement: within the request when few, else in the worker."""
    found = selectors.get_project_for_user(request.user, pk)
    try:
        started = batches.drafts_start(actor=request.user, project=found)
    except ValidationError as exc:
        return _overview(request, found, draft_error=" ".join(exc.messages), status=400)
    if started.total <= batches.SYNC_MAX:
        started = batches.run_drafts(started)
        messages.success(
            request,
            _("%(done)d of %(total)d agreements were drafted.")
            % {"done": started.total - len(started.skipped), "total": started.total},
        )
    else:
        tasks.draft_agreements.enqueue(started.pk)
        messages.info(
            request,
            _("%(total)d agreements are being drafted in the background.")
            % {"total": started.total},
        )
    return redirect(reverse("agreements:project", args=[found.pk]) + "#drafting")


@login_required
@require_GET
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The drafting progress, polled by HTMX every 2 s while the batch runs; once it is
    finished, the page is reloaded to show the new agreements and those left out."""
    found = selectors.get_batch_for_user(request.user, pk)
    context = {"project": found.project, **_batch_context(found)}
    response = render(request, "agreements/_batch.html", context)
    if not context["running"] and is_htmx(request):
        response["HX-Refresh"] = "true"
    return response


# --- the templates page --------------------------------------------------------------------


def _manager_project(request: HttpRequest, pk: int) -> Project:
    found = selectors.get_project_for_user(request.user, pk)
    require(request.user, Module.AGREEMENTS, Action.APPROVE, project=found)
    return found


def _templates_page(
    request: HttpRequest,
    project: Project,
    *,
    upload_form: TemplateUploadForm | None = None,
    pattern_form: PatternForm | None = None,
    status: int = 200,
) -> HttpResponse:
    series = services.series(project)
    if pattern_form is None:
        pattern_form = PatternForm(initial={"pattern": series.pattern})
    context = {
        "project": project,
        "kinds": selectors.templates_by_kind(project),
        "upload_form": upload_form or TemplateUploadForm(),
        "pattern_form": pattern_form,
        "series": series,
        "example": selectors.number_example(project, series.pattern),
        "placeholders": selectors.placeholder_listing(project),
    }
    return render(request, "agreements/templates.html", context, status=status)


@login_required
@require_GET
def templates(request: HttpRequest, pk: int) -> HttpResponse:
    return _templates_page(request, _manager_project(request, pk))


@login_required
@require_POST
def template_upload(request: HttpRequest, pk: int) -> HttpResponse:
    found = _manager_project(request, pk)
    form = TemplateUploadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            row = services.template_upload(
                actor=request.user,
                project=found,
                kind=data["kind"],
                title=data["title"],
                file=data["file"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Version %(v)d of the template “%(kind)s” is in use for new agreements.")
                % {"v": row.version, "kind": row.get_kind_display()},
            )
            return redirect(reverse("agreements:templates", args=[found.pk]))
    return _templates_page(request, found, upload_form=form, status=400)


@login_required
@require_POST
def pattern_set(request: HttpRequest, pk: int) -> HttpResponse:
    found = _manager_project(request, pk)
    form = PatternForm(request.POST)
    if form.is_valid():
        try:
            services.pattern_set(
                actor=request.user, project=found, pattern=form.cleaned_data["pattern"]
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("The number pattern was saved."))
            return redirect(reverse("agreements:templates", args=[found.pk]) + "#numbering")
    return _templates_page(request, found, pattern_form=form, status=400)


@login_required
@require_GET
def pattern_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The next number with the pattern being typed (HTMX, as the pattern changes)."""
    found = _manager_project(request, pk)
    try:
        pattern = services.check_pattern(request.GET.get("pattern", ""))
    except ValidationError as exc:
        context = {"error": " ".join(exc.messages)}
    else:
        context = {"example": selectors.number_example(found, pattern)}
    return render(request, "agreements/_pattern_example.html", context)


@login_required
@require_GET
def template_download(request: HttpRequest, pk: int) -> FileResponse:
    template = selectors.get_template_for_user(request.user, pk)
    require(request.user, Module.AGREEMENTS, Action.APPROVE, project=template.project_id)
    try:
        handle = template.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("The file is missing from the storage.")) from exc
    name = f"{template.project.code}-{template.kind}-v{template.version}.docx"
    return FileResponse(handle, as_attachment=True, filename=name, content_type=DOCX)


@login_required
@require_GET
def template_sample(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A sample template of this kind, to start a project's own from."""
    found = _manager_project(request, pk)
    if kind not in AgreementKind.values:
        raise Http404(_("Unknown agreement type."))
    from zhengqian.agreements.samples import sample_template

    response = HttpResponse(sample_template(kind), content_type=DOCX)
    name = re.sub(r"[^\w.-]+", "_", f"{found.code}-sample-{kind}.docx")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
