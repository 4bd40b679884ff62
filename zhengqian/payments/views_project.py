"""A project's payments pages: the funds summary with its sources, receipts and the finance
department's forms; the supervision lists (拿钱没拆, 拆了没付清, 二次补偿, overdue); the finance
queue.

Thin views: every rule is in payments.services. A project outside the user's scope is 404; a
refused write raises AccessDenied (403, recorded by the middleware). The lists mask the heads'
names and ID numbers: they are read by supervisors to find households, not to identify people.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from zhengqian.accounts.permissions import require
from zhengqian.accounts.roles import Action, Module
from zhengqian.core.forms import attach_errors
from zhengqian.core.masking import mask_id_number, mask_name
from zhengqian.core.money import FEN
from zhengqian.payments import selectors, services
from zhengqian.payments.forms import ReceiptForm, SourceForm
from zhengqian.payments.models import IdentityKind
from zhengqian.payments.selectors import Rule
from zhengqian.projects.models import Project

PAGE_SIZE = 50

# The supervision rules (DESIGN.md §1, `003`), in the order of the project page.
RULE_TITLES = {
    Rule.PAID_NOT_DEMOLISHED: gettext_lazy("Paid but not demolished"),
    Rule.DEMOLISHED_NOT_PAID: gettext_lazy("Demolished but not fully paid"),
    Rule.DOUBLE: gettext_lazy("Double compensation"),
    Rule.OVERDUE: gettext_lazy("Payments overdue"),
}


def _rule_text(rule: str, project: Project) -> str:
    if rule == Rule.PAID_NOT_DEMOLISHED:
        return _(
            "Households first paid more than %(days)d days ago whose house is still standing: "
            "a house paid for must be demolished within %(days)d days."
        ) % {"days": project.demolish_within_days}
    if rule == Rule.DEMOLISHED_NOT_PAID:
        return _("Households whose house is demolished while their agreement is not fully paid.")
    if rule == Rule.DOUBLE:
        return _(
            "Households paid with an ID number or a title certificate that was also paid in "
            "another household, of this or another project."
        )
    return _("Households with an instalment past its due date and not paid.")


def _figures(funds: selectors.Funds) -> list[tuple[str, str, Decimal, str, bool]]:
    """The funds summary as a leader reads it: (key, label, amount, what it is, alarming)."""
    figures = [
        ("budget", _("Budget"), funds.budget, _("Planned from all funding sources."), False),
        (
            "received",
            _("Funds received"),
            funds.received,
            _("Arrived in the project's account from its sources."),
            False,
        ),
        (
            "committed",
            _("Agreed in signed agreements"),
            funds.committed,
            _(
                "Signed agreements, effective or waiting for the signing rate, as last "
                "corrected by their supplements."
            ),
            False,
        ),
        (
            "paid",
            _("Paid to households"),
            funds.paid,
            _("Transfers made, less those that failed or came back."),
            False,
        ),
        (
            "in_process",
            _("Being paid"),
            funds.in_process,
            _("Asked for or approved, not yet transferred."),
            False,
        ),
        (
            "gap",
            _("Still owed to households"),
            funds.gap,
            _(
                "Cash of the agreements and items of resettlement not yet paid (flats and "
                "vouchers are not cash)."
            ),
            False,
        ),
        (
            "receivable",
            _("Owed by households"),
            funds.receivable,
            _("Amounts households owe the office, not yet received."),
            False,
        ),
        (
            "collected",
            _("Received from households"),
            funds.collected,
            _("Amounts households owed the office, received."),
            False,
        ),
        (
            "balance",
            _("Balance"),
            funds.balance,
            _("Funds received and money received from households, less what has been paid."),
            False,
        ),
        (
            "shortfall",
            _("Funding shortfall"),
            funds.shortfall,
            _("What signed agreements still owe beyond the balance: money still to be found."),
            True,
        ),
    ]
    # Sums come back from SQLite without their scale: always to the fen.
    return [
        (k, label, amount.quantize(FEN), text, alarm) for k, label, amount, text, alarm in figures
    ]


def _project_url(project: Project) -> str:
    return reverse("payments:project", args=[project.pk])


# --- the funds summary ---------------------------------------------------------------------


def _overview(
    request: HttpRequest,
    project: Project,
    *,
    source_form: SourceForm | None = None,
    receipt_form: ReceiptForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    may_change = selectors.may_in_project(user, project, Action.CHANGE)
    groups = selectors.groups_of(user, project)
    counts = selectors.counts(project, groups=groups)
    rules = [
        {
            "code": rule,
            "title": RULE_TITLES[rule],
            "text": _rule_text(rule, project),
            "count": counts[rule],
        }
        for rule in Rule.ALL
    ]
    sources = selectors.sources(project.pk)
    context: dict[str, Any] = {
        "project": project,
        "figures": _figures(selectors.funds(project.pk)),
        "sources": sources,
        "receipts": selectors.receipts(project.pk),
        "rules": rules,
        "queue": selectors.queue_counts(project.pk, groups),
        "may_change": may_change,
        "may_export": selectors.may_in_project(user, project, Action.EXPORT),
        "plans_missing": selectors.plans_missing(project.pk),
    }
    if may_change:
        context["source_form"] = source_form or SourceForm()
        context["receipt_form"] = receipt_form or ReceiptForm(
            project_id=project.pk, initial={"received_on": timezone.localdate()}
        )
    return render(request, "payments/project.html", context, status=status)


@login_required
@require_GET
def project(request: HttpRequest, pk: int) -> HttpResponse:
    return _overview(request, selectors.get_project_for_user(request.user, pk))


def _finance_project(request: HttpRequest, pk: int) -> Project:
    found = selectors.get_project_for_user(request.user, pk)
    require(request.user, Module.PAYMENTS, Action.CHANGE, project=found)
    return found


@login_required
@require_POST
def source_create(request: HttpRequest, pk: int) -> HttpResponse:
    found = _finance_project(request, pk)
    form = SourceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            source = services.source_create(
                actor=request.user,
                project=found,
                kind=data["kind"],
                name=data["name"],
                planned=data["planned"],
                reference=data["reference"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request, _("The funding source “%(name)s” was added.") % {"name": source.name}
            )
            return redirect(_project_url(found) + "#sources")
    return _overview(request, found, source_form=form, status=400)


@login_required
@require_POST
def receipt_record(request: HttpRequest, pk: int) -> HttpResponse:
    found = _finance_project(request, pk)
    form = ReceiptForm(request.POST, project_id=found.pk)
    if form.is_valid():
        data = form.cleaned_data
        try:
            receipt = services.receipt_record(
                actor=request.user,
                source=data["source"],
                amount=data["amount"],
                received_on=data["received_on"],
                document_no=data["document_no"],
                note=data["note"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(amount)s yuan received from %(source)s was recorded in the ledger.")
                % {"amount": f"{receipt.amount:,.2f}", "source": receipt.source.name},
            )
            return redirect(_project_url(found) + "#receipts")
    return _overview(request, found, receipt_form=form, status=400)


@login_required
@require_POST
def plans_create(request: HttpRequest, pk: int) -> HttpResponse:
    found = _finance_project(request, pk)
    made = services.plans_create_missing(actor=request.user, project=found)
    if made:
        messages.success(
            request,
            ngettext("%(n)d payment plan was made.", "%(n)d payment plans were made.", made)
            % {"n": made},
        )
    else:
        messages.info(request, _("Every agreement in force has its payment plan."))
    return redirect(_project_url(found))


# --- the supervision lists -----------------------------------------------------------------


def _account_rows(accounts: list[Any], today: Any) -> list[dict[str, Any]]:
    return [
        {
            "account": a,
            "household": a.household,
            "head": mask_name(a.household.head_name),
            "owed": a.committed - a.paid,
            "days_since_paid": (today - a.first_paid_on).days if a.first_paid_on else None,
            "days_overdue": (today - a.next_due_on).days if a.next_due_on else None,
        }
        for a in accounts
    ]


def _double_rows(user: Any, project: Project, identities: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for row in selectors.double_rows(project.pk, identities):
        identity = row.identity
        shown = (
            mask_id_number(identity.value)
            if identity.kind == IdentityKind.PERSON
            else identity.value
        )
        others = [
            {
                "identity": other,
                "household": other.household,
                "project": other.project,
                "visible": selectors.may(user, other.household, Action.VIEW),
            }
            for other in row.others
        ]
        rows.append({"identity": identity, "value": shown, "others": others})
    return rows


@login_required
@require_GET
def rule(request: HttpRequest, pk: int, rule: str) -> HttpResponse:
    found = selectors.get_project_for_user(request.user, pk)
    if rule not in Rule.ALL:
        raise Http404(_("There is no such supervision list."))
    today = timezone.localdate()
    context: dict[str, Any] = {
        "project": found,
        "rule": rule,
        "title": RULE_TITLES[rule],
        "text": _rule_text(rule, found),
        "today": today,
    }
    if rule == Rule.DOUBLE:
        groups = selectors.groups_of(request.user, found)
        identities = selectors.doubles(found.pk, groups).select_related("household")
        doubles = Paginator(identities, PAGE_SIZE).get_page(request.GET.get("page"))
        context["doubles"] = _double_rows(request.user, found, list(doubles.object_list))
        context["page_obj"] = doubles
    else:
        groups = selectors.groups_of(request.user, found)
        accounts = selectors.rule_accounts(found, rule, today, groups).select_related(
            "household", "agreement"
        )
        page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
        context["rows"] = _account_rows(list(page.object_list), today)
        context["page_obj"] = page
    context["query_string"] = ""
    return render(request, "payments/rule.html", context)


# --- the finance queue ---------------------------------------------------------------------

QUEUE_LIMIT = 200


@login_required
@require_GET
def queue(request: HttpRequest, pk: int) -> HttpResponse:
    """What waits for the finance department, oldest first, with how long it has waited."""
    found = selectors.get_project_for_user(request.user, pk)
    lists = selectors.queue(found.pk, selectors.groups_of(request.user, found))
    sections = []
    for name, title in (
        ("requested", _("Requests to approve")),
        ("approved", _("Approved transfers to record")),
        ("no_receipt", _("Paid without the household's signed receipt")),
    ):
        rows = lists[name]
        payments = list(rows[:QUEUE_LIMIT])
        for p in payments:
            p.head = mask_name(p.household.head_name)  # type: ignore[attr-defined]
        sections.append({"name": name, "title": title, "payments": payments, "count": rows.count()})
    context = {
        "project": found,
        "sections": sections,
        "limit": QUEUE_LIMIT,
        "today": timezone.localdate(),
    }
    return render(request, "payments/queue.html", context)
