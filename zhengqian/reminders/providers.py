"""The built-in providers of work items, one per kind, read from each module's own records.

Every provider is set-based: a few queries over the waiting records of the projects asked for
(never one per household, never a loop over all households), and the people who may act are read
once per call from the memberships and the role matrix (`Staff`). Who may act follows the module's
own service checks: the right in the project and the record's work group, the role a step names,
and separation of duties (whoever prepared or asked for something does not decide it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengqian.accounts.roles import Action, Module
from zhengqian.reminders.workitems import Kind, WorkItem, register, shared

# --- who may act -----------------------------------------------------------------------------


class Staff:
    """The active users' memberships of some projects (and the office-wide ones) with the role
    matrix, read in three queries; answers "who may do this here" from memory, memoised."""

    def __init__(self, project_ids: Sequence[int] | None) -> None:
        from zhengqian.accounts.models import Membership, RolePermission

        memberships = Membership.objects.filter(user__is_active=True)
        if project_ids is not None:
            memberships = memberships.filter(
                Q(project_id__in=list(project_ids)) | Q(project__isnull=True)
            )
        rows = list(memberships.values_list("pk", "user_id", "role", "project_id"))
        groups: dict[int, set[int]] = {}
        through = Membership.work_groups.through
        for membership_id, group_id in through.objects.filter(
            membership_id__in=[r[0] for r in rows]
        ).values_list("membership_id", "workgroup_id"):
            groups.setdefault(membership_id, set()).add(group_id)
        # (user, role, project or None for every project, work groups or empty for all)
        self.grants: list[tuple[int, str, int | None, frozenset[int]]] = [
            (user_id, role, project_id, frozenset(groups.get(pk, ())))
            for pk, user_id, role, project_id in rows
        ]
        self.matrix: dict[str, set[tuple[str, str]]] = {}
        for role, module, action in RolePermission.objects.values_list("role", "module", "action"):
            self.matrix.setdefault(role, set()).add((module, action))
        self._memo: dict[tuple[Any, ...], frozenset[int]] = {}

    def _applies(
        self, project_id: int, work_group_id: int | None, g_project: int | None, g_groups: frozenset
    ) -> bool:
        # A membership limited to work groups reaches only the records of those groups (as
        # survey.permissions.require_household and accounts.permissions.holds_role decide).
        if g_project is not None and g_project != project_id:
            return False
        return not g_groups or work_group_id in g_groups

    def may(
        self, module: str, action: str, project_id: int, work_group_id: int | None
    ) -> frozenset[int]:
        """The users whose roles allow the action on a record of this project and group."""
        memo_key = ("may", str(module), str(action), project_id, work_group_id)
        if memo_key not in self._memo:
            wanted = (str(module), str(action))
            self._memo[memo_key] = frozenset(
                user_id
                for user_id, role, g_project, g_groups in self.grants
                if wanted in self.matrix.get(role, ())
                and self._applies(project_id, work_group_id, g_project, g_groups)
            )
        return self._memo[memo_key]

    def holding(self, role: str, project_id: int, work_group_id: int | None) -> frozenset[int]:
        """The users who hold this very role for a record of this project and group."""
        memo_key = ("role", str(role), project_id, work_group_id)
        if memo_key not in self._memo:
            self._memo[memo_key] = frozenset(
                user_id
                for user_id, g_role, g_project, g_groups in self.grants
                if g_role == str(role)
                and self._applies(project_id, work_group_id, g_project, g_groups)
            )
        return self._memo[memo_key]


# --- deadlines -------------------------------------------------------------------------------


class _Deadlines:
    """Deadline of an item without its own: waiting_since + the rule's working days
    (zhengqian.reminders.rules, read once per provider call)."""

    def __init__(self) -> None:
        from zhengqian.reminders.rules import RuleBook

        self.book = RuleBook.load()

    def __call__(self, code: str, project_id: int, since: dt.datetime) -> dt.date:
        from zhengqian.core.workdays import UnknownCalendarYear

        try:
            return self.book.deadline(code, project_id, since)
        except UnknownCalendarYear:
            # Beyond the years the calendar knows: Monday to Friday.
            day = timezone.localtime(since).date()
            left = self.book.working_days(code, project_id)
            while left:
                day += dt.timedelta(days=1)
                if day.weekday() < 5:
                    left -= 1
            return day


def _staff(project_ids: Sequence[int] | None) -> Staff:
    key = "staff:" + ("*" if project_ids is None else ",".join(map(str, project_ids)))
    return shared(key, lambda: Staff(project_ids))


def _deadlines() -> _Deadlines:
    return shared("deadlines", _Deadlines)


def _projects(field: str, project_ids: Sequence[int] | None) -> Q:
    return Q() if project_ids is None else Q(**{f"{field}__in": list(project_ids)})


# --- compensation ----------------------------------------------------------------------------

REVIEW = Kind(
    code="compensation.review",
    label=gettext_lazy("Calculations to review"),
    module=Module.COMPENSATION.value,
    default_working_days=2,
)
RETURNED = Kind(
    code="compensation.returned",
    label=gettext_lazy("Returned calculations to correct"),
    module=Module.COMPENSATION.value,
    default_working_days=3,
)


def _step_label(status: str) -> str:
    from zhengqian.compensation.models import CalculationStatus

    return {
        CalculationStatus.POLICY_REVIEW: _("policy review"),
        CalculationStatus.ACCOUNTING_REVIEW: _("accounting review"),
        CalculationStatus.LEADER_REVIEW: _("leader's approval"),
    }.get(CalculationStatus(status), status)


def _calculations(
    statuses: list[str], project_ids: Sequence[int] | None
) -> tuple[list[Any], dict[int, list[Any]]]:
    """The calculations in these states and their transition logs (two queries)."""
    from zhengqian.compensation.models import Calculation, CalculationTransition

    rows = list(
        Calculation.objects.filter(_projects("household__project_id", project_ids))
        .filter(status__in=statuses)
        .values(
            "pk",
            "status",
            "prepared_by_id",
            "household_id",
            "household__code",
            "household__project_id",
            "household__work_group_id",
        )
    )
    log: dict[int, list[Any]] = {}
    for t in (
        CalculationTransition.objects.filter(calculation_id__in=[r["pk"] for r in rows])
        .order_by("created_at", "id")
        .values("pk", "calculation_id", "from_status", "to_status", "actor_id", "created_at")
    ):
        log.setdefault(t["calculation_id"], []).append(t)
    return rows, log


def review_items(project_ids: Sequence[int] | None, today: dt.date) -> Iterator[WorkItem]:
    """Calculations waiting at a step of the review chain, for who decides that step."""
    from zhengqian.compensation.models import CalculationStatus
    from zhengqian.compensation.services import REVIEWER_ROLE

    rows, log = _calculations([s.value for s in REVIEWER_ROLE], project_ids)
    staff = _staff(project_ids)
    deadline = _deadlines()
    for row in rows:
        step = CalculationStatus(row["status"])
        project_id, group_id = row["household__project_id"], row["household__work_group_id"]
        transitions = log.get(row["pk"], [])
        entered = [t for t in transitions if t["to_status"] == step.value]
        if not entered:
            continue
        since = entered[-1]
        # Nobody approves two steps of one round of the chain (compensation.services.review).
        chain = [t for t in transitions if t["to_status"] == CalculationStatus.POLICY_REVIEW]
        start = chain[-1]["created_at"] if chain else since["created_at"]
        approved_before = {
            t["actor_id"]
            for t in transitions
            if t["created_at"] >= start
            and t["from_status"] in (s.value for s in REVIEWER_ROLE)
            and t["to_status"] != CalculationStatus.RETURNED
        }
        action = Action.APPROVE if step == CalculationStatus.LEADER_REVIEW else Action.REVIEW
        assignees = (
            (
                staff.may(Module.COMPENSATION, action, project_id, group_id)
                & staff.holding(REVIEWER_ROLE[step], project_id, group_id)
            )
            - {row["prepared_by_id"]}
            - approved_before
        )
        yield WorkItem(
            kind=REVIEW.code,
            key=f"calculation:{row['pk']}:{step.value}:{since['pk']}",
            project_id=project_id,
            household_id=row["household_id"],
            work_group_id=group_id,
            title=_("Calculation of household %(code)s to review (%(step)s)")
            % {"code": row["household__code"], "step": _step_label(step.value)},
            url=reverse("compensation:calculation", args=[row["pk"]]),
            waiting_since=since["created_at"],
            deadline=deadline(REVIEW.code, project_id, since["created_at"]),
            assignee_ids=frozenset(assignees),
        )


def returned_items(project_ids: Sequence[int] | None, today: dt.date) -> Iterator[WorkItem]:
    """Returned calculations, for the accountant who prepared them: only the preparer submits a
    calculation again (compensation.services.submit). If the preparer may no longer change
    calculations there, whoever may do so in the group recalculates."""
    from zhengqian.compensation.models import CalculationStatus

    rows, log = _calculations([CalculationStatus.RETURNED.value], project_ids)
    staff = _staff(project_ids)
    deadline = _deadlines()
    for row in rows:
        project_id, group_id = row["household__project_id"], row["household__work_group_id"]
        returned = [t for t in log.get(row["pk"], []) if t["to_status"] == "returned"]
        if not returned:
            continue
        since = returned[-1]
        may_change = staff.may(Module.COMPENSATION, Action.CHANGE, project_id, group_id)
        preparer = row["prepared_by_id"]
        assignees = frozenset({preparer}) if preparer in may_change else may_change
        yield WorkItem(
            kind=RETURNED.code,
            key=f"calculation:{row['pk']}:returned:{since['pk']}",
            project_id=project_id,
            household_id=row["household_id"],
            work_group_id=group_id,
            title=_("Calculation of household %(code)s returned: correct it")
            % {"code": row["household__code"]},
            url=reverse("compensation:calculation", args=[row["pk"]]),
            waiting_since=since["created_at"],
            deadline=deadline(RETURNED.code, project_id, since["created_at"]),
            assignee_ids=assignees,
        )


# --- agreements ------------------------------------------------------------------------------

SIGN = Kind(
    code="agreements.sign",
    label=gettext_lazy("Agreements to sign"),
    module=Module.AGREEMENTS.value,
    default_working_days=5,
)


def sign_items(project_ids: Sequence[int] | None, today: dt.date) -> Iterator[WorkItem]:
    """Drafted agreements not yet signed (nor asked to be voided), for the signing officers."""
    from zhengqian.agreements.models import Agreement, AgreementStatus

    rows = (
        Agreement.objects.filter(_projects("project_id", project_ids))
        .filter(status=AgreementStatus.DRAFT, void_requested_at__isnull=True)
        .values(
            "pk",
            "number",
            "project_id",
            "household_id",
            "household__code",
            "household__work_group_id",
            "drafted_at",
        )
    )
    staff = _staff(project_ids)
    deadline = _deadlines()
    for row in rows:
        project_id, group_id = row["project_id"], row["household__work_group_id"]
        yield WorkItem(
            kind=SIGN.code,
            key=f"agreement:{row['pk']}:draft",
            project_id=project_id,
            household_id=row["household_id"],
            work_group_id=group_id,
            title=_("Agreement %(number)s of household %(code)s to sign")
            % {"number": row["number"], "code": row["household__code"]},
            url=reverse("agreements:agreement", args=[row["pk"]]),
            waiting_since=row["drafted_at"],
            deadline=deadline(SIGN.code, project_id, row["drafted_at"]),
            assignee_ids=staff.may(Module.AGREEMENTS, Action.CHANGE, project_id, group_id),
        )


# --- payments --------------------------------------------------------------------------------

PAYMENT = Kind(
    code="payments.approve",
    label=gettext_lazy("Payments to approve"),
    module=Module.PAYMENTS.value,
    default_working_days=2,
)


def payment_items(project_ids: Sequence[int] | None, today: dt.date) -> Iterator[WorkItem]:
    """Requested payments, for the finance officers other than whoever asked."""
    from zhengqian.payments.models import Payment, PaymentStatus

    rows = (
        Payment.objects.filter(_projects("project_id", project_ids))
        .filter(status=PaymentStatus.REQUESTED)
        .values(
            "pk",
            "amount",
            "project_id",
            "household_id",
            "household__code",
            "household__work_group_id",
            "requested_by_id",
            "requested_at",
        )
    )
    staff = _staff(project_ids)
    deadline = _deadlines()
    for row in rows:
        project_id, group_id = row["project_id"], row["household__work_group_id"]
        assignees = staff.may(Module.PAYMENTS, Action.APPROVE, project_id, group_id) - {
            row["requested_by_id"]
        }
        yield WorkItem(
            kind=PAYMENT.code,
            key=f"payment:{row['pk']}:requested",
            project_id=project_id,
            household_id=row["household_id"],
            work_group_id=group_id,
            title=_("Payment of %(amount)s to household %(code)s to approve")
            % {"amount": row["amount"], "code": row["household__code"]},
            url=reverse("payments:payment", args=[row["pk"]]),
            waiting_since=row["requested_at"],
            deadline=deadline(PAYMENT.code, project_id, row["requested_at"]),
            assignee_ids=frozenset(assignees),
        )


# --- valuation -------------------------------------------------------------------------------

OBJECTION = Kind(
    code="valuation.objection",
    label=gettext_lazy("Valuation objections to answer"),
    module=Module.VALUATION.value,
    default_working_days=None,
)


def objection_items(project_ids: Sequence[int] | None, today: dt.date) -> Iterator[WorkItem]:
    """Objections waiting for their answer: a re-assessment (复核) for the valuers of the firm
    chosen for the project, an expert appraisal (鉴定) for who records it in the office."""
    from zhengqian.valuation.models import (
        FirmSelection,
        Objection,
        ObjectionKind,
        ObjectionStatus,
        SelectionStatus,
        Valuer,
    )

    rows = list(
        Objection.objects.filter(_projects("valuation__household__project_id", project_ids))
        .filter(status=ObjectionStatus.PENDING)
        .values(
            "pk",
            "kind",
            "answer_deadline",
            "recorded_at",
            "valuation__household_id",
            "valuation__household__code",
            "valuation__household__project_id",
            "valuation__household__work_group_id",
        )
    )
    if not rows:
        return
    project_set = {r["valuation__household__project_id"] for r in rows}
    firm_of = dict(
        FirmSelection.objects.filter(
            project_id__in=project_set, status=SelectionStatus.DECIDED
        ).values_list("project_id", "firm_id")
    )
    valuers: dict[int, set[int]] = {}
    for user_id, firm_id in Valuer.objects.filter(firm_id__in=set(firm_of.values())).values_list(
        "user_id", "firm_id"
    ):
        valuers.setdefault(firm_id, set()).add(user_id)
    staff = _staff(project_ids)
    for row in rows:
        project_id = row["valuation__household__project_id"]
        group_id = row["valuation__household__work_group_id"]
        if row["kind"] == ObjectionKind.REVIEW:
            assignees = staff.may(Module.VALUATION, Action.CHANGE, project_id, group_id) & (
                valuers.get(firm_of.get(project_id, 0), set())
            )
            kind_label = _("re-assessment")
        else:
            assignees = staff.may(Module.VALUATION, Action.REVIEW, project_id, group_id)
            kind_label = _("expert appraisal")
        household_id = row["valuation__household_id"]
        yield WorkItem(
            kind=OBJECTION.code,
            key=f"objection:{row['pk']}:pending",
            project_id=project_id,
            household_id=household_id,
            work_group_id=group_id,
            title=_("Valuation objection of household %(code)s to answer (%(kind)s)")
            % {"code": row["valuation__household__code"], "kind": kind_label},
            url=reverse("valuation:household", args=[household_id]),
            waiting_since=row["recorded_at"],
            deadline=row["answer_deadline"],
            assignee_ids=frozenset(assignees),
        )


# --- demolition ------------------------------------------------------------------------------

RECTIFICATION = Kind(
    code="demolition.rectification",
    label=gettext_lazy("Rectifications due"),
    module=Module.DEMOLITION.value,
    default_working_days=None,
)


def rectification_items(project_ids: Sequence[int] | None, today: dt.date) -> Iterator[WorkItem]:
    """Rectification orders not closed, for the demolition officers."""
    from zhengqian.demolition.models import Rectification

    rows = (
        Rectification.objects.filter(_projects("project_id", project_ids))
        .filter(closed_on__isnull=True)
        .values(
            "pk",
            "checkpoint",
            "deadline",
            "project_id",
            "household_id",
            "household__code",
            "household__work_group_id",
            "inspection__recorded_at",
        )
    )
    staff = _staff(project_ids)
    for row in rows:
        project_id, group_id = row["project_id"], row["household__work_group_id"]
        yield WorkItem(
            kind=RECTIFICATION.code,
            key=f"rectification:{row['pk']}:open",
            project_id=project_id,
            household_id=row["household_id"],
            work_group_id=group_id,
            title=_("Rectification at the demolition site of household %(code)s due")
            % {"code": row["household__code"]},
            url=reverse("demolition:household", args=[row["household_id"]]),
            waiting_since=row["inspection__recorded_at"],
            deadline=row["deadline"],
            assignee_ids=staff.may(Module.DEMOLITION, Action.CHANGE, project_id, group_id),
        )


# --- ownership -------------------------------------------------------------------------------

CHANGE_REQUEST = Kind(
    code="ownership.change_request",
    label=gettext_lazy("Change requests to decide"),
    module=Module.OWNERSHIP.value,
    default_working_days=3,
)
CONFIRMATION = Kind(
    code="ownership.review",
    label=gettext_lazy("Ownership confirmations to review"),
    module=Module.OWNERSHIP.value,
    default_working_days=3,
)


def change_request_items(project_ids: Sequence[int] | None, today: dt.date) -> Iterator[WorkItem]:
    """Pending change requests of locked data, for who approves them, not whoever asked."""
    from zhengqian.ownership.models import ChangeRequest, ChangeStatus

    rows = (
        ChangeRequest.objects.filter(_projects("household__project_id", project_ids))
        .filter(status=ChangeStatus.PENDING)
        .values(
            "pk",
            "household_id",
            "household__code",
            "household__project_id",
            "household__work_group_id",
            "requested_by_id",
            "requested_at",
        )
    )
    staff = _staff(project_ids)
    deadline = _deadlines()
    for row in rows:
        project_id, group_id = row["household__project_id"], row["household__work_group_id"]
        assignees = staff.may(Module.OWNERSHIP, Action.APPROVE, project_id, group_id) - {
            row["requested_by_id"]
        }
        yield WorkItem(
            kind=CHANGE_REQUEST.code,
            key=f"change:{row['pk']}:pending",
            project_id=project_id,
            household_id=row["household_id"],
            work_group_id=group_id,
            title=_("Change request for household %(code)s to decide")
            % {"code": row["household__code"]},
            url=reverse("ownership:change_request_detail", args=[row["pk"]]),
            waiting_since=row["requested_at"],
            deadline=deadline(CHANGE_REQUEST.code, project_id, row["requested_at"]),
            assignee_ids=frozenset(assignees),
        )


def confirmation_items(project_ids: Sequence[int] | None, today: dt.date) -> Iterator[WorkItem]:
    """Ownership confirmations submitted for review, for who approves them other than the one
    who prepared or submitted them (ownership.selectors.preparer_ids)."""
    from zhengqian.ownership.models import (
        Confirmation,
        ConfirmationStatus,
        ConfirmationTransition,
    )

    rows = list(
        Confirmation.objects.filter(_projects("household__project_id", project_ids))
        .filter(status=ConfirmationStatus.SUBMITTED)
        .values(
            "pk",
            "prepared_by_id",
            "household_id",
            "household__code",
            "household__project_id",
            "household__work_group_id",
        )
    )
    submitted: dict[int, Any] = {}
    for t in (
        ConfirmationTransition.objects.filter(
            confirmation_id__in=[r["pk"] for r in rows], to_status=ConfirmationStatus.SUBMITTED
        )
        .order_by("created_at", "id")
        .values("pk", "confirmation_id", "actor_id", "created_at")
    ):
        submitted[t["confirmation_id"]] = t  # the last one wins
    staff = _staff(project_ids)
    deadline = _deadlines()
    for row in rows:
        since = submitted.get(row["pk"])
        if since is None:
            continue
        project_id, group_id = row["household__project_id"], row["household__work_group_id"]
        assignees = staff.may(Module.OWNERSHIP, Action.APPROVE, project_id, group_id) - {
            row["prepared_by_id"],
            since["actor_id"],
        }
        yield WorkItem(
            kind=CONFIRMATION.code,
            key=f"confirmation:{row['pk']}:submitted:{since['pk']}",
            project_id=project_id,
            household_id=row["household_id"],
            work_group_id=group_id,
            title=_("Ownership confirmation of household %(code)s to review")
            % {"code": row["household__code"]},
            url=reverse("ownership:household", args=[row["household_id"]]),
            waiting_since=since["created_at"],
            deadline=deadline(CONFIRMATION.code, project_id, since["created_at"]),
            assignee_ids=frozenset(assignees),
        )


# --- petitions -------------------------------------------------------------------------------

PETITION = Kind(
    code="petitions.handle",
    label=gettext_lazy("Petitions to handle"),
    module=Module.HOLDOUTS.value,
    default_working_days=None,
)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def petition_items(project_ids: Sequence[int] | None, today: dt.date) -> Iterator[WorkItem]:
    """Petitions to assign (for who moves petitions on in the project), to acknowledge and to
    answer (for the one assigned, while they still may; else for who may), each by its own
    legal deadline."""
    from zhengqian.petitions.models import Petition, PetitionStatus

    steps = {
        # The legal periods run from the day the petition was received.
        PetitionStatus.RECEIVED: ("acknowledge_by", "received_on", _("to assign")),
        PetitionStatus.ASSIGNED: ("acknowledge_by", "assigned_on", _("to acknowledge")),
        PetitionStatus.ACKNOWLEDGED: ("answer_by", "acknowledged_on", _("to answer")),
    }
    rows: Iterable[Any] = (
        Petition.objects.filter(_projects("project_id", project_ids))
        .filter(status__in=[s.value for s in steps])
        .values(
            "pk",
            "status",
            "project_id",
            "household_id",
            "household__code",
            "household__work_group_id",
            "assigned_to_id",
            "recorded_at",
            "received_on",
            "assigned_on",
            "acknowledged_on",
            "acknowledge_by",
            "answer_by",
        )
    )
    staff = _staff(project_ids)
    for row in rows:
        status = PetitionStatus(row["status"])
        due_field, since_field, step = steps[status]
        project_id, group_id = row["project_id"], row["household__work_group_id"]
        may = staff.may(Module.HOLDOUTS, Action.CHANGE, project_id, group_id)
        assignee = row["assigned_to_id"]
        if status != PetitionStatus.RECEIVED and assignee in may:
            assignees = frozenset({assignee})
        else:
            assignees = may
        since = row[since_field] or row["recorded_at"]
        if isinstance(since, dt.date) and not isinstance(since, dt.datetime):
            since = _start_of(since)
        if row["household__code"]:
            title = _("Petition No. %(number)s of household %(code)s %(step)s") % {
                "number": row["pk"],
                "code": row["household__code"],
                "step": step,
            }
        else:
            title = _("Petition No. %(number)s %(step)s") % {"number": row["pk"], "step": step}
        yield WorkItem(
            kind=PETITION.code,
            key=f"petition:{row['pk']}:{status.value}",
            project_id=project_id,
            household_id=row["household_id"],
            work_group_id=group_id,
            title=title,
            url=reverse("petitions:petition", args=[row["pk"]]),
            waiting_since=since,
            deadline=row[due_field],
            assignee_ids=assignees,
        )


BUILT_IN: list[tuple[Kind, Any]] = [
    (REVIEW, review_items),
    (RETURNED, returned_items),
    (SIGN, sign_items),
    (PAYMENT, payment_items),
    (OBJECTION, objection_items),
    (RECTIFICATION, rectification_items),
    (CHANGE_REQUEST, change_request_items),
    (CONFIRMATION, confirmation_items),
    (PETITION, petition_items),
]


def register_all() -> None:
    """Register the built-in kinds (RemindersConfig.ready)."""
    for k, provider in BUILT_IN:
        register(k, provider)
