"""The policy pages (补偿方案): a project's versions, one version's settings and items, the
preview of a draft against example households, and the publication.

Thin: every write goes through compensation.services, which check the actor's rights and that
the version is still a draft; the preview only reads (gather_inputs and evaluate, no record).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import yesno
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengqian.accounts.decorators import require_sudo_mode
from zhengqian.accounts.permissions import OutOfScope, has_perm, require
from zhengqian.accounts.roles import Action, Module
from zhengqian.compensation import services
from zhengqian.compensation.forms_policy import (
    AREA_CHOICES,
    EVENT_CHOICES,
    VALUATION_LINE_CHOICES,
    DraftForm,
    PolicyItemForm,
    PolicySettingsForm,
    PreviewForm,
)
from zhengqian.compensation.models import CATEGORY_CHOICES, MODE_CHOICES, Policy, PolicyItem
from zhengqian.core.forms import attach_errors
from zhengqian.projects.models import Project
from zhengqian.projects.selectors import get_project_for_user, milestones_of
from zhengqian.survey.models import HouseholdKind
from zhengqian.survey.selectors import households_for_user

# --- The rule in words ------------------------------------------------------------------------


def _money(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (ArithmeticError, ValueError):
        return str(value)


def _number(value: Any) -> str:
    """A coefficient, a percentage or months without trailing zeros."""
    try:
        number = Decimal(str(value)).normalize()
    except (ArithmeticError, ValueError):
        return str(value)
    return f"{number:f}"


def _area(which: Any) -> str:
    return str(dict(AREA_CHOICES).get(which, which)).lower()


def _items(codes: Any) -> str:
    return " + ".join(codes or []) or "—"


def describe_rule(rule: Any, milestones: Mapping[str, str] | None = None) -> str:
    """The rule of a policy item in plain words, from its JSON (for the pages; the engine
    writes its own text on each calculated line). ``milestones`` names the project's steps."""
    rule = dict(rule or {})
    kind = rule.get("type")
    if kind == "area_rate":
        if rule.get("valuation_price"):
            text = _("%(area)s × valuation unit price") % {"area": _area(rule.get("area"))}
        else:
            text = _("%(rate)s/m² × %(area)s") % {
                "rate": _money(rule.get("rate")),
                "area": _area(rule.get("area")),
            }
        coefficient = rule.get("coefficient")
        if coefficient not in (None, "") and Decimal(str(coefficient)) != 1:
            text += f" × {_number(coefficient)}"
    elif kind == "per_household":
        text = _("%(amount)s per household") % {"amount": _money(rule.get("amount"))}
    elif kind == "per_person":
        text = _("%(amount)s per eligible person") % {"amount": _money(rule.get("amount"))}
    elif kind == "monthly":
        if rule.get("basis", "area") == "area":
            monthly = _("%(rate)s/m² × %(area)s") % {
                "rate": _money(rule.get("rate")),
                "area": _area(rule.get("area", "legal")),
            }
        else:
            monthly = _("%(rate)s per household") % {"rate": _money(rule.get("rate"))}
        minimum = rule.get("monthly_minimum")
        if minimum not in (None, "") and Decimal(str(minimum)):
            monthly = _("%(monthly)s, at least %(minimum)s") % {
                "monthly": monthly,
                "minimum": _money(minimum),
            }
        text = _("%(monthly)s a month × %(months)s months") % {
            "monthly": monthly,
            "months": _number(rule.get("months")),
        }
    elif kind == "percent_of":
        text = _("%(percent)s%% of %(items)s") % {
            "percent": _number(rule.get("percent")),
            "items": _items(rule.get("of")),
        }
    elif kind == "tiers":
        steps = []
        for tier in rule.get("tiers") or []:
            if "percent" in tier:
                what = _("%(percent)s%% of %(items)s") % {
                    "percent": _number(tier["percent"]),
                    "items": _items(tier.get("of")),
                }
            else:
                what = _money(tier.get("amount"))
            if tier.get("up_to_days") is None:
                steps.append(_("later → %(what)s") % {"what": what})
            else:
                steps.append(
                    _("up to %(days)s days → %(what)s") % {"days": tier["up_to_days"], "what": what}
                )
        text = _("days from %(from)s to %(to)s: %(tiers)s") % {
            "from": (milestones or {}).get(rule.get("from", ""), rule.get("from", "?")),
            "to": dict(EVENT_CHOICES).get(rule.get("to"), rule.get("to", "?")),
            "tiers": "; ".join(steps),
        }
    elif kind == "valuation":
        text = _("valuation: %(line)s") % {
            "line": str(dict(VALUATION_LINE_CHOICES).get(rule.get("line"), rule.get("line")))
        }
    else:
        return _("unknown rule %(kind)s") % {"kind": kind}
    if rule.get("uses"):
        text += " " + _("(buildings used as %(uses)s)") % {"uses": ", ".join(rule["uses"])}
    return text


def _conditions(item: PolicyItem) -> str:
    modes, kinds = dict(MODE_CHOICES), dict(HouseholdKind.choices)
    parts = [str(modes.get(m, m)) for m in item.modes or []]
    parts += [str(kinds.get(k, k)) for k in item.kinds or []]
    return "; ".join(parts)


# --- Finding the records ------------------------------------------------------------------------


def _project(request: HttpRequest, project_id: Any) -> Project:
    """The project, 404 outside the user's projects; 403 for a member without compensation
    rights."""
    project = get_project_for_user(request.user, project_id)
    require(request.user, Module.COMPENSATION, Action.VIEW, project=project)
    return project


def _policy(request: HttpRequest, pk: Any) -> Policy:
    try:
        policy = Policy.objects.select_related("project", "published_by").get(pk=int(pk))
    except (Policy.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("compensation.policy", pk) from None
    _project(request, policy.project_id)
    return policy


def _policy_for_write(request: HttpRequest, pk: Any) -> Policy:
    policy = _policy(request, pk)
    # The services check this again; checked first, a denied user learns it whatever was sent.
    require(request.user, Module.PROJECTS, Action.CHANGE, project=policy.project_id)
    return policy


def _item(policy: Policy, pk: Any) -> PolicyItem:
    try:
        return policy.items.get(pk=int(pk))
    except (PolicyItem.DoesNotExist, ValueError, TypeError):
        raise OutOfScope("compensation.policyitem", pk) from None


def _frozen(request: HttpRequest, policy: Policy) -> HttpResponse:
    """A change sent for a published version: refused with the service's words."""
    messages.error(
        request,
        _("Version %(v)d of the policy is published and cannot change: draft a new version.")
        % {"v": policy.version},
    )
    return redirect("compensation:policy_detail", pk=policy.pk)


def _may_edit(request: HttpRequest, policy: Policy) -> bool:
    return not policy.frozen and has_perm(
        request.user, Module.PROJECTS, Action.CHANGE, project=policy.project_id
    )


# --- The project's versions -------------------------------------------------------------------


@login_required
@require_GET
def policy_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    versions = list(
        Policy.objects.filter(project=project)
        .select_related("published_by", "created_by")
        .order_by("-version")
    )
    current = services.current_policy(project)
    draft = next((p for p in versions if not p.frozen), None)
    can_change = has_perm(request.user, Module.PROJECTS, Action.CHANGE, project=project)
    return render(
        request,
        "compensation/policy/page.html",
        {
            "project": project,
            "versions": versions,
            "current": current,
            "draft": draft,
            "can_change": can_change,
            "draft_form": DraftForm() if can_change and draft is None else None,
        },
    )


@login_required
@require_POST
def policy_draft(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    require(request.user, Module.PROJECTS, Action.CHANGE, project=project)
    form = DraftForm(request.POST)
    title = form.cleaned_data["title"] if form.is_valid() else ""
    try:
        policy = services.policy_draft(actor=request.user, project=project, title=title)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("compensation:policy", project_id=project.pk)
    messages.success(
        request,
        _("Version %(v)d is drafted: edit it, check it, publish it.") % {"v": policy.version},
    )
    return redirect("compensation:policy_detail", pk=policy.pk)


# --- One version ------------------------------------------------------------------------------


def _item_rows(policy: Policy) -> list[dict[str, Any]]:
    categories = dict(CATEGORY_CHOICES)
    milestones = {m.code: m.name for m in milestones_of(policy.project)}
    return [
        {
            "item": item,
            "category": categories.get(item.category, item.category),
            "rule": describe_rule(item.rule, milestones),
            "conditions": _conditions(item),
        }
        for item in policy.items.order_by("position")
    ]


def _detail(
    request: HttpRequest, policy: Policy, *, form: PolicySettingsForm | None = None
) -> HttpResponse:
    can_edit = _may_edit(request, policy)
    return render(
        request,
        "compensation/policy/detail.html",
        {
            "project": policy.project,
            "policy": policy,
            "rows": _item_rows(policy),
            "can_edit": can_edit,
            "form": (form or PolicySettingsForm.for_policy(policy)) if can_edit else None,
            "preview_form": PreviewForm() if not policy.frozen else None,
            "settings": _settings(policy),
        },
        status=400 if form is not None and form.errors else 200,
    )


def _settings(policy: Policy) -> list[tuple[str, Any]]:
    """The version's settings, labelled as its model labels them (the read-only view)."""
    shown = [
        ("entitlement_basis", policy.get_entitlement_basis_display()),
        ("area_per_person", policy.area_per_person),
        ("entitled_price", _money(policy.entitled_price)),
        ("above_price", _money(policy.above_price)),
        ("below_price", _money(policy.below_price)),
        ("voucher_premium", policy.voucher_premium),
        ("voucher_validity_months", policy.voucher_validity_months),
        ("leader_threshold", _money(policy.leader_threshold)),
        ("effect_threshold", policy.effect_threshold),
        ("signing_period_end", policy.signing_period_end or "—"),
        ("payment_first_percent", policy.payment_first_percent),
        ("payment_due_days", policy.payment_due_days),
        ("vacate_within_days", policy.vacate_within_days),
        ("fit_above", policy.fit_above),
        ("fit_below", policy.fit_below),
        ("flat_step_area", policy.flat_step_area),
        ("max_flats", policy.max_flats),
        ("transition_rate", _money(policy.transition_rate)),
        ("transition_minimum", _money(policy.transition_minimum)),
        ("transition_after_handover_months", policy.transition_after_handover_months),
        ("transition_late_factor", policy.transition_late_factor),
        ("voucher_cash_allowed", yesno(policy.voucher_cash_allowed)),
        ("voucher_cash_full_percent", policy.voucher_cash_full_percent),
        ("voucher_cash_rate", policy.voucher_cash_rate),
        ("voucher_cash_forfeits_premium", yesno(policy.voucher_cash_forfeits_premium)),
        ("voucher_developer_first_percent", policy.voucher_developer_first_percent),
    ]
    labels = PolicySettingsForm.base_fields
    return [(str(labels[name].label), value) for name, value in shown]


@login_required
@require_http_methods(["GET", "POST"])
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "GET":
        return _detail(request, _policy(request, pk))
    policy = _policy_for_write(request, pk)
    if policy.frozen:
        return _frozen(request, policy)
    form = PolicySettingsForm.for_policy(policy, request.POST)
    if form.is_valid():
        try:
            services.policy_update(actor=request.user, policy=policy, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("compensation:policy_detail", pk=policy.pk)
    policy.refresh_from_db()
    return _detail(request, policy, form=form)


def _item_form(policy: Policy, item: PolicyItem | None, data: Any = None) -> PolicyItemForm:
    others = policy.items.order_by("position")
    if item is not None:
        others = others.exclude(pk=item.pk)
    return PolicyItemForm(
        data,
        initial=PolicyItemForm.initial_for(item) if item is not None else {"rule": "area_rate"},
        item_codes=[i.code for i in others],
        milestones=[(m.code, m.name) for m in milestones_of(policy.project)],
    )


def _item_page(
    request: HttpRequest, policy: Policy, item: PolicyItem | None, data: Any = None
) -> HttpResponse:
    form = _item_form(policy, item, data)
    if data is not None and form.is_valid():
        try:
            services.policy_item_save(
                actor=request.user, policy=policy, item=item, **form.item_fields()
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request, _("Item %(code)s saved.") % {"code": form.cleaned_data["code"]}
            )
            return redirect("compensation:policy_detail", pk=policy.pk)
    return render(
        request,
        "compensation/policy/item_form.html",
        {"project": policy.project, "policy": policy, "item": item, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy_for_write(request, pk)
    if policy.frozen:
        return _frozen(request, policy)
    return _item_page(request, policy, None, request.POST if request.method == "POST" else None)


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    policy = _policy_for_write(request, pk)
    item = _item(policy, item_pk)
    if policy.frozen:
        return _frozen(request, policy)
    return _item_page(request, policy, item, request.POST if request.method == "POST" else None)


@login_required
@require_POST
def item_delete(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    policy = _policy_for_write(request, pk)
    item = _item(policy, item_pk)
    try:
        services.policy_item_delete(actor=request.user, item=item)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Item %(code)s deleted.") % {"code": item.code})
    return redirect("compensation:policy_detail", pk=policy.pk)


# --- Checking a draft against example households ----------------------------------------------


def _preview_rows(
    request: HttpRequest, policy: Policy, form: PreviewForm
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each household's lines under the draft, or why it cannot be calculated yet; and the
    codes not found among the households the user may reach."""
    codes = form.cleaned_data["households"]
    reachable = households_for_user(
        request.user, policy.project, module=Module.COMPENSATION, action=Action.VIEW
    )
    found = {h.code: h for h in reachable.filter(code__in=codes)}
    categories = dict(CATEGORY_CHOICES)
    rows = []
    for code in codes:
        household = found.get(code)
        if household is None:
            continue
        inputs = services.gather_inputs(
            household,
            mode=form.cleaned_data["mode"],
            signing_on=form.cleaned_data.get("signing_on"),
            vacating_on=form.cleaned_data.get("vacating_on"),
        )
        row: dict[str, Any] = {"household": household}
        try:
            result = services.evaluate(policy, inputs)
        except ValidationError as exc:
            row["problem"] = " ".join(exc.messages)
        else:
            row["lines"] = result.lines
            row["total"] = result.total
            row["by_category"] = [
                (categories.get(c, c), amount) for c, amount in result.by_category().items()
            ]
        rows.append(row)
    return rows, [c for c in codes if c not in found]


@login_required
@require_GET
def policy_preview(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy(request, pk)
    form = PreviewForm(request.GET or None)
    rows: list[dict[str, Any]] = []
    unknown: list[str] = []
    if form.is_valid():
        rows, unknown = _preview_rows(request, policy, form)
    return render(
        request,
        "compensation/policy/preview.html",
        {
            "project": policy.project,
            "policy": policy,
            "form": form,
            "rows": rows,
            "unknown": unknown,
        },
        status=400 if form.errors else 200,
    )


# --- Publication --------------------------------------------------------------------------------


@login_required
@require_POST
def policy_publish(request: HttpRequest, pk: int) -> HttpResponse:
    # The rights first: a denied user is told so before being asked for the password.
    return _publish(request, _policy_for_write(request, pk))


@require_sudo_mode
def _publish(request: HttpRequest, policy: Policy) -> HttpResponse:
    try:
        services.policy_publish(actor=request.user, policy=policy)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Version %(v)d is published: new calculations use it.") % {"v": policy.version},
        )
    return redirect("compensation:policy_detail", pk=policy.pk)
