"""Flags on survey data that stop a household being compensated wrongly.

* Duplicates (杜绝二次补偿): an ID number (of the head or of a member) or a title certificate
  number (不动产权证号) that also belongs to another household, in any project. Every lookup
  goes through the indexes on Person.id_number, Household.head_id_number and
  Building.title_certificate_no.
* Rush building (抢建/抢栽): a building or ancillary put up after the project's announcement
  (state-owned land: the expropriation decision; collective land: the pre-announcement;
  agreement-based relocation: the published plan) gets no compensation and is flagged.

These are reads for other reads: the callers scope the households to the user and record the
audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Value

from zhengqian.projects.models import Milestone, Project
from zhengqian.projects.procedures import ProjectKind
from zhengqian.survey.models import Ancillary, Building, Household, Person

__all__ = [
    "ANNOUNCEMENT_STEP",
    "Duplicate",
    "Holder",
    "ProjectReport",
    "RushFlag",
    "announcement_date",
    "duplicate_report",
    "household_duplicates",
    "is_rush",
    "rush_flags",
]

# The milestone after which new building gets no compensation, by kind of project.
ANNOUNCEMENT_STEP: Final[dict[str, str]] = {
    ProjectKind.STATE_OWNED: "decision_announced",
    ProjectKind.SHANTYTOWN: "decision_announced",
    ProjectKind.COLLECTIVE: "pre_announcement",
    ProjectKind.AGREEMENT: "plan_published",
}

ID_NUMBER: Final = "id_number"
TITLE: Final = "title_certificate"
# The relation code of the head of household (data dictionary "relation").
HEAD: Final = "head"
# Bound parameters per IN list: well below SQLite's limit, and plans stay index lookups.
_CHUNK: Final = 500


@dataclass(frozen=True)
class Holder:
    """A household that holds a duplicated number: where it is, and in what role."""

    household_id: int
    household_code: str
    project_id: int
    project_code: str
    role: str  # "head", "member" or "building"
    detail: str = ""  # the building number, for titles


@dataclass
class Duplicate:
    """One number found in more than one household."""

    kind: str  # ID_NUMBER or TITLE
    value: str
    mine: list[Any] = field(default_factory=list)  # this household's persons / buildings
    others: list[Holder] = field(default_factory=list)

    @property
    def is_id_number(self) -> bool:
        return self.kind == ID_NUMBER


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


def _id_holders(numbers: Sequence[str], *, exclude_household: int | None = None) -> list[Any]:
    """(number, household id, household code, project id, project code, relation or "head")
    of every person and head holding one of the numbers: one query per chunk of numbers."""
    rows: list[Any] = []
    for chunk in _chunks(numbers):
        persons = Person.objects.filter(id_number__in=chunk)
        heads = Household.objects.filter(head_id_number__in=chunk)
        if exclude_household is not None:
            persons = persons.exclude(household_id=exclude_household)
            heads = heads.exclude(pk=exclude_household)
        person_rows = persons.values_list(
            "id_number",
            "household_id",
            "household__code",
            "household__project_id",
            "household__project__code",
            "relation",
        )
        head_rows = heads.annotate(role=Value(HEAD, output_field=CharField())).values_list(
            "head_id_number", "pk", "code", "project_id", "project__code", "role"
        )
        # Model orderings are dropped: a compound statement takes none in its parts.
        rows.extend(person_rows.order_by().union(head_rows.order_by(), all=True))
    return rows


def _title_holders(titles: Sequence[str], *, exclude_household: int | None = None) -> list[Any]:
    rows: list[Any] = []
    for chunk in _chunks(titles):
        qs = Building.objects.filter(title_certificate_no__in=chunk)
        if exclude_household is not None:
            qs = qs.exclude(household_id=exclude_household)
        rows.extend(
            qs.values_list(
                "title_certificate_no",
                "household_id",
                "household__code",
                "household__project_id",
                "household__project__code",
                "number",
            )
        )
    return rows


def _holders(rows: Iterable[Any], *, titles: bool) -> dict[str, list[Holder]]:
    """Rows grouped by number; a household that holds a number twice (its head is also one of
    its persons) is listed once."""
    grouped: dict[str, dict[tuple[int, str], Holder]] = {}
    for number, household_id, code, project_id, project_code, extra in rows:
        if titles:
            role, detail = "building", extra
        else:
            # Person rows carry the relation ("head" for the head), head rows say "head".
            role, detail = ("head" if extra == HEAD else "member"), ""
        key = (household_id, detail)
        holders = grouped.setdefault(number, {})
        if key not in holders or role == "head":
            holders[key] = Holder(household_id, code, project_id, project_code, role, detail)
    return {
        number: sorted(found.values(), key=lambda h: (h.project_code, h.household_code, h.detail))
        for number, found in grouped.items()
    }


def household_duplicates(
    household: Household,
    *,
    persons: Iterable[Person] | None = None,
    buildings: Iterable[Building] | None = None,
) -> list[Duplicate]:
    """This household's ID numbers and title certificate numbers that another household, of
    any project, also holds. Pass the persons and buildings when they are loaded already; the
    lookups themselves are two indexed queries."""
    persons = list(persons if persons is not None else household.persons.all())
    buildings = list(buildings if buildings is not None else household.buildings.all())
    mine: dict[tuple[str, str], list[Any]] = {}
    for person in persons:
        if person.id_number:
            mine.setdefault((ID_NUMBER, person.id_number), []).append(person)
    # The head is usually one of the persons too; if not, the household names the head.
    if household.head_id_number and (ID_NUMBER, household.head_id_number) not in mine:
        mine[(ID_NUMBER, household.head_id_number)] = [household]
    for building in buildings:
        if building.title_certificate_no:
            mine.setdefault((TITLE, building.title_certificate_no), []).append(building)

    numbers = sorted(value for kind, value in mine if kind == ID_NUMBER)
    titles = sorted(value for kind, value in mine if kind == TITLE)
    found = {
        (ID_NUMBER, number): holders
        for number, holders in _holders(
            _id_holders(numbers, exclude_household=household.pk), titles=False
        ).items()
    }
    found.update(
        {
            (TITLE, title): holders
            for title, holders in _holders(
                _title_holders(titles, exclude_household=household.pk), titles=True
            ).items()
        }
    )
    return [
        Duplicate(kind=kind, value=value, mine=mine[(kind, value)], others=others)
        for (kind, value), others in sorted(found.items())
    ]


# --- Rush building after the announcement ---------------------------------------------------


def announcement_date(project: Project) -> dt.date | None:
    """The date of the announcement after which new building gets nothing, once recorded."""
    code = ANNOUNCEMENT_STEP.get(project.kind)
    if code is None:
        return None
    return (
        Milestone.objects.filter(project_id=project.pk, code=code)
        .values_list("actual_date", flat=True)
        .first()
    )


def is_rush(*, built_on: dt.date | None, year_built: int | None, announced_on: dt.date) -> bool:
    """Built (or planted) after the announcement day; a year alone counts only when the whole
    year is after it, since a building of the announcement year may be older than the day."""
    if built_on is not None:
        return built_on > announced_on
    return year_built is not None and year_built > announced_on.year


@dataclass(frozen=True)
class RushFlag:
    record: Building | Ancillary
    announced_on: dt.date

    @property
    def is_building(self) -> bool:
        return isinstance(self.record, Building)

    @property
    def built(self) -> str:
        built_on = self.record.built_on
        if built_on is not None:
            return built_on.isoformat()
        return str(getattr(self.record, "year_built", "") or "")


def rush_flags(
    *,
    announced_on: dt.date | None,
    buildings: Iterable[Building] = (),
    ancillaries: Iterable[Ancillary] = (),
) -> list[RushFlag]:
    if announced_on is None:
        return []
    flags = [
        RushFlag(b, announced_on)
        for b in buildings
        if is_rush(built_on=b.built_on, year_built=b.year_built, announced_on=announced_on)
    ]
    flags += [
        RushFlag(a, announced_on)
        for a in ancillaries
        if is_rush(built_on=a.built_on, year_built=None, announced_on=announced_on)
    ]
    return flags


# --- The project report ---------------------------------------------------------------------


@dataclass
class ProjectReport:
    """Duplicates that involve the given households, and their rush-building flags."""

    id_numbers: list[Duplicate]
    titles: list[Duplicate]
    announced_on: dt.date | None
    rush_buildings: list[Building]
    rush_ancillaries: list[Ancillary]
    rush_total: int

    @property
    def duplicate_count(self) -> int:
        return len(self.id_numbers) + len(self.titles)


def _duplicated_id_numbers(households: QuerySet[Household]) -> list[str]:
    """ID numbers of these households (heads and persons) that another household holds too."""
    other_person = Person.objects.filter(id_number=OuterRef("id_number")).exclude(
        household_id=OuterRef("household_id")
    )
    other_head = Household.objects.filter(head_id_number=OuterRef("id_number")).exclude(
        pk=OuterRef("household_id")
    )
    of_persons = (
        Person.objects.filter(household__in=households.values("pk"))
        .exclude(id_number="")
        .filter(Exists(other_person) | Exists(other_head))
        .values_list("id_number", flat=True)
        .order_by()
    )
    head_other_person = Person.objects.filter(id_number=OuterRef("head_id_number")).exclude(
        household_id=OuterRef("pk")
    )
    head_other_head = Household.objects.filter(head_id_number=OuterRef("head_id_number")).exclude(
        pk=OuterRef("pk")
    )
    of_heads = (
        households.exclude(head_id_number="")
        .filter(Exists(head_other_person) | Exists(head_other_head))
        .values_list("head_id_number", flat=True)
        .order_by()
    )
    return sorted(set(of_persons.union(of_heads)))


def _duplicated_titles(households: QuerySet[Household]) -> list[str]:
    other = Building.objects.filter(title_certificate_no=OuterRef("title_certificate_no")).exclude(
        household_id=OuterRef("household_id")
    )
    return sorted(
        set(
            Building.objects.filter(household__in=households.values("pk"))
            .exclude(title_certificate_no="")
            .filter(Exists(other))
            .values_list("title_certificate_no", flat=True)
        )
    )


def duplicate_report(
    households: QuerySet[Household], *, project: Project, rush_limit: int = 500
) -> ProjectReport:
    """Every duplicated ID or title number among these households (already scoped to the user),
    with all the households that hold it, in any project; and the rush-building flags."""
    numbers = _duplicated_id_numbers(households)
    titles = _duplicated_titles(households)
    id_holders = _holders(_id_holders(numbers), titles=False)
    title_holders = _holders(_title_holders(titles), titles=True)
    id_duplicates = [
        Duplicate(kind=ID_NUMBER, value=n, others=id_holders.get(n, [])) for n in numbers
    ]
    title_duplicates = [
        Duplicate(kind=TITLE, value=t, others=title_holders.get(t, [])) for t in titles
    ]

    announced_on = announcement_date(project)
    rush_buildings: list[Building] = []
    rush_ancillaries: list[Ancillary] = []
    rush_total = 0
    if announced_on is not None:
        scope = households.values("pk")
        buildings = (
            Building.objects.filter(household__in=scope)
            .filter(
                Q(built_on__gt=announced_on)
                | Q(built_on__isnull=True, year_built__gt=announced_on.year)
            )
            .select_related("household")
            .order_by("household__code", "number")
        )
        ancillaries = (
            Ancillary.objects.filter(household__in=scope, built_on__gt=announced_on)
            .select_related("household")
            .order_by("household__code", "id")
        )
        rush_buildings = list(buildings[:rush_limit])
        rush_ancillaries = list(ancillaries[:rush_limit])
        rush_total = (
            buildings.count() if len(rush_buildings) == rush_limit else len(rush_buildings)
        ) + (ancillaries.count() if len(rush_ancillaries) == rush_limit else len(rush_ancillaries))
    return ProjectReport(
        id_numbers=id_duplicates,
        titles=title_duplicates,
        announced_on=announced_on,
        rush_buildings=rush_buildings,
        rush_ancillaries=rush_ancillaries,
        rush_total=rush_total,
    )
