"""Pages of the survey module (调查建档): the household list, the household page with all its
records, the forms that edit them through survey.services, attachments, the publication of the
survey results (调查结果公示) and the duplicate report (杜绝二次补偿).

Every household is reached through the scoped selectors; reading a household, searching,
unmasking an ID number, opening a file and reading the reports are audited.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Model, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengqian.accounts.permissions import (
    OutOfScope,
    has_perm,
    is_external,
    require,
    work_group_ids_with,
)
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record_read, record_search
from zhengqian.core.dictionaries import DictionaryKind
from zhengqian.core.forms import attach_errors
from zhengqian.core.http import is_htmx
from zhengqian.core.masking import mask_id_number, mask_name, mask_phone
from zhengqian.core.sections import household_sections
from zhengqian.ownership.models import Confirmation, ConfirmationStatus
from zhengqian.projects.models import Project, WorkGroup
from zhengqian.projects.selectors import get_project_for_user, projects_for_user
from zhengqian.survey import attachments as attachment_services
from zhengqian.survey import flags, services
from zhengqian.survey.forms import (
    ANCILLARY_UNITS,
    MEMBER_FORMS,
    AttachmentForm,
    HouseholdFilterForm,
    HouseholdForm,
    HouseholdStatus,
    PublicationFilterForm,
    dictionary_labels,
    label_of,
)
from zhengqian.survey.models import Ancillary, Attachment, Building, Household, Person
from zhengqian.survey.permissions import require_household
from zhengqian.survey.selectors import get_household_for_user, households_for_user

PAGE_SIZE = 50
# The publication is printed: long pages, one per work group as a rule.
PUBLICATION_PAGE_SIZE = 500

# The dictionaries the household page shows labels of.
_HOUSEHOLD_KINDS = (
    DictionaryKind.LAND_TYPE,
    DictionaryKind.RELATION,
    DictionaryKind.HUKOU_TYPE,
    DictionaryKind.SPECIAL_STATUS,
    DictionaryKind.STRUCTURE_TYPE,
    DictionaryKind.BUILDING_USE,
    DictionaryKind.ANCILLARY_TYPE,
    DictionaryKind.DOCUMENT_KIND,
)

_MEMBER_FIELDS: dict[type[Model], tuple[str, ...]] = {
    Person: services.PERSON_FIELDS,
    Building: services.BUILDING_FIELDS,
    Ancillary: services.ANCILLARY_FIELDS,
}
_MEMBER_NAMES: dict[type[Model], tuple[str, str]] = {
    Person: ("persons", "person"),
    Building: ("buildings", "building"),
    Ancillary: ("ancillaries", "ancillary"),
}


def _two_places(value: Decimal | None) -> Decimal:
    """Sums of areas and quantities with their two decimals (SQLite returns 15.5)."""
    return (value or Decimal("0")).quantize(Decimal("0.01"))


def _quantity(value: Decimal | None) -> str:
    """12 trees rather than 12.00, but 5.93 m of wall."""
    amount = _two_places(value)
    return (
        str(amount.quantize(Decimal("1"))) if amount == amount.to_integral_value() else str(amount)
    )


# --- Scope helpers ----------------------------------------------------------------------------


def _project(request: HttpRequest, project_id: int, action: Action = Action.VIEW) -> Project:
    """The project, 404 outside the user's projects; 403 for a member without the survey
    right (a viewer, say), so that they learn why."""
    project = get_project_for_user(request.user, project_id)
    require(request.user, Module.SURVEY, action, project=project)
    return project


def _household(request: HttpRequest, pk: int) -> Household:
    """The household if the user reaches it in the survey module; 404 outside the user's
    scope; 403 for a member of its project whose role has no survey right at all."""
    try:
        return get_household_for_user(request.user, pk)
    except OutOfScope:
        project_id = Household.objects.filter(pk=pk).values_list("project_id", flat=True).first()
        if project_id is not None and has_perm(
            request.user, Module.PROJECTS, Action.VIEW, project=project_id
        ):
            require(request.user, Module.SURVEY, Action.VIEW, project=project_id)
        raise


def _member(request: HttpRequest, model: type[Any], pk: int) -> Any:
    """A person, building, ancillary or attachment, reached through its household's scope."""
    household_id = model.objects.filter(pk=pk).values_list("household_id", flat=True).first()
    if household_id is None:
        raise OutOfScope(model._meta.label_lower, pk)
    household = _household(request, household_id)
    instance = model.objects.get(pk=pk)
    instance.household = household
    return instance


def _attachment(request: HttpRequest, pk: int) -> Attachment:
    return cast(Attachment, _member(request, Attachment, pk))


def _groups(user: Any, project: Project, action: Action) -> QuerySet[WorkGroup]:
    """The project's work groups the user reaches for this action."""
    ids = work_group_ids_with(user, Module.SURVEY, action, project.pk)
    groups = project.work_groups.order_by("name")
    return groups if ids is None else groups.filter(pk__in=ids)


def _may(user: Any, household: Household, action: Action) -> bool:
    return has_perm(
        user,
        Module.SURVEY,
        action,
        project=household.project_id,
        work_group=household.work_group_id,
    )


def _is_locked(household: Household) -> bool:
    return Confirmation.objects.filter(
        household_id=household.pk, status=ConfirmationStatus.LOCKED
    ).exists()


# --- Survey home: the user's projects ---------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The projects whose survey the user may see, with the households they reach in each."""
    user = request.user
    projects = list(projects_for_user(user, module=Module.SURVEY).order_by("code")[:500])
    counts: dict[int, int] = defaultdict(int)
    scopes = {p.pk: work_group_ids_with(user, Module.SURVEY, Action.VIEW, p.pk) for p in projects}
    # One grouped query for all projects; a user limited to work groups counts only theirs.
    rows = (
        Household.objects.filter(project__in=[p.pk for p in projects])
        .values_list("project_id", "work_group_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for project_id, group_id, n in rows:
        groups = scopes[project_id]
        if groups is None or group_id in groups:
            counts[project_id] += n
    items = [
        {
            "project": p,
            "households": counts[p.pk],
            "may_create": has_perm(user, Module.SURVEY, Action.CREATE, project=p),
        }
        for p in projects
    ]
    return render(request, "survey/index.html", {"items": items})


# --- Household list ---------------------------------------------------------------------------


# Badge colours of the derived status on the list.
_STATUS_BADGE = {
    HouseholdStatus.NO_BUILDINGS: "text-bg-light border",
    HouseholdStatus.SURVEYED: "text-bg-info",
    HouseholdStatus.DRAFT: "text-bg-secondary",
    HouseholdStatus.SUBMITTED: "text-bg-primary",
    HouseholdStatus.RETURNED: "text-bg-danger",
    HouseholdStatus.LOCKED: "text-bg-success",
}


def _list_rows(households: list[Household], *, show_personal: bool) -> list[dict[str, Any]]:
    """The page's rows, ready to print: three grouped queries for the whole page, and what
    the template would otherwise work out per row (links, masks, labels) done here once."""
    pks = [h.pk for h in households]
    buildings = {
        row["household_id"]: row
        for row in Building.objects.filter(household_id__in=pks)
        .values("household_id")
        .annotate(n=Count("id"), area=Sum("measured_area"))
        .order_by()
    }
    persons = dict(
        Person.objects.filter(household_id__in=pks)
        .values_list("household_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    # Read for the page only: a join in the list query would also weigh on its count.
    confirmations = dict(
        Confirmation.objects.filter(household_id__in=pks).values_list("household_id", "status")
    )
    # One reverse() for the page: the household's pk is the last part of its URL.
    link = reverse("survey:household_detail", args=[0]).removesuffix("0/")
    rows = []
    for h in households:
        b = buildings.get(h.pk, {"n": 0, "area": None})
        status = HouseholdStatus.derive(
            confirmation_status=confirmations.get(h.pk), buildings=b["n"]
        )
        rows.append(
            {
                "household": h,
                "url": f"{link}{h.pk}/",
                "head": h.head_name if show_personal else mask_name(h.head_name),
                "id_number": mask_id_number(h.head_id_number),
                "kind": h.get_kind_display(),
                "group": h.work_group.name if h.work_group is not None else "",
                "persons": persons.get(h.pk, 0),
                "buildings": b["n"],
                "area": _two_places(b["area"]),
                "status": status,
                "badge": _STATUS_BADGE[status],
            }
        )
    return rows


@login_required
@require_GET
def household_list(request: HttpRequest, project_id: int) -> HttpResponse:
    user = request.user
    project = _project(request, project_id)
    form = HouseholdFilterForm(request.GET or None, work_groups=_groups(user, project, Action.VIEW))
    show_personal = has_perm(user, Module.SURVEY, Action.VIEW_PERSONAL, project=project)
    page = None
    rows: list[dict[str, Any]] = []
    valid = form.is_valid() if form.is_bound else True
    if valid:
        households = households_for_user(user, project)
        if form.is_bound:
            households = form.filter(households)
        households = households.select_related("work_group").order_by("code")
        page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = _list_rows(list(page.object_list), show_personal=show_personal)
        if form.is_bound and form.has_filters():
            record_search(
                actor=user,
                event_type="household.search",
                project=project,
                query=form.audit_query(),
                results=page.paginator.count,
            )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "project": project,
        "form": form,
        "page_obj": page,
        "rows": rows,
        "query_string": query.urlencode(),
        "may_create": has_perm(user, Module.SURVEY, Action.CREATE, project=project),
    }
    if is_htmx(request):
        # HTMX swaps only successful answers: the rows then say what to correct.
        return render(request, "survey/_household_rows.html", context)
    return render(request, "survey/household_list.html", context, status=200 if valid else 400)


# --- Household create / edit / delete ---------------------------------------------------------


def _household_form_page(
    request: HttpRequest, form: HouseholdForm, project: Project, household: Household | None
) -> HttpResponse:
    return render(
        request,
        "survey/household_form.html",
        {"form": form, "project": project, "household": household},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request: HttpRequest, project_id: int) -> HttpResponse:
    user = request.user
    project = _project(request, project_id, Action.CREATE)
    ids = work_group_ids_with(user, Module.SURVEY, Action.CREATE, project.pk)
    form = HouseholdForm(
        request.POST or None,
        work_groups=_groups(user, project, Action.CREATE),
        group_required=ids is not None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_create(actor=user, project=project, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Household %(code)s created.") % {"code": household.code})
            return redirect("survey:household_detail", pk=household.pk)
    return _household_form_page(request, form, project, None)


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    household = _household(request, pk)
    require_household(user, household, Module.SURVEY, Action.CHANGE)
    project = household.project
    ids = work_group_ids_with(user, Module.SURVEY, Action.CHANGE, project.pk)
    initial = {f: getattr(household, f) for f in services.HOUSEHOLD_FIELDS}
    form = HouseholdForm(
        request.POST or None,
        initial=initial,
        work_groups=_groups(user, project, Action.CHANGE),
        group_required=ids is not None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(actor=user, household=household, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("survey:household_detail", pk=household.pk)
    elif request.method == "GET":
        # The form shows the head's ID number and phone unmasked.
        record_read(
            actor=user,
            event_type="household.edit_view",
            target=household,
            project=project,
            details={"fields": ["head_id_number", "phone"]},
        )
    return _household_form_page(request, form, project, household)


@login_required
@require_POST
def household_delete(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    project_id = household.project_id
    try:
        services.household_delete(actor=request.user, household=household)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("survey:household_detail", pk=household.pk)
    messages.success(request, _("Household %(code)s deleted.") % {"code": household.code})
    return redirect("survey:household_list", project_id=project_id)


# --- The household page -----------------------------------------------------------------------


@login_required
@require_GET
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    household = _household(request, pk)
    project = household.project
    persons = list(household.persons.all())
    buildings = list(household.buildings.all())
    ancillaries = list(household.ancillaries.all())
    files = list(household.attachments.select_related("building", "uploaded_by"))
    announced_on = flags.announcement_date(project)
    rush = flags.rush_flags(announced_on=announced_on, buildings=buildings, ancillaries=ancillaries)
    locked = _is_locked(household)
    may_change = _may(user, household, Action.CHANGE)
    show_personal = _may(user, household, Action.VIEW_PERSONAL)
    record_read(actor=user, event_type="household.view", target=household, project=project)
    context = {
        "household": household,
        "project": project,
        "persons": persons,
        "buildings": buildings,
        "ancillaries": ancillaries,
        "attachments": files,
        "area_total": sum((b.measured_area for b in buildings), Decimal("0.00")),
        "labels": dictionary_labels(*_HOUSEHOLD_KINDS),
        "duplicates": flags.household_duplicates(household, persons=persons, buildings=buildings),
        # Staff of an outside firm learn nothing of projects they are not assigned to.
        "hide_other_projects": is_external(user),
        "announced_on": announced_on,
        "announcement_step": flags.ANNOUNCEMENT_STEP.get(project.kind, ""),
        "rush": rush,
        "rush_buildings": {f.record.pk for f in rush if f.is_building},
        "rush_ancillaries": {f.record.pk for f in rush if not f.is_building},
        "locked": locked,
        "may_change": may_change and not locked,
        "may_attach": may_change,
        "may_delete": _may(user, household, Action.DELETE) and not locked,
        "show_personal": show_personal,
        "phone": household.phone if show_personal else mask_phone(household.phone),
        "sections": household_sections(user, household),
    }
    return render(request, "survey/household_detail.html", context)


def _unmasked(
    request: HttpRequest, *, household: Household, target: Model, value: str, whose: str
) -> HttpResponse:
    require_household(request.user, household, Module.SURVEY, Action.VIEW_PERSONAL)
    record_read(
        actor=request.user,
        event_type=f"{target._meta.model_name}.unmask_id",
        target=target,
        project=household.project_id,
        details={"household": household.pk, "field": "id_number"},
    )
    context = {"value": value, "whose": whose, "household": household}
    template = "survey/_unmasked.html" if is_htmx(request) else "survey/unmasked.html"
    return render(request, template, context)


@login_required
@require_POST
def household_unmask(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    return _unmasked(
        request,
        household=household,
        target=household,
        value=household.head_id_number,
        whose=household.head_name,
    )


@login_required
@require_POST
def person_unmask(request: HttpRequest, pk: int) -> HttpResponse:
    person = _member(request, Person, pk)
    return _unmasked(
        request,
        household=person.household,
        target=person,
        value=person.id_number,
        whose=person.name,
    )


# --- Persons, buildings, ancillaries ----------------------------------------------------------


def _member_page(
    request: HttpRequest,
    *,
    model: type[Model],
    form: Any,
    household: Household,
    instance: Any = None,
) -> HttpResponse:
    return render(
        request,
        "survey/member_form.html",
        {
            "form": form,
            "household": household,
            "instance": instance,
            "kind": _MEMBER_NAMES[model][1],
            "units": ANCILLARY_UNITS,
        },
        status=400 if form.errors else 200,
    )


def _back(household: Household, model: type[Model]) -> str:
    anchor = _MEMBER_NAMES[model][0]
    return reverse("survey:household_detail", args=[household.pk]) + f"#{anchor}"


@login_required
@require_http_methods(["GET", "POST"])
def member_create(request: HttpRequest, pk: int, model: type[Model]) -> HttpResponse:
    household = _household(request, pk)
    require_household(request.user, household, Module.SURVEY, Action.CHANGE)
    form = MEMBER_FORMS[model](request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_create(
                actor=request.user, household=household, model=model, **form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Added."))
            return redirect(_back(household, model))
    return _member_page(request, model=model, form=form, household=household)


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, pk: int, model: type[Model]) -> HttpResponse:
    instance = _member(request, model, pk)
    household = instance.household
    require_household(request.user, household, Module.SURVEY, Action.CHANGE)
    fields = _MEMBER_FIELDS[model]
    form = MEMBER_FORMS[model](
        request.POST or None, initial={f: getattr(instance, f) for f in fields}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(actor=request.user, instance=instance, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(_back(household, model))
    elif request.method == "GET" and model is Person and instance.id_number:
        # The form shows the person's ID number unmasked.
        record_read(
            actor=request.user,
            event_type="person.edit_view",
            target=instance,
            project=household.project_id,
            details={"household": household.pk, "fields": ["id_number"]},
        )
    return _member_page(request, model=model, form=form, household=household, instance=instance)


@login_required
@require_POST
def member_delete(request: HttpRequest, pk: int, model: type[Model]) -> HttpResponse:
    instance = _member(request, model, pk)
    household = instance.household
    try:
        services.member_delete(actor=request.user, instance=instance)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Deleted."))
    return redirect(_back(household, model))


# --- Attachments ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    require_household(request.user, household, Module.SURVEY, Action.CHANGE)
    form = AttachmentForm(
        request.POST or None,
        request.FILES or None,
        buildings=household.buildings.order_by("number"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            attachment_services.attachment_create(
                actor=request.user,
                household=household,
                kind=data["kind"],
                upload=data["file"],
                building=data["building"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("File uploaded."))
            return redirect(
                reverse("survey:household_detail", args=[household.pk]) + "#attachments"
            )
    return render(
        request,
        "survey/attachment_form.html",
        {
            "form": form,
            "household": household,
            "max_mb": attachment_services.max_upload_bytes() // 1024 // 1024,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
@xframe_options_sameorigin
def attachment_preview(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The file inline, for an <img> or an <iframe> of the household page (same origin only)."""
    attachment = _attachment(request, pk)
    if not attachment.previewable:
        raise OutOfScope("survey.attachment.preview", pk)
    return attachment_services.attachment_response(
        actor=request.user, attachment=attachment, inline=True
    )


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    attachment = _attachment(request, pk)
    return attachment_services.attachment_response(
        actor=request.user, attachment=attachment, inline=False
    )


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = _attachment(request, pk)
    household = attachment.household
    try:
        attachment_services.attachment_delete(actor=request.user, attachment=attachment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("File deleted."))
    return redirect(reverse("survey:household_detail", args=[household.pk]) + "#attachments")


# --- Publication of the survey results (调查结果公示) -----------------------------------------


def _ancillary_summary(pks: list[int], labels: dict[str, dict[str, str]]) -> dict[int, list[str]]:
    """Per household, "围墙 12.50米" per kind and unit: one grouped query for the page."""
    summary: dict[int, list[str]] = defaultdict(list)
    rows = (
        Ancillary.objects.filter(household_id__in=pks)
        .values_list("household_id", "kind", "unit")
        .annotate(total=Sum("quantity"))
        .order_by("household_id", "kind", "unit")
    )
    for household_id, kind, unit, total in rows:
        summary[household_id].append(
            f"{label_of(labels, DictionaryKind.ANCILLARY_TYPE, kind)} {_quantity(total)}{unit}"
        )
    return summary


@login_required
@require_GET
def publication(request: HttpRequest, project_id: int) -> HttpResponse:
    user = request.user
    project = _project(request, project_id)
    form = PublicationFilterForm(
        request.GET or None, work_groups=_groups(user, project, Action.VIEW)
    )
    households = households_for_user(user, project)
    group = form.cleaned_data.get("work_group") if form.is_valid() else None
    if group is not None:
        households = households.filter(work_group=group)
    page = Paginator(
        households.select_related("work_group").order_by("code"), PUBLICATION_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    items = list(page.object_list)
    pks = [h.pk for h in items]
    buildings = {
        row["household_id"]: row
        for row in Building.objects.filter(household_id__in=pks)
        .values("household_id")
        .annotate(n=Count("id"), area=Sum("measured_area"))
        .order_by()
    }
    labels = dictionary_labels(DictionaryKind.ANCILLARY_TYPE)
    ancillaries = _ancillary_summary(pks, labels)
    rows = [
        {
            "household": h,
            "buildings": buildings.get(h.pk, {}).get("n", 0),
            "area": _two_places(buildings.get(h.pk, {}).get("area")),
            "ancillaries": ancillaries.get(h.pk, []),
        }
        for h in items
    ]
    record_read(
        actor=user,
        event_type="survey.publication_view",
        project=project,
        details={
            "work_group": group.pk if group is not None else None,
            "page": page.number,
            "households": len(rows),
        },
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "survey/publication.html",
        {
            "project": project,
            "form": form,
            "group": group,
            "page_obj": page,
            "rows": rows,
            "query_string": query.urlencode(),
            "area_total": sum((r["area"] for r in rows), Decimal("0.00")),
        },
    )


# --- Duplicate report (杜绝二次补偿) ----------------------------------------------------------


@login_required
@require_GET
def duplicates(request: HttpRequest, project_id: int) -> HttpResponse:
    user = request.user
    project = _project(request, project_id)
    report = flags.duplicate_report(households_for_user(user, project), project=project)
    record_read(
        actor=user,
        event_type="survey.duplicates_view",
        project=project,
        details={
            "id_numbers": len(report.id_numbers),
            "title_certificates": len(report.titles),
            "rush": report.rush_total,
        },
    )
    return render(
        request,
        "survey/duplicates.html",
        {
            "project": project,
            "report": report,
            "announcement_step": flags.ANNOUNCEMENT_STEP.get(project.kind, ""),
            "labels": dictionary_labels(DictionaryKind.ANCILLARY_TYPE),
            "hide_other_projects": is_external(user),
        },
    )
