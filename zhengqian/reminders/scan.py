"""The reminder scan (a scheduled job): tell each user of the new items waiting for them, escalate
the items that waited past their deadline to the leaders, and warn ahead of legal deadlines.

Idempotent by construction: every notification has a key, unique per user in the database, so a
second run (the same day, the next day, or at the same moment in another process) inserts
nothing it already said; the inserts ignore conflicts and go in the same order in every run.

Set-based: the providers read the items of all projects in a few queries; the scan then reads
the rules, the work groups' leaders and the memberships once, and writes in batches. Nothing is
read per household.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models.constants import OnConflict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhengqian.accounts.models import Membership, RolePermission, User
from zhengqian.accounts.roles import RoleCode
from zhengqian.core import deadlines
from zhengqian.core.workdays import UnknownCalendarYear
from zhengqian.projects.models import Project, ProjectStatus, WorkGroup
from zhengqian.reminders import legal, workitems
from zhengqian.reminders.models import Notification, NotificationLevel, ReminderRule, ScanRun
from zhengqian.reminders.rules import DEFAULT_WARN_DAYS, RuleBook
from zhengqian.survey.models import Household

BATCH = 1000
NAMES_SHOWN = 3


# --- writing ---------------------------------------------------------------------------------


class _Writer:
    """Buffers notifications and inserts those not said yet, a batch at a time.

    Rows are plain field values until they are known to be new: what was said before is read
    back by its unique (user, key) a batch at a time and left out, so that a run finding nothing
    new costs one indexed read per batch and builds no model instance.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[int, str], dict[str, Any]] = {}
        self.created: dict[str, int] = defaultdict(int)

    def add(self, **fields: Any) -> None:
        self.rows.setdefault((fields["user_id"], fields["key"]), fields)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, {}
        said = _said(sorted(rows))
        # Sorted, so that two runs at once take the unique index's locks in the same order.
        fresh = [k for k in sorted(rows) if k not in said]
        if not fresh:
            return
        if connection.vendor == "postgresql":
            for level in _insert_postgresql([rows[k] for k in fresh]):
                self.created[level] += 1
            return
        # INSERT … ON CONFLICT DO NOTHING RETURNING: the database skips what a run at the same
        # moment has just said and names what it inserted, so the counts are exact.
        # bulk_create(ignore_conflicts=True) would do the insert but return nothing.
        inserted = Notification.objects._insert(  # type: ignore[attr-defined]
            [Notification(**rows[k]) for k in fresh],
            fields=_FIELDS,
            returning_fields=_RETURNING,
            on_conflict=OnConflict.IGNORE,
        )
        for row in inserted or ():
            if row:  # a single row skipped comes back as None
                self.created[row[1]] += 1


def _said(pairs: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of these (user, key) pairs were said already, read on the unique index: on
    PostgreSQL a join with the pairs passed as two arrays (two parameters, whatever the batch),
    elsewhere a row-value IN."""
    quote = connection.ops.quote_name
    table = quote(Notification._meta.db_table)
    user, key = quote("user_id"), quote("key")
    found: set[tuple[int, str]] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT n.{user}, n.{key} FROM {table} n"  # noqa: S608 (names quoted, values bound)
                f" JOIN unnest(%s::bigint[], %s::varchar[]) AS w(u, k)"
                f" ON n.{user} = w.u AND n.{key} = w.k",
                [[u for u, _k in pairs], [k for _u, k in pairs]],
            )
            return {(u, k) for u, k in cursor.fetchall()}
        for start in range(0, len(pairs), _SAID_CHUNK):
            chunk = pairs[start : start + _SAID_CHUNK]
            marks = ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(
                f"SELECT {user}, {key} FROM {table} WHERE ({user}, {key}) IN ({marks})",  # noqa: S608 (names quoted, values bound)
                [value for pair in chunk for value in pair],
            )
            found.update((u, k) for u, k in cursor.fetchall())
    return found


_SAID_CHUNK = 500

# The columns written by the PostgreSQL insert, with their array types.
_COLUMNS = [
    ("user_id", "bigint"),
    ("level", "varchar"),
    ("kind", "varchar"),
    ("key", "varchar"),
    ("project_id", "bigint"),
    ("household_id", "bigint"),
    ("title", "varchar"),
    ("url", "varchar"),
    ("due_on", "date"),
    ("about_user_id", "bigint"),
]


def _insert_postgresql(rows: list[dict[str, Any]]) -> list[str]:
    """INSERT … SELECT FROM unnest(one array per column) ON CONFLICT DO NOTHING RETURNING: a
    batch in one statement with one parameter per column (the values travel as arrays, not as
    thousands of placeholders); the levels of the rows inserted come back."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name, _type in _COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for _name, kind in _COLUMNS)
    values = [[row.get(name) for row in rows] for name, _type in _COLUMNS]
    values[1] = [str(level) for level in values[1]]
    sql = (
        f"INSERT INTO {quote(Notification._meta.db_table)} ({names}, {quote('created_at')})"  # noqa: S608 (names quoted, values bound)
        f" SELECT *, %s FROM unnest({arrays})"
        f" ON CONFLICT ({quote('user_id')}, {quote('key')}) DO NOTHING RETURNING {quote('level')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [timezone.now(), *values])
        return [level for (level,) in cursor.fetchall()]


_FIELDS = [f for f in Notification._meta.concrete_fields if not f.primary_key]
_RETURNING = [Notification._meta.pk, Notification._meta.get_field("level")]


# --- who is told -----------------------------------------------------------------------------


@dataclass
class _Staff:
    """The memberships, work group leaders and names the scan needs, read once."""

    # project id (None: all projects) -> [(user, role, work groups or empty for all)]
    members: dict[int | None, list[tuple[int, str, frozenset[int]]]]
    group_leaders: dict[int, int]  # work group -> its leader (active)
    matrix: dict[str, set[tuple[str, str]]]
    names: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> _Staff:
        groups: dict[int, set[int]] = defaultdict(set)
        through = Membership.work_groups.through
        for membership_id, group_id in through.objects.values_list("membership_id", "workgroup_id"):
            groups[membership_id].add(group_id)
        members: dict[int | None, list[tuple[int, str, frozenset[int]]]] = defaultdict(list)
        for pk, user_id, project_id, role in Membership.objects.filter(
            user__is_active=True
        ).values_list("pk", "user_id", "project_id", "role"):
            members[project_id].append((user_id, role, frozenset(groups.get(pk, ()))))
        leaders = dict(
            WorkGroup.objects.filter(leader__isnull=False, leader__is_active=True).values_list(
                "pk", "leader_id"
            )
        )
        matrix: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for role, module, action in RolePermission.objects.values_list("role", "module", "action"):
            matrix[role].add((module, action))
        return cls(members=members, group_leaders=leaders, matrix=matrix)

    def _holding(
        self, project_id: int, work_group_id: int | None, wanted: Iterable[str]
    ) -> list[int]:
        """Users holding one of these roles in the project (project memberships first, then
        those for all projects), reaching the work group."""
        roles = set(wanted)
        found: list[int] = []
        for scope in (project_id, None):
            for user_id, role, groups in self.members.get(scope, ()):
                if role not in roles or user_id in found:
                    continue
                if groups and work_group_id is not None and work_group_id not in groups:
                    continue
                found.append(user_id)
        return found

    def leaders_of(self, item: workitems.WorkItem, assignee: int) -> list[int]:
        """Whom an item that waited too long with `assignee` goes to: the leader of the item's
        work group; else the project's leaders; else the leaders of all projects. Never the
        assignee."""
        leader = self.group_leaders.get(item.work_group_id) if item.work_group_id else None
        if leader is not None and leader != assignee:
            return [leader]
        project_leaders = [
            u
            for u, role, groups in self.members.get(item.project_id, ())
            if role == RoleCode.LEADER
            and u != assignee
            and (not groups or item.work_group_id in groups)
        ]
        if project_leaders:
            return sorted(set(project_leaders))
        return sorted(
            {u for u, role, _g in self.members.get(None, ()) if role == RoleCode.LEADER}
            - {assignee}
        )

    def warned(self, kind_code: str, project_id: int, work_group_id: int | None) -> list[int]:
        """The members warned of a deadline of this kind (zhengqian.reminders.legal)."""
        wanted = legal.recipients(kind_code)
        roles = [
            role
            for role, perms in self.matrix.items()
            if any((str(m), str(a)) in perms for m, a in wanted)
        ]
        return self._holding(project_id, work_group_id, roles)

    def load_names(self, user_ids: set[int]) -> None:
        missing = sorted(user_ids - set(self.names))
        for start in range(0, len(missing), BATCH):
            for pk, full_name, username in User.objects.filter(
                pk__in=missing[start : start + BATCH]
            ).values_list("pk", "full_name", "username"):
                self.names[pk] = full_name or username


def _names(staff: _Staff, user_ids: list[int]) -> str:
    shown = [staff.names.get(u, str(u)) for u in user_ids[:NAMES_SHOWN]]
    text = "、".join(shown)
    return text + ("…" if len(user_ids) > NAMES_SHOWN else "")


# --- the scan --------------------------------------------------------------------------------


def _start_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


@dataclass
class _Overdue:
    item: workitems.WorkItem
    deadline: dt.date
    days: int
    # leader -> the assignees the item waited with whom the leader leads
    leaders: dict[int, list[int]]


def _tell_new(item: workitems.WorkItem, due: dt.date | None, writer: _Writer) -> None:
    for user_id in sorted(item.assignee_ids):
        writer.add(
            user_id=user_id,
            level=NotificationLevel.NEW,
            kind=item.kind,
            key=f"new:{item.full_key}"[:200],
            project_id=item.project_id,
            household_id=item.household_id,
            title=item.title[:300],
            url=item.url[:300],
            due_on=due,
        )


def _escalate(overdue: list[_Overdue], staff: _Staff, writer: _Writer) -> None:
    staff.load_names({u for o in overdue for users in o.leaders.values() for u in users})
    for o in overdue:
        for leader, assignees in sorted(o.leaders.items()):
            writer.add(
                user_id=leader,
                level=NotificationLevel.ESCALATED,
                kind=o.item.kind,
                key=f"escalated:{o.item.full_key}"[:200],
                project_id=o.item.project_id,
                household_id=o.item.household_id,
                title=(
                    _("%(item)s — waited %(days)d working days with %(names)s")
                    % {
                        "item": o.item.title,
                        "days": o.days,
                        "names": _names(staff, assignees) if assignees else _("no one"),
                    }
                )[:300],
                url=o.item.url[:300],
                due_on=o.deadline,
                about_user_id=assignees[0] if assignees else None,
            )


def _household_groups(household_ids: set[int]) -> dict[int, int | None]:
    ids = sorted(household_ids)
    groups: dict[int, int | None] = {}
    for start in range(0, len(ids), BATCH):
        groups.update(
            Household.objects.filter(pk__in=ids[start : start + BATCH]).values_list(
                "pk", "work_group_id"
            )
        )
    return groups


def _warn(today: dt.date, book: RuleBook, staff: _Staff, writer: _Writer) -> None:
    project_ids = list(
        Project.objects.exclude(status=ProjectStatus.CLOSED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    horizon = max(
        [DEFAULT_WARN_DAYS]
        + [k.default_warn_days for k in legal.LEGAL_KINDS.values()]
        + list(ReminderRule.objects.values_list("warn_days", flat=True))
    )
    found = [
        d
        for d in deadlines.upcoming(project_ids, today, horizon)
        if (d.due_on - today).days <= book.warn_days(d.kind, d.project_id)
    ]
    groups = _household_groups({d.household_id for d in found if d.household_id is not None})
    for d in found:
        group = groups.get(d.household_id) if d.household_id is not None else None
        household = "-" if d.household_id is None else str(d.household_id)
        key = f"warning:{d.kind}:{d.project_id}:{household}:{d.due_on.isoformat()}"[:200]
        title = _("%(what)s on %(date)s") % {"what": d.label, "date": d.due_on.isoformat()}
        for user_id in staff.warned(d.kind, d.project_id, group):
            writer.add(
                user_id=user_id,
                level=NotificationLevel.WARNING,
                kind=d.kind[:40],
                key=key,
                project_id=d.project_id,
                household_id=d.household_id,
                title=title[:300],
                url=d.url[:300],
                due_on=d.due_on,
            )


def run_scan(*, today: dt.date, now: dt.datetime | None = None) -> ScanRun:
    """Scan every project's work items and legal deadlines as of `today`; the counts are kept
    on the returned ScanRun (`created` counts every notification, `escalated` and `warnings`
    those of their level). `now` is the moment recorded as the run's end (now by default)."""
    run = ScanRun.objects.create(day=today)
    problems: list[str] = []
    writer = _Writer()
    items = 0
    try:
        with translation.override(settings.LANGUAGE_CODE):
            book = RuleBook.load()
            staff = _Staff.load()
            overdue: list[_Overdue] = []
            waited: dict[dt.date, int] = {}
            for item in workitems.collect(None, today):
                items += 1
                try:
                    due = item.deadline or book.deadline(
                        item.kind, item.project_id, item.waiting_since
                    )
                    _tell_new(item, due, writer)
                    # Escalations go up on working days: an item due on Friday reaches the
                    # leader on Monday morning, not on Saturday.
                    if today <= due or not book.calendar.is_working_day(today):
                        continue
                    start = _start_day(item.waiting_since)
                    if start not in waited:
                        waited[start] = book.calendar.working_days_between(start, today)
                except UnknownCalendarYear as exc:
                    _tell_new(item, item.deadline, writer)
                    if str(exc.message) not in problems:
                        problems.append(str(exc.message))
                    continue
                leaders: dict[int, list[int]] = defaultdict(list)
                for assignee in sorted(item.assignee_ids):
                    for leader in staff.leaders_of(item, assignee):
                        leaders[leader].append(assignee)
                if not item.assignee_ids:
                    # Nobody may deal with it (e.g. the only finance officer asked for the
                    # payment): it goes up all the same, waiting with no one.
                    for leader in staff.leaders_of(item, 0):
                        leaders[leader] = []
                if leaders:
                    overdue.append(_Overdue(item, due, waited[start], dict(leaders)))
            _escalate(overdue, staff, writer)
            _warn(today, book, staff, writer)
            writer.flush()
    except Exception as exc:
        problems.append(f"{type(exc).__name__}: {exc}")
        _finish(run, items=items, writer=writer, problems=problems, now=now)
        raise
    _finish(run, items=items, writer=writer, problems=problems, now=now)
    return run


def _finish(
    run: ScanRun, *, items: int, writer: _Writer, problems: list[str], now: dt.datetime | None
) -> None:
    run.items = items
    run.escalated = writer.created[NotificationLevel.ESCALATED]
    run.warnings = writer.created[NotificationLevel.WARNING]
    run.created = sum(writer.created.values())
    run.problem = "; ".join(problems)[:300]
    run.finished_at = now or timezone.now()
    run.save(update_fields=["items", "created", "escalated", "warnings", "problem", "finished_at"])
