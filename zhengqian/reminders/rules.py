"""How long an item may wait and how far ahead a deadline is announced: the reminder rules.

A kind's rule of a project overrides the office-wide rule of the kind, which overrides the kind's
default (the work item kinds' `default_working_days`, the legal deadlines' default warning days in
zhengqian.reminders.legal). Deadlines are counted in working days with the office's holiday
calendar (zhengqian.core.workdays): weekends and holidays are not counted, weekend days worked in
exchange are.

Who sets them: an office-wide rule is configuration of the whole office, like the data
dictionaries and the holiday calendar, so it takes the right to change the dictionaries (the
administrator); a project's own rule is part of running the project, so it takes the right to
change that project (its project manager).

A scan reads the rules once (`RuleBook.load`: one query, plus the calendar's two) and asks the
book; the module functions below load a fresh book on each call, for pages and single questions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import has_perm, project_ids_with, require
from zhengqian.accounts.roles import Action, Module
from zhengqian.audit.services import record
from zhengqian.core.calendar import office_calendar
from zhengqian.core.workdays import HolidayCalendar
from zhengqian.projects.models import Project
from zhengqian.projects.selectors import projects_for_user
from zhengqian.reminders import workitems
from zhengqian.reminders.models import ReminderRule

# When nothing says how far ahead to warn (the model's default as well).
DEFAULT_WARN_DAYS = 3
# A kind without a default and without a rule still needs a number (items of such kinds normally
# carry their own deadline).
FALLBACK_WORKING_DAYS = 2


def _legal_warn_default(kind_code: str) -> int | None:
    from zhengqian.reminders import legal

    return legal.default_warn_days(kind_code)


@dataclass
class RuleBook:
    """Every rule, read once, with the holiday calendar."""

    rules: dict[tuple[str, int | None], tuple[int, int]]  # (kind, project) -> (days, warn)
    calendar_loader: Callable[[], HolidayCalendar] = office_calendar
    _calendar: HolidayCalendar | None = None
    _deadlines: dict[tuple[dt.date, int], dt.date] = field(default_factory=dict)

    @classmethod
    def load(cls) -> RuleBook:
        rows = ReminderRule.objects.values_list("kind", "project_id", "working_days", "warn_days")
        return cls(rules={(k, p): (days, warn) for k, p, days, warn in rows})

    @property
    def calendar(self) -> HolidayCalendar:
        if self._calendar is None:
            self._calendar = self.calendar_loader()
        return self._calendar

    def _rule(self, kind_code: str, project_id: int | None) -> tuple[int, int] | None:
        if project_id is not None and (kind_code, project_id) in self.rules:
            return self.rules[(kind_code, project_id)]
        return self.rules.get((kind_code, None))

    def working_days(self, kind_code: str, project_id: int | None) -> int:
        rule = self._rule(kind_code, project_id)
        if rule is not None:
            return rule[0]
        kind = workitems.kind(kind_code)
        if kind is not None and kind.default_working_days is not None:
            return kind.default_working_days
        return FALLBACK_WORKING_DAYS

    def warn_days(self, kind_code: str, project_id: int | None) -> int:
        rule = self._rule(kind_code, project_id)
        if rule is not None:
            return rule[1]
        default = _legal_warn_default(kind_code)
        return DEFAULT_WARN_DAYS if default is None else default

    def deadline(
        self, kind_code: str, project_id: int | None, waiting_since: dt.datetime
    ) -> dt.date:
        """The date `n` working days after the day the item began to wait.

        Raises:
            UnknownCalendarYear: when the count reaches a year the calendar does not know.
        """
        start = (
            timezone.localtime(waiting_since).date()
            if timezone.is_aware(waiting_since)
            else waiting_since.date()
        )
        n = self.working_days(kind_code, project_id)
        key = (start, n)
        if key not in self._deadlines:
            self._deadlines[key] = self.calendar.add_working_days(start, n)
        return self._deadlines[key]


def working_days_for(kind_code: str, project_id: int | None) -> int:
    """The working days an item of this kind may wait in this project."""
    return RuleBook.load().working_days(kind_code, project_id)


def warn_days_for(kind_code: str, project_id: int | None) -> int:
    """How many days ahead a deadline of this kind is announced in this project."""
    return RuleBook.load().warn_days(kind_code, project_id)


def deadline_for(kind_code: str, project_id: int | None, waiting_since: dt.datetime) -> dt.date:
    """The last day to deal with an item that began to wait at `waiting_since`."""
    return RuleBook.load().deadline(kind_code, project_id, waiting_since)


# --- who may set them, and the services ------------------------------------------------------


def require_rule_change(actor: Any, project: Project | None) -> None:
    if project is None:
        require(actor, Module.DICTIONARIES, Action.CHANGE)
    else:
        require(actor, Module.PROJECTS, Action.CHANGE, project=project)


def known_kind(kind_code: str) -> bool:
    from zhengqian.reminders import legal

    return workitems.kind(kind_code) is not None or kind_code in legal.kind_codes()


def _check(kind_code: str, working_days: int, warn_days: int) -> None:
    errors: dict[str, str] = {}
    if not known_kind(kind_code):
        errors["kind"] = _("There is no kind of item “%(kind)s”.") % {"kind": kind_code}
    if not 1 <= working_days <= 365:
        errors["working_days"] = _("Give between 1 and 365 working days.")
    if not 0 <= warn_days <= 365:
        errors["warn_days"] = _("Give between 0 and 365 days.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def rule_set(
    *,
    actor: Any,
    kind: str,
    project: Project | None = None,
    working_days: int,
    warn_days: int = DEFAULT_WARN_DAYS,
) -> ReminderRule:
    """Set the office-wide rule of a kind (no project) or a project's own rule."""
    require_rule_change(actor, project)
    _check(kind, working_days, warn_days)
    rule = (
        ReminderRule.objects.select_for_update()
        .filter(kind=kind, project=project)
        .order_by("pk")
        .first()
    )
    old = None if rule is None else {"working_days": rule.working_days, "warn_days": rule.warn_days}
    new = {"working_days": working_days, "warn_days": warn_days}
    if old == new and rule is not None:
        return rule
    if rule is None:
        rule = ReminderRule(kind=kind, project=project)
    rule.working_days = working_days
    rule.warn_days = warn_days
    rule.updated_by = actor
    rule.full_clean(validate_constraints=False)
    rule.save()
    record(
        actor=actor,
        event_type="reminders.rule_set",
        target=rule,
        project=project,
        changes={k: [None if old is None else old[k], v] for k, v in new.items()},
        details={"kind": kind, "scope": "project" if project is not None else "office"},
    )
    return rule


@transaction.atomic
def rule_remove(*, actor: Any, rule: ReminderRule) -> None:
    """Remove a rule: a project's kind goes back to the office rule, the office's to the
    default."""
    require_rule_change(actor, rule.project)
    record(
        actor=actor,
        event_type="reminders.rule_remove",
        target=rule,
        project=rule.project_id,
        changes={
            "working_days": [rule.working_days, None],
            "warn_days": [rule.warn_days, None],
        },
        details={"kind": rule.kind},
    )
    rule.delete()


# --- reads for the rules page ----------------------------------------------------------------


@dataclass(frozen=True)
class KindRow:
    code: str
    label: str
    legal: bool  # a legal deadline (warned ahead) rather than a work item (escalated)
    default_days: int | None
    default_warn: int | None
    office: ReminderRule | None
    overrides: list[ReminderRule]


def may_change_office_rules(user: Any) -> bool:
    return has_perm(user, Module.DICTIONARIES, Action.CHANGE)


def projects_ruled_by(user: Any) -> QuerySet[Project]:
    """The projects whose own rules the user may set."""
    return projects_for_user(user, module=Module.PROJECTS, action=Action.CHANGE).order_by("code")


def may_see_rules(user: Any) -> bool:
    return may_change_office_rules(user) or projects_ruled_by(user).exists()


def kind_rows(user: Any) -> list[KindRow]:
    """Every kind with its default, the office rule and the overrides of the projects the user
    sees; two queries."""
    from zhengqian.reminders import legal

    visible = project_ids_with(user, Module.PROJECTS, Action.VIEW)
    rules = ReminderRule.objects.select_related("project", "updated_by")
    if visible is not None:
        rules = rules.filter(Q(project__isnull=True) | Q(project_id__in=visible))
    office: dict[str, ReminderRule] = {}
    overrides: dict[str, list[ReminderRule]] = {}
    for rule in rules.order_by("kind", "project__code"):
        if rule.project_id is None:
            office[rule.kind] = rule
        else:
            overrides.setdefault(rule.kind, []).append(rule)
    rows = [
        KindRow(
            code=k.code,
            label=str(k.label),
            legal=False,
            default_days=k.default_working_days,
            default_warn=None,
            office=office.get(k.code),
            overrides=overrides.get(k.code, []),
        )
        for k in workitems.kinds()
    ]
    rows += [
        KindRow(
            code=code,
            label=legal.label(code),
            legal=True,
            default_days=None,
            default_warn=legal.default_warn_days(code) or DEFAULT_WARN_DAYS,
            office=office.get(code),
            overrides=overrides.get(code, []),
        )
        for code in legal.kind_codes()
    ]
    return rows


def kind_label(kind_code: str) -> str:
    from zhengqian.reminders import legal

    kind = workitems.kind(kind_code)
    return str(kind.label) if kind is not None else legal.label(kind_code)
