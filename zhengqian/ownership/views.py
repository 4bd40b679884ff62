"""Pages of the ownership confirmation: a household's confirmation, change requests, the
project's queue. Thin: every rule is in the services, every read in the selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengqian.accounts.permissions import OutOfScope, has_perm, require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_read
from zhengqian.core.forms import attach_errors
from zhengqian.ownership import selectors, services
from zhengqian.ownership.forms import (
    BuildingConfirmForm,
    ChangeRequestForm,
    DecisionForm,
    PersonConfirmForm,
)
from zhengqian.ownership.models import ChangeRequest, ChangeStatus, ConfirmationStatus
from zhengqian.projects.selectors import get_project_for_user
from zhengqian.survey.models import Building, Household, Person
from zhengqian.survey.selectors import get_household_for_user

QUEUE_PAGE_SIZE = 50


def _household(request: HttpRequest, pk: Any) -> Household:
    return get_household_for_user(request.user, pk, module=Module.OWNERSHIP)


def _page_context(
    request: HttpRequest,
    household: Household,
    *,
    building_forms: dict[int, BuildingConfirmForm] | None = None,
    person_forms: dict[int, PersonConfirmForm] | None = None,
    review_form: DecisionForm | None = None,
    error: str = "",
) -> dict[str, Any]:
    section = selectors.household_section(request.user, household)
    building_forms = building_forms or {}
    person_forms = person_forms or {}
    if section["can_edit"]:
        for row in section["buildings"]:
            building_forms.setdefault(row.building.pk, BuildingConfirmForm.for_row(row))
        for prow in section["persons"]:
            person_forms.setdefault(prow.person.pk, PersonConfirmForm.for_row(prow))
    structures = selectors.dictionary_labels("structure_type")
    uses = selectors.dictionary_labels("building_use")
    relations = selectors.dictionary_labels("relation")
    return {
        "household": household,
        "section": section,
        "building_rows": [
            (
                row,
                building_forms.get(row.building.pk),
                structures.get(row.building.structure_type, row.building.structure_type),
                uses.get(row.building.use, row.building.use),
            )
            for row in section["buildings"]
        ],
        "person_rows": [
            (
                row,
                person_forms.get(row.person.pk),
                relations.get(row.person.relation, row.person.relation),
            )
            for row in section["persons"]
        ],
        "review_form": review_form or DecisionForm(initial={"decision": "approve"}),
        "error": error,
    }


def _render_page(
    request: HttpRequest, household: Household, status: int = 200, **kw: Any
) -> HttpResponse:
    return render(
        request, "ownership/household.html", _page_context(request, household, **kw), status=status
    )


@login_required
@require_GET
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    require(request.user, Module.OWNERSHIP, Action.VIEW, project=household.project_id)
    return _render_page(request, household)


def _member(model: type[Any], household: Household, pk: Any) -> Any:
    try:
        return model._default_manager.select_related("household__project").get(
            pk=int(pk), household_id=household.pk
        )
    except (model.DoesNotExist, ValueError, TypeError):
        raise OutOfScope(model._meta.label_lower, pk) from None


@login_required
@require_POST
def building_confirm(request: HttpRequest, pk: int, building_pk: int) -> HttpResponse:
    household = _household(request, pk)
    building: Building = _member(Building, household, building_pk)
    row = next(r for r in selectors.building_rows(household) if r.building.pk == building.pk)
    form = BuildingConfirmForm.for_row(row, request.POST)
    if form.is_valid():
        try:
            services.building_confirm(actor=request.user, building=building, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request, _("Building %(number)s confirmed.") % {"number": building.number}
            )
            return redirect(f"{_url(household)}#building-{building.pk}")
    else:
        require(request.user, Module.OWNERSHIP, Action.CHANGE, project=household.project_id)
    return _render_page(request, household, 400, building_forms={building.pk: form})


@login_required
@require_POST
def person_confirm(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    household = _household(request, pk)
    person: Person = _member(Person, household, person_pk)
    row = next(r for r in selectors.person_rows(household) if r.person.pk == person.pk)
    form = PersonConfirmForm.for_row(row, request.POST)
    if form.is_valid():
        try:
            services.person_confirm(actor=request.user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("%(name)s confirmed.") % {"name": person.name})
            return redirect(f"{_url(household)}#person-{person.pk}")
    else:
        require(request.user, Module.OWNERSHIP, Action.CHANGE, project=household.project_id)
    return _render_page(request, household, 400, person_forms={person.pk: form})


def _url(household: Household) -> str:
    return reverse("ownership:household", args=[household.pk])


@login_required
@require_POST
def confirmation_submit(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    try:
        services.confirmation_submit(actor=request.user, household=household)
    except ValidationError as exc:
        return _render_page(request, household, 400, error=" ".join(exc.messages))
    messages.success(request, _("Submitted for review."))
    return redirect("ownership:household", pk=household.pk)


@login_required
@require_POST
def confirmation_review(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.confirmation_review(
                actor=request.user,
                household=household,
                approve=form.approve,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("The confirmation is locked.")
                if form.approve
                else _("The confirmation was returned."),
            )
            return redirect("ownership:household", pk=household.pk)
    else:
        require(request.user, Module.OWNERSHIP, Action.APPROVE, project=household.project_id)
    return _render_page(request, household, 400, review_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def change_request_create(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    if not selectors.may_request_change(request.user, household):
        # The module-specific right (survey or ownership) is checked again by the service.
        require(request.user, Module.OWNERSHIP, Action.CHANGE, project=household.project_id)
    section = selectors.household_section(request.user, household)
    form = ChangeRequestForm(
        request.POST or None,
        request.FILES or None,
        buildings=section["buildings"],
        persons=section["persons"],
        initial={"target": request.GET.get("target", "")},
    )
    if request.method == "POST" and form.is_valid():
        target_type, target_id, field = form.cleaned_data["target"]
        try:
            cr = services.change_request_create(
                actor=request.user,
                household=household,
                target_type=target_type,
                target_id=target_id,
                field=field,
                new_value=form.cleaned_data["new_value"],
                reason=form.cleaned_data["reason"],
                evidence=form.cleaned_data.get("evidence"),
                paired=form.paired(),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and {"target_type", "target_id", "field"} & set(
                exc.error_dict
            ):
                form.add_error("target", exc.messages)
            else:
                attach_errors(form, exc)
        else:
            messages.success(request, _("The change request was sent for approval."))
            return redirect("ownership:change_request_detail", pk=cr.pk)
    return render(
        request,
        "ownership/change_request_form.html",
        {
            "household": household,
            "section": section,
            "form": form,
            "paired_fields": [form[name] for name in form.paired_field_names()],
        },
        status=400 if form.errors else 200,
    )


def _decision_context(
    request: HttpRequest, cr: ChangeRequest, form: DecisionForm | None
) -> dict[str, Any]:
    section = selectors.household_section(request.user, cr.household)
    return {
        "cr": cr,
        "household": cr.household,
        "paired": sorted((cr.paired_changes or {}).items()),
        "can_decide": section["visible"]
        and cr.status == ChangeStatus.PENDING
        and has_perm(
            request.user,
            Module.OWNERSHIP,
            Action.APPROVE,
            project=cr.household.project_id,
            work_group=cr.household.work_group_id,
        )
        and cr.requested_by_id != request.user.pk,
        "form": form or DecisionForm(initial={"decision": "approve"}),
    }


@login_required
@require_GET
def change_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cr = selectors.get_change_request_for_user(request.user, pk)
    return render(
        request, "ownership/change_request_detail.html", _decision_context(request, cr, None)
    )


@login_required
@require_POST
def change_request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    cr = selectors.get_change_request_for_user(request.user, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.change_request_decide(
                actor=request.user,
                change_request=cr,
                approve=form.approve,
                note=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for errors in exc.error_dict.values():
                    for error in errors:
                        form.add_error("reason" if "note" in exc.error_dict else None, error)
            else:
                attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("The change was approved and applied.")
                if form.approve
                else _("The change request was rejected."),
            )
            return redirect("ownership:change_request_detail", pk=cr.pk)
    else:
        require(request.user, Module.OWNERSHIP, Action.APPROVE, project=cr.household.project_id)
    cr.refresh_from_db()
    return render(
        request,
        "ownership/change_request_detail.html",
        _decision_context(request, cr, form),
        status=400,
    )


@login_required
@require_GET
def change_request_evidence(request: HttpRequest, pk: int) -> HttpResponseBase:
    cr = selectors.get_change_request_for_user(request.user, pk)
    if not cr.evidence:
        raise OutOfScope("ownership.changerequest.evidence", pk)
    # Evidence may show personal data (household registers, ID cards): each view is recorded.
    record_read(
        actor=request.user,
        event_type="changerequest.evidence_view",
        target=cr,
        project=cr.household.project_id,
    )
    name = cr.evidence.name.rsplit("/", 1)[-1]
    content_type = {
        "pdf": "application/pdf",
        "jpg": "image/jpeg",
        "png": "image/png",
    }.get(name.rsplit(".", 1)[-1], "application/octet-stream")
    response = FileResponse(cr.evidence.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def project_queue(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_user(request.user, project_id)
    require(request.user, Module.OWNERSHIP, Action.VIEW, project=project)
    status = request.GET.get("status", "")
    if status not in ConfirmationStatus.values:
        status = ""
    households = selectors.confirmation_queue(request.user, project, status=status)
    page = Paginator(households, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.status_counts(request.user, project)
    return render(
        request,
        "ownership/queue.html",
        {
            "project": project,
            "page_obj": page,
            "status": status,
            "query_string": f"status={status}" if status else "",
            "statuses": [
                (value, label, counts.get(value, 0)) for value, label in ConfirmationStatus.choices
            ],
            "total": sum(counts.values()),
            "status_labels": dict(ConfirmationStatus.choices),
            "change_requests": selectors.pending_change_requests(request.user, project)[:100],
            "can_approve": has_perm(
                request.user, Module.OWNERSHIP, Action.APPROVE, project=project
            ),
        },
    )
