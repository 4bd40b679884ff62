"""The households behind a figure: the drill-down list and the household export read the same
filtered rows of HouseholdProgress, scoped like the figures (zhengqian.dashboard.figures)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from zhengqian.accounts.permissions import work_group_ids_with
from zhengqian.accounts.roles import Action, Module
from zhengqian.dashboard.figures import scope_q
from zhengqian.dashboard.models import STAGES, HouseholdProgress

# What a list can be filtered to, besides the stages.
FLAGS = (*STAGES, "holdout")


class BadFilter(ValueError):
    """A filter the list does not know (a stage name, a number that is not one)."""


@dataclass(frozen=True)
class Filters:
    project_ids: tuple[int, ...] | None = None
    district_id: int | None = None
    group_id: int | None = None  # 0: households without a work group
    project_kind: str = ""
    kind: str = ""
    mode: str | None = None  # "" is a real value: no mode yet
    stage: str = ""  # one of FLAGS
    without: bool = False  # the households NOT at `stage` (e.g. not signed)

    @classmethod
    def from_query(cls, params: Any) -> Filters:
        """From a request's GET parameters; unknown stages and non-numbers raise BadFilter."""

        def number(name: str) -> int | None:
            raw = (params.get(name) or "").strip()
            if not raw:
                return None
            try:
                return int(raw)
            except ValueError:
                raise BadFilter(name) from None

        stage = (params.get("stage") or "").strip()
        if stage and stage not in FLAGS:
            raise BadFilter("stage")
        projects = [p for p in params.getlist("project") if p.strip()] if params else []
        try:
            project_ids = tuple(int(p) for p in projects) if projects else None
        except ValueError:
            raise BadFilter("project") from None
        mode = params.get("mode")
        return cls(
            project_ids=project_ids,
            district_id=number("district"),
            group_id=number("group"),
            project_kind=(params.get("project_kind") or "").strip(),
            kind=(params.get("kind") or "").strip(),
            mode=None if mode is None else mode.strip(),
            stage=stage,
            without=(params.get("without") or "") in ("1", "true", "yes"),
        )

    def as_query(self) -> list[tuple[str, str]]:
        """Back to GET parameters (for links and the export of the same list)."""
        out: list[tuple[str, str]] = [("project", str(p)) for p in self.project_ids or ()]
        if self.district_id is not None:
            out.append(("district", str(self.district_id)))
        if self.group_id is not None:
            out.append(("group", str(self.group_id)))
        if self.project_kind:
            out.append(("project_kind", self.project_kind))
        if self.kind:
            out.append(("kind", self.kind))
        if self.mode is not None:
            out.append(("mode", self.mode))
        if self.stage:
            out.append(("stage", self.stage))
        if self.without:
            out.append(("without", "1"))
        return out


def households(user: Any, filters: Filters) -> QuerySet[HouseholdProgress]:
    """The progress rows of the households behind a figure, within the user's reach, in the
    order of project and household code."""
    qs = HouseholdProgress.objects.all()
    condition = scope_q(user)
    if condition is not None:
        qs = qs.filter(condition)
    q = Q()
    if filters.project_ids is not None:
        q &= Q(project_id__in=list(filters.project_ids))
    if filters.district_id is not None:
        q &= Q(district_id=filters.district_id)
    if filters.group_id is not None:
        q &= Q(group_id=filters.group_id)
    if filters.project_kind:
        q &= Q(project__kind=filters.project_kind)
    if filters.kind:
        q &= Q(kind=filters.kind)
    if filters.mode is not None:
        q &= Q(mode=filters.mode)
    if filters.stage:
        q &= ~Q(**{filters.stage: True}) if filters.without else Q(**{filters.stage: True})
    return qs.filter(q).order_by("project_id", "household__code")


class NameVisibility:
    """Whether a list shows a household head's name or masks it: shown where the user may view
    the survey's personal data for the household's project and work group (as on the survey's
    own list); worked out once per project."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self._groups: dict[int, set[int] | None] = {}

    def groups(self, project_id: int) -> set[int] | None:
        """None: every group of the project; a set: those groups only (empty: none)."""
        if project_id not in self._groups:
            self._groups[project_id] = work_group_ids_with(
                self.user, Module.SURVEY, Action.VIEW_PERSONAL, project_id
            )
        return self._groups[project_id]

    def shows(self, project_id: int, group_id: int) -> bool:
        groups = self.groups(project_id)
        return groups is None or group_id in groups


def household_ids(user: Any, filters: Filters, *, limit: int | None = None) -> Sequence[int]:
    qs = households(user, filters).values_list("household_id", flat=True)
    return list(qs[:limit] if limit is not None else qs)
