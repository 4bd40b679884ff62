"""The dashboards' figures on counters made by hand, with answers worked out on paper.

Project A (district of A) has two work groups: the first 10 households, 6 signed (cash), 2
demolished; the second 10 households, 2 signed (voucher). Project B (another district) has 5
households, all signed and demolished. Signing plan of A: from 0 % on 1 April to 70 % by
30 June and 100 % by 31 August; today is 10 August 2026.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengqian.dashboard import selectors
from zhengqian.dashboard.models import PlanPoint, ProgressCell, ProgressDay
from zhengqian.testing.factories import ProjectFactory, UserFactory, grant

TODAY = dt.date(2026, 8, 10)
D = Decimal

pytestmark = pytest.mark.django_db


def cell(project: Any, group: int = 0, *, mode: str = "cash", **counts: Any) -> ProgressCell:
    """A counter row of a project's work group (households of kind residential)."""
    row, _created = ProgressCell.objects.update_or_create(
        project=project,
        group_id=group,
        kind="residential",
        mode=mode,
        defaults={"district_id": project.district_id, **counts},
    )
    return row


def day(project: Any, group: int = 0, *, on: dt.date, **counts: int) -> ProgressDay:
    row, _created = ProgressDay.objects.update_or_create(
        project=project,
        group_id=group,
        day=on,
        defaults={"district_id": project.district_id, **counts},
    )
    return row


def plan(project: Any, measure: str, *points: tuple[dt.date, str]) -> None:
    for due_on, pct in points:
        PlanPoint.objects.create(project=project, measure=measure, due_on=due_on, percent=D(pct))


@pytest.fixture
def figures(world: Any) -> Any:
    a, b = world.project, world.other_project
    a.planned_start = dt.date(2026, 4, 1)
    a.save(update_fields=["planned_start"])
    g1, g2 = world.group.pk, world.other_group.pk
    cell(a, g1, mode="cash", households=10, surveyed=10, confirmed=9, valued=8, calculated=7,
         approved=7, signed=6, paid=4, vacated=3, demolished=2, holdouts=1,
         area=D("1000.00"), area_signed=D("600.00"), area_demolished=D("200.00"),
         amount_agreed=D("6000000.00"), amount_paid=D("4000000.00"))  # fmt: skip
    cell(a, g2, mode="voucher", households=10, surveyed=10, signed=2, area=D("900.50"),
         area_signed=D("180.00"), amount_agreed=D("1000000.00"))  # fmt: skip
    cell(b, 0, mode="cash", households=5, signed=5, paid=5, vacated=5, demolished=5,
         area=D("500.00"), amount_agreed=D("2500000.00"), amount_paid=D("2500000.00"))  # fmt: skip
    day(a, g1, on=TODAY - dt.timedelta(days=10), signed=4)
    day(a, g1, on=TODAY - dt.timedelta(days=3), signed=2)
    day(a, g1, on=TODAY - dt.timedelta(days=1), demolished=2)
    day(a, g2, on=TODAY - dt.timedelta(days=2), signed=2)
    # Signed on the day a week ago counts as before the week: the trend starts after it.
    day(b, 0, on=TODAY - dt.timedelta(days=7), signed=5, demolished=5)
    plan(a, "signed", (dt.date(2026, 6, 30), "70"), (dt.date(2026, 8, 31), "100"))
    return world


# --- the plan ----------------------------------------------------------------------------


LINE = [(dt.date(2026, 6, 30), D("70")), (dt.date(2026, 8, 31), D("100"))]


def test_the_day_a_rate_was_due_lies_on_the_line_between_two_points() -> None:
    # 85 % is half way from 70 % to 100 %: half of the 62 days after 30 June.
    assert selectors.due_date(LINE, D("85")) == dt.date(2026, 7, 31)
    assert selectors.days_behind(LINE, D("85"), TODAY) == 10


def test_a_rate_ahead_of_the_plan_is_zero_days_behind() -> None:
    assert selectors.days_behind(LINE, D("85"), dt.date(2026, 7, 15)) == 0
    assert selectors.days_behind(LINE, D("100"), dt.date(2026, 8, 31)) == 0
    # The whole plan reached: still 0 a month after its last point, not 30.
    assert selectors.days_behind(LINE, D("100"), dt.date(2026, 9, 30)) == 0
    # Short of it after the last point: behind by the days since the day it was due.
    assert selectors.days_behind(LINE, D("85"), dt.date(2026, 9, 30)) == 61


def test_a_rate_below_the_first_point_was_due_on_it_without_a_start() -> None:
    assert selectors.due_date(LINE, D("40")) == dt.date(2026, 6, 30)
    assert selectors.days_behind(LINE, D("40"), TODAY) == 41


def test_the_plan_starts_from_nothing_on_the_planned_start() -> None:
    line = selectors.plan_line(LINE, dt.date(2026, 4, 1))
    assert line[0] == (dt.date(2026, 4, 1), D("0.00"))
    # 40 % of the way to 70 % over the 90 days of April to June: 51.43 days, 51 → 22 May.
    assert selectors.due_date(line, D("40")) == dt.date(2026, 5, 22)
    assert selectors.days_behind(line, D("40"), TODAY) == 80


def test_without_a_plan_there_is_no_delay_to_tell() -> None:
    assert selectors.days_behind([], D("40"), TODAY) is None


# --- the project's dashboard ------------------------------------------------------------


def test_the_funnel_counts_each_stage_with_its_share_and_area(figures: Any) -> None:
    data = selectors.project_dashboard(figures.pm, figures.project, TODAY)
    funnel = {row.stage: row for row in data.funnel}
    assert funnel["households"].count == 20 and funnel["households"].area == D("1900.50")
    assert (funnel["signed"].count, funnel["signed"].rate) == (8, D("40.00"))
    assert funnel["signed"].area == D("780.00")
    assert (funnel["confirmed"].count, funnel["confirmed"].rate) == (9, D("45.00"))
    assert (funnel["demolished"].count, funnel["demolished"].rate) == (2, D("10.00"))
    assert funnel["demolished"].area == D("200.00")
    assert funnel["paid"].area is None
    assert data.holdouts == 1
    assert f"project={figures.project.pk}" in funnel["signed"].link
    assert "stage=signed" in funnel["signed"].link


def test_the_money_comes_from_the_counters_and_the_funds(figures: Any) -> None:
    data = selectors.project_dashboard(figures.pm, figures.project, TODAY)
    money = data.money
    assert money.agreed == D("7000000.00")
    assert money.paid == D("4000000.00")
    assert money.owed == D("3000000.00")
    # No funding recorded: the whole agreed amount is the gap.
    assert (money.budget, money.received) == (D("0"), D("0"))
    assert money.gap == D("7000000.00")


def test_a_user_of_one_work_group_sees_its_figures_and_not_the_projects_funds(
    figures: Any,
) -> None:
    data = selectors.project_dashboard(figures.group_surveyor, figures.project, TODAY)
    assert data.figures.households == 10
    assert data.signing_rate == D("60.00")
    assert data.money.budget is None and data.money.gap is None


def test_the_mode_shares_add_up_to_a_hundred(figures: Any) -> None:
    data = selectors.project_dashboard(figures.pm, figures.project, TODAY)
    modes = {m.mode: m for m in data.modes}
    assert [m.mode for m in data.modes] == ["cash", "voucher", "exchange"]
    assert (modes["cash"].households, modes["cash"].household_share) == (6, D("75.00"))
    assert (modes["voucher"].households, modes["voucher"].household_share) == (2, D("25.00"))
    # 6/7 and 1/7 of the money: 85.714… and 14.285…; the larger remainder takes the last fen.
    assert modes["cash"].amount_share == D("85.71")
    assert modes["voucher"].amount_share == D("14.29")
    assert modes["exchange"].amount_share == D("0.00")
    assert sum(m.amount_share for m in data.modes) == D("100.00")


def test_the_signing_curve_adds_up_the_days_against_the_plan_line(figures: Any) -> None:
    data = selectors.project_dashboard(figures.pm, figures.project, TODAY)
    assert data.chart["signed"]["actual"] == [
        ["2026-07-31", "20.00"],
        ["2026-08-07", "30.00"],
        ["2026-08-08", "40.00"],
        ["2026-08-09", "40.00"],
    ]
    assert data.chart["signed"]["plan"] == [
        ["2026-04-01", "0.00"],
        ["2026-06-30", "70.00"],
        ["2026-08-31", "100.00"],
    ]
    assert data.signing_behind == 80
    assert data.demolition_behind is None


# --- the leader's dashboard ------------------------------------------------------------


def test_the_leader_sees_districts_projects_and_groups_with_their_rates(figures: Any) -> None:
    data = selectors.leader_dashboard(figures.supervisor, today=TODAY)
    assert data.figures.households == 25 and data.figures.signed == 13
    by_project = {r.key: r for r in data.projects}
    a = by_project[figures.project.pk]
    b = by_project[figures.other_project.pk]
    assert (a.figures.households, a.signing_rate, a.demolition_rate) == (20, D("40"), D("10"))
    assert (b.signing_rate, b.demolition_rate) == (D("100.00"), D("100.00"))
    by_district = {r.key: r for r in data.districts}
    assert by_district[figures.project.district_id].figures.households == 20
    groups = {(r.project_id, r.key): r for r in data.groups}
    assert groups[(figures.project.pk, figures.group.pk)].signing_rate == D("60.00")
    assert groups[(figures.project.pk, figures.other_group.pk)].signing_rate == D("20.00")


def test_the_trend_is_the_rate_gained_in_the_last_seven_days(figures: Any) -> None:
    data = selectors.leader_dashboard(figures.supervisor, today=TODAY)
    a = next(r for r in data.projects if r.key == figures.project.pk)
    b = next(r for r in data.projects if r.key == figures.other_project.pk)
    # A: 4 of its 8 signed in the last week (20 % then, 40 % now); 2 demolished (0 % then).
    assert a.signing_trend == D("20.00")
    assert a.demolition_trend == D("10.00")
    # B signed everything on the day a week ago: no change within the week.
    assert b.signing_trend == D("0.00")


def test_days_behind_plan_per_project_group_and_district(figures: Any) -> None:
    data = selectors.leader_dashboard(figures.supervisor, today=TODAY)
    a = next(r for r in data.projects if r.key == figures.project.pk)
    assert a.behind == 80
    groups = {r.key: r for r in data.groups}
    # 60 %: 77 of the 90 days to 70 % → 17 June, 54 days ago; 20 %: 26 days → 27 April.
    assert groups[figures.group.pk].behind == 54
    assert groups[figures.other_group.pk].behind == 105
    districts = {r.key: r for r in data.districts}
    assert districts[figures.project.district_id].behind == 80
    assert districts[figures.other_project.district_id].behind is None


def test_the_ranking_orders_by_rates_and_by_delay(figures: Any) -> None:
    data = selectors.leader_dashboard(figures.supervisor, today=TODAY)
    rankings = {r.key: r for r in data.rankings["project"]}
    names = figures.other_project.name, figures.project.name
    assert [r.name for r in rankings["signing"].rows] == list(names)
    assert [r.name for r in rankings["demolition"].rows] == list(names)
    # A project without a plan is ranked after those with one.
    assert [r.name for r in rankings["behind"].rows] == [names[1], names[0]]
    group_ranking = {r.key: r for r in data.rankings["group"]}["signing"].rows
    assert [r.key for r in group_ranking][:2] == [0, figures.group.pk]


def test_a_user_of_one_project_sees_only_that_projects_figures(figures: Any) -> None:
    data = selectors.leader_dashboard(figures.other_pm, today=TODAY)
    assert data.figures.households == 5
    assert [r.key for r in data.projects] == [figures.other_project.pk]
    assert [r.key for r in data.districts] == [figures.other_project.district_id]


def test_a_user_of_one_work_group_sees_only_that_group(figures: Any) -> None:
    data = selectors.leader_dashboard(figures.group_surveyor, today=TODAY)
    assert data.figures.households == 10
    assert [r.key for r in data.groups] == [figures.group.pk]


def test_a_user_of_one_district_sees_only_its_projects(figures: Any) -> None:
    third = ProjectFactory(district=figures.project.district)
    cell(third, households=4, signed=1)
    leader = UserFactory(username="district_leader")
    grant(leader, "leader", figures.project)
    grant(leader, "leader", third)
    data = selectors.leader_dashboard(leader, today=TODAY)
    assert [r.key for r in data.districts] == [figures.project.district_id]
    assert data.districts[0].figures.households == 24
    assert data.figures.signed == 9


def test_the_filters_keep_one_district(figures: Any) -> None:
    data = selectors.leader_dashboard(
        figures.supervisor, district_id=figures.other_project.district_id, today=TODAY
    )
    assert data.figures.households == 5
    assert data.districts[0].links["signed"].count("district=") == 1


def test_the_leader_dashboard_reads_as_many_queries_for_many_projects(figures: Any) -> None:
    def count() -> int:
        user = UserFactory()
        grant(user, "supervisor", None)
        with CaptureQueriesContext(connection) as ctx:
            selectors.leader_dashboard(user, today=TODAY)
        return len(ctx.captured_queries)

    few = count()
    for _n in range(6):
        project = ProjectFactory()
        cell(project, households=3, signed=1)
        day(project, on=TODAY, signed=1)
        plan(project, "signed", (dt.date(2026, 9, 30), "100"))
    assert count() == few
    assert few <= 10


def test_the_leader_dashboard_stays_within_its_query_budget(
    figures: Any, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(10):
        selectors.leader_dashboard(figures.supervisor, today=TODAY)
