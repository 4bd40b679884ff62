"""The daily report and the monthly bulletin: known answers on hand-made progress rows, the
workbooks read back, the pages, their scope and refusals."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import Event
from zhengqian.dashboard import reports
from zhengqian.dashboard.models import (
    COUNTS,
    DAY_STAGES,
    STAGES,
    SUMS,
    HouseholdProgress,
    PlanPoint,
    ProgressCell,
    ProgressDay,
)
from zhengqian.survey.models import Household
from zhengqian.testing.factories import (
    DistrictFactory,
    ProjectFactory,
    UserFactory,
    WorkGroupFactory,
    grant,
)

pytestmark = pytest.mark.django_db

D = dt.date(2026, 6, 10)  # the report's day in most tests
TODAY = dt.date(2026, 6, 12)


@pytest.fixture(autouse=True)
def english(client, settings):  # type: ignore[no-untyped-def]
    """Pages and messages in English: the assertions read the msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


# ---------------------------------------------------------------------------------------------
# Hand-made progress rows (the counters are rebuilt from them as progress.py would keep them)
# ---------------------------------------------------------------------------------------------


class Rows:
    """Households with their progress rows written directly; `counters()` rebuilds the cells
    and the days from the rows."""

    def __init__(self) -> None:
        self.n = 0
        self.pending: list[tuple[Household, dict[str, Any]]] = []

    def add(
        self,
        project: Any,
        *,
        group: Any = None,
        kind: str = "residential",
        mode: str = "",
        head: str = "张三丰",
        area: str = "100.00",
        agreed: str = "0.00",
        paid_amount: str = "0.00",
        signed_on: dt.date | None = None,
        paid_on: dt.date | None = None,
        vacated_on: dt.date | None = None,
        demolished_on: dt.date | None = None,
        holdout: bool = False,
        upto: str = "surveyed",
    ) -> None:
        self.n += 1
        household = Household(
            project=project,
            work_group=group,
            code=f"H-{self.n:05d}",
            kind=kind,
            head_name=head,
            division_code="330102",
            address="某街1号",
        )
        # The stages before `upto` are reached; dated stages follow their dates.
        flags = dict.fromkeys(STAGES, False)
        for stage in STAGES[: STAGES.index(upto) + 1]:
            flags[stage] = True
        for stage, day in (
            ("signed", signed_on),
            ("paid", paid_on),
            ("vacated", vacated_on),
            ("demolished", demolished_on),
        ):
            flags[stage] = day is not None
        values = dict(
            project=project,
            district_id=project.district_id,
            group_id=group.pk if group else 0,
            kind=kind,
            mode=mode,
            holdout=holdout,
            signed_on=signed_on,
            paid_on=paid_on,
            vacated_on=vacated_on,
            demolished_on=demolished_on,
            area=Decimal(area),
            amount_agreed=Decimal(agreed),
            amount_paid=Decimal(paid_amount),
            **flags,
        )
        self.pending.append((household, values))

    def save(self) -> None:
        households = [h for h, _v in self.pending]
        # bulk_create: no signals, so the progress rows are exactly the ones written here.
        Household.objects.bulk_create(households, batch_size=2000)
        HouseholdProgress.objects.bulk_create(
            [HouseholdProgress(household=h, **v) for h, v in self.pending], batch_size=2000
        )
        self.pending.clear()
        counters()


def counters() -> None:
    """ProgressCell and ProgressDay rebuilt from every HouseholdProgress row."""
    ProgressCell.objects.all().delete()
    ProgressDay.objects.all().delete()
    cells: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(
        lambda: {**dict.fromkeys(COUNTS, 0), **{s: Decimal("0.00") for s in SUMS}}
    )
    days: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(DAY_STAGES, 0))
    for p in HouseholdProgress.objects.all():
        cell = cells[(p.project_id, p.district_id, p.group_id, p.kind, p.mode)]
        cell["households"] += 1
        for stage in STAGES:
            cell[stage] += int(getattr(p, stage))
        cell["holdouts"] += int(p.holdout)
        cell["area"] += p.area
        cell["area_signed"] += p.area if p.signed else 0
        cell["area_demolished"] += p.area if p.demolished else 0
        cell["amount_agreed"] += p.amount_agreed
        cell["amount_paid"] += p.amount_paid
        for stage in DAY_STAGES:
            day = getattr(p, f"{stage}_on")
            if day is not None:
                days[(p.project_id, p.district_id, p.group_id, day)][stage] += 1
    ProgressCell.objects.bulk_create(
        ProgressCell(project_id=k[0], district_id=k[1], group_id=k[2], kind=k[3], mode=k[4], **v)
        for k, v in cells.items()
    )
    ProgressDay.objects.bulk_create(
        ProgressDay(project_id=k[0], district_id=k[1], group_id=k[2], day=k[3], **v)
        for k, v in days.items()
    )


def world() -> SimpleNamespace:
    """Two districts: north with projects A (two work groups) and B, south with project C.

    A: 4 households (g1: 3, g2: 1): signed on D-1, D, D, D+1; paid on D; vacated D;
       demolished D-1 (of the one signed D-1); one holdout; areas 100, 80, 50, 70.
    B: 2 households, one signed in May (2026-05-20), one not; amounts.
    C: 1 household, nothing reached.
    """
    north = DistrictFactory(code="N01", name="北片区")
    south = DistrictFactory(code="S01", name="南片区")
    a = ProjectFactory(code="XM-A", name="甲项目", district=north)
    b = ProjectFactory(code="XM-B", name="乙项目", district=north)
    c = ProjectFactory(code="XM-C", name="丙项目", district=south)
    g1 = WorkGroupFactory(project=a, name="一组")
    g2 = WorkGroupFactory(project=a, name="二组")
    day_before = D - dt.timedelta(days=1)
    day_after = D + dt.timedelta(days=1)
    rows = Rows()
    rows.add(
        a,
        group=g1,
        mode="cash",
        area="100.00",
        agreed="1000000.00",
        paid_amount="400000.00",
        signed_on=day_before,
        demolished_on=day_before,
        upto="approved",
    )
    rows.add(
        a,
        group=g1,
        mode="cash",
        area="80.00",
        agreed="500000.00",
        paid_amount="500000.00",
        signed_on=D,
        paid_on=D,
        vacated_on=D,
        upto="approved",
    )
    rows.add(a, group=g1, mode="voucher", area="50.00", agreed="300000.00", signed_on=D)
    rows.add(
        a,
        group=g2,
        mode="exchange",
        area="70.00",
        agreed="200000.00",
        signed_on=day_after,
        holdout=True,
    )
    rows.add(b, area="60.00", agreed="250000.50", signed_on=dt.date(2026, 5, 20))
    rows.add(b, area="40.00", kind="non_residential")
    rows.add(c, area="30.00")
    rows.save()
    leader = UserFactory(username="leader")
    grant(leader, RoleCode.LEADER)  # all projects
    pm_a = UserFactory(username="pm_a")
    grant(pm_a, RoleCode.PROJECT_MANAGER, a)
    g2_viewer = UserFactory(username="g2viewer")
    grant(g2_viewer, RoleCode.VIEWER, a, work_groups=[g2])
    outsider = UserFactory(username="outsider")
    return SimpleNamespace(
        north=north,
        south=south,
        a=a,
        b=b,
        c=c,
        g1=g1,
        g2=g2,
        leader=leader,
        pm_a=pm_a,
        g2_viewer=g2_viewer,
        outsider=outsider,
    )


@pytest.fixture
def w() -> SimpleNamespace:
    return world()


def line(lines: list[reports.Line], key: Any) -> reports.Line:
    return next(x for x in lines if x.key == key)


# ---------------------------------------------------------------------------------------------
# The daily report
# ---------------------------------------------------------------------------------------------


def test_the_daily_report_counts_the_day_and_up_to_it(w: SimpleNamespace) -> None:
    report = reports.daily(w.leader, D, today=TODAY)
    a = line(report.projects, w.a.pk)
    assert a.label == "XM-A 甲项目"
    assert a.households == 4
    assert a.new == {"signed": 2, "paid": 1, "vacated": 1, "demolished": 0}
    # Signed by the end of D: three of the four (the fourth signed the day after).
    assert a.signed == 3 and a.signing_rate == Decimal("75.00")
    # The day before: one of four.
    assert a.rate_before("signed") == Decimal("25.00")
    assert a.signing_change == Decimal("50.00")
    assert a.demolished == 1 and a.demolition_rate == Decimal("25.00")
    assert a.demolition_change == Decimal("0.00")
    assert a.paid == 1 and a.vacated == 1
    # As of now: the area signed counts the household signed after D too.
    assert a.now.area_signed == Decimal("300.00")
    assert a.now.amount_agreed == Decimal("2000000.00")
    assert a.now.amount_paid == Decimal("900000.00")
    assert a.now.holdouts == 1
    north = line(report.districts, w.north.pk)
    assert north.label == "北片区"
    assert north.households == 6 and north.signed == 4
    assert north.signing_rate == Decimal("66.67")
    assert north.now.amount_agreed == Decimal("2250000.50")
    assert report.total.households == 7 and report.total.signed == 4
    assert report.total.signing_rate == Decimal("57.14")
    assert report.total.new["signed"] == 2
    assert [x.label for x in report.districts] == ["北片区", "南片区"]


def test_today_s_report_counts_every_dated_stage_as_it_stands(w: SimpleNamespace) -> None:
    later = dt.date(2026, 6, 30)
    report = reports.daily(w.leader, later, today=later)
    a = line(report.projects, w.a.pk)
    assert a.signed == a.now.signed == 4
    assert a.new == dict.fromkeys(DAY_STAGES, 0)
    assert not report.is_past


def test_a_project_manager_sees_only_the_project(w: SimpleNamespace) -> None:
    report = reports.daily(w.pm_a, D, today=TODAY)
    assert [x.key for x in report.projects] == [w.a.pk]
    assert report.total.households == 4


def test_a_viewer_of_one_work_group_sees_only_that_group(w: SimpleNamespace) -> None:
    report = reports.daily(w.g2_viewer, D, today=TODAY)
    assert report.total.households == 1
    assert report.total.signed == 0  # signed the day after D
    assert report.total.now.signed == 1


def test_an_outsider_sees_nothing(w: SimpleNamespace) -> None:
    report = reports.daily(w.outsider, D, today=TODAY)
    assert report.projects == [] and report.total.households == 0


def test_the_daily_workbook_holds_the_page_s_numbers(w: SimpleNamespace, client: Any) -> None:
    client.force_login(w.leader)
    url = reverse("dashboard:daily")
    page = client.get(url, {"day": D.isoformat()})
    assert page.status_code == 200
    sections = {key: rows for _t, key, rows in page.context["sections"]}
    response = client.get(reverse("dashboard:daily_xlsx"), {"day": D.isoformat()})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["By project"]
    assert sheet["A1"].value == f"Daily report of expropriation progress, {D.isoformat()}"
    assert "Unit:" in sheet["A2"].value
    assert sheet.freeze_panes == "A4"
    assert sheet["H4"].number_format == "0.00"
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    expected = [[v for v, _k in row] for row in sections["projects"]]
    assert [[_plain(v) for v in row] for row in values[:-1]] == [
        [_plain(v) for v in row] for row in expected
    ]
    total = values[-1]
    assert total[0] == "Total" and total[1] == 7 and total[6] == 4
    assert Decimal(str(total[7])) == Decimal("57.14")
    assert book["By district"]["A4"].value == "北片区"
    event = Event.objects.get(event_type="dashboard.daily_export")
    assert event.details["day"] == D.isoformat()


def _plain(value: Any) -> Any:
    return Decimal(str(value)) if isinstance(value, (Decimal, float)) else value


def test_the_daily_page_shows_the_past_day_note_and_the_total(
    w: SimpleNamespace, client: Any
) -> None:
    client.force_login(w.leader)
    page = client.get(reverse("dashboard:daily"), {"day": D.isoformat()})
    text = page.content.decode()
    assert 'data-testid="past-note"' in text
    assert "2,250,000.50" in text  # the north district's amount agreed
    assert "@media print" not in text  # the print rules live in the style sheet
    assert "57.14" in text


def test_a_day_after_today_is_refused_at_the_field(w: SimpleNamespace, client: Any) -> None:
    client.force_login(w.leader)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    page = client.get(reverse("dashboard:daily"), {"day": tomorrow.isoformat()})
    assert page.status_code == 200
    assert "A daily report can be made for today or a past day." in page.content.decode()
    assert page.context["report"] is None
    bad = client.get(reverse("dashboard:daily"), {"day": "yesterday"})
    assert "Enter a valid date." in bad.content.decode()
    xlsx = client.get(reverse("dashboard:daily_xlsx"), {"day": "yesterday"})
    assert xlsx.status_code == 400


def test_the_reports_refuse_users_without_dashboards(w: SimpleNamespace, client: Any) -> None:
    client.force_login(w.outsider)
    for name in ("daily", "daily_xlsx", "monthly", "monthly_xlsx", "pivot", "pivot_xlsx"):
        assert client.get(reverse(f"dashboard:{name}")).status_code == 403, name


def test_the_reports_ask_for_login(client: Any) -> None:
    response = client.get(reverse("dashboard:daily"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_reports_answer_only_get(w: SimpleNamespace, client: Any) -> None:
    client.force_login(w.leader)
    for name in ("daily", "daily_xlsx", "monthly", "monthly_xlsx", "pivot", "pivot_xlsx"):
        assert client.post(reverse(f"dashboard:{name}")).status_code == 405, name


def test_a_project_out_of_reach_is_not_found(w: SimpleNamespace, client: Any) -> None:
    client.force_login(w.pm_a)
    url = reverse("dashboard:daily")
    assert client.get(url, {"project": w.b.pk}).status_code == 404
    assert client.get(url, {"project": "x"}).status_code == 404
    page = client.get(url, {"project": w.a.pk, "day": D.isoformat()})
    assert page.status_code == 200
    assert [x.key for x in page.context["report"].projects] == [w.a.pk]


# ---------------------------------------------------------------------------------------------
# The monthly bulletin
# ---------------------------------------------------------------------------------------------


def test_the_bulletin_counts_the_month_and_ranks_the_projects(w: SimpleNamespace) -> None:
    bulletin = reports.monthly(w.leader, 2026, 6, today=TODAY)
    assert bulletin.start == dt.date(2026, 6, 1) and bulletin.end == dt.date(2026, 6, 30)
    a = line(bulletin.projects, w.a.pk)
    assert a.new == {"signed": 4, "paid": 1, "vacated": 1, "demolished": 1}
    assert a.signing_rate == Decimal("100.00") and a.signing_change == Decimal("100.00")
    b = line(bulletin.projects, w.b.pk)
    assert b.new["signed"] == 0 and b.signing_rate == Decimal("50.00")
    assert b.signing_change == Decimal("0.00")
    # June end: A 100 %, B 50 %, C 0 %; May end: B 50 %, A and C 0 % (sharing rank 2).
    ranking = [(r.line.key, r.rank, r.previous_rank, r.moved) for r in bulletin.signing_ranking]
    assert ranking == [(w.a.pk, 1, 2, 1), (w.b.pk, 2, 1, -1), (w.c.pk, 3, 2, -1)]
    demolition = [(r.line.key, r.rank, r.rate) for r in bulletin.demolition_ranking]
    assert demolition == [
        (w.a.pk, 1, Decimal("25.00")),
        (w.b.pk, 2, Decimal("0.00")),
        (w.c.pk, 2, Decimal("0.00")),
    ]
    districts = [(r.line.key, r.rank) for r in bulletin.district_signing_ranking]
    assert districts == [(w.north.pk, 1), (w.south.pk, 2)]


def test_the_bulletin_of_may_counts_up_to_may_end(w: SimpleNamespace) -> None:
    bulletin = reports.monthly(w.leader, 2026, 5, today=TODAY)
    a = line(bulletin.projects, w.a.pk)
    assert a.signed == 0 and a.new["signed"] == 0
    b = line(bulletin.projects, w.b.pk)
    assert b.signed == 1 and b.new["signed"] == 1 and b.signing_rate == Decimal("50.00")


def test_the_bulletin_lists_the_projects_behind_their_plan(w: SimpleNamespace) -> None:
    # A: 70 % signed by June 5 (reached 100 % by June end: on plan); B: 80 % signed by June 20
    # (50 %: behind by 30 points); C: demolition 10 % by July 1 (not due in June).
    PlanPoint.objects.create(project=w.a, measure="signed", due_on=dt.date(2026, 6, 5), percent=70)
    PlanPoint.objects.create(project=w.b, measure="signed", due_on=dt.date(2026, 5, 1), percent=10)
    PlanPoint.objects.create(project=w.b, measure="signed", due_on=dt.date(2026, 6, 20), percent=80)
    PlanPoint.objects.create(
        project=w.c, measure="demolished", due_on=dt.date(2026, 7, 1), percent=10
    )
    bulletin = reports.monthly(w.leader, 2026, 6, today=TODAY)
    behind = [(b.line.key, b.measure, b.planned, b.actual, b.gap) for b in bulletin.behind]
    assert behind == [
        (w.b.pk, "signed", Decimal("80.00"), Decimal("50.00"), Decimal("30.00")),
    ]
    # For July, C's demolition point is due and missed.
    july = reports.monthly(w.leader, 2026, 7, today=dt.date(2026, 7, 15))
    assert {(b.line.key, b.measure) for b in july.behind} == {
        (w.b.pk, "signed"),
        (w.c.pk, "demolished"),
    }


def test_the_bulletin_workbook_holds_the_page_s_numbers(w: SimpleNamespace, client: Any) -> None:
    PlanPoint.objects.create(project=w.b, measure="signed", due_on=dt.date(2026, 6, 20), percent=80)
    client.force_login(w.leader)
    page = client.get(reverse("dashboard:monthly"), {"month": "2026-06"})
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="behind-row"' in text
    response = client.get(reverse("dashboard:monthly_xlsx"), {"month": "2026-06"})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["By project"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    sections = {key: rows for _t, key, rows in page.context["sections"]}
    expected = [[_plain(v) for v, _k in row] for row in sections["projects"]]
    assert [[_plain(v) for v in row] for row in rows[:-1]] == expected
    assert rows[-1][0] == "Total" and rows[-1][1] == 7
    ranking = [[c.value for c in row] for row in book["Signing ranking"].iter_rows(min_row=4)]
    assert [(r[0], r[1], r[3], r[5]) for r in ranking] == [
        (1, "XM-A 甲项目", 2, 1),
        (2, "XM-B 乙项目", 1, -1),
        (3, "XM-C 丙项目", 2, -1),
    ]
    behind = [[c.value for c in row] for row in book["Behind plan"].iter_rows(min_row=4)]
    assert behind[0][0] == "XM-B 乙项目" and Decimal(str(behind[0][5])) == Decimal("30.00")
    assert Event.objects.filter(event_type="dashboard.monthly_export").count() == 1


def test_a_bad_month_is_refused_at_the_field(w: SimpleNamespace, client: Any) -> None:
    client.force_login(w.leader)
    page = client.get(reverse("dashboard:monthly"), {"month": "2026-13"})
    assert "Enter a month as YYYY-MM, e.g. 2026-06." in page.content.decode()
    future = timezone.localdate().replace(day=1) + dt.timedelta(days=40)
    page = client.get(reverse("dashboard:monthly"), {"month": f"{future:%Y-%m}"})
    assert "A bulletin can be made for this month or a past one." in page.content.decode()
    assert client.get(reverse("dashboard:monthly_xlsx"), {"month": "x"}).status_code == 400


# ---------------------------------------------------------------------------------------------
# The agreement: dashboard, daily report, pivot and export on the demo data
# ---------------------------------------------------------------------------------------------


def test_dashboard_report_pivot_and_export_agree_on_the_demo_data(db: Any) -> None:
    from zhengqian.accounts.models import User
    from zhengqian.core.demo import seed_demo
    from zhengqian.dashboard import figures, progress, selectors
    from zhengqian.dashboard.exports import write_households
    from zhengqian.dashboard.lists import Filters

    seed_demo(households=60, projects=2, casework=True)
    progress.rebuild()
    today = timezone.localdate()
    for username in ("leader", "pm"):
        user = User.objects.get(username=username)
        dashboard = selectors.leader_dashboard(user, today=today)
        report = reports.daily(user, today, today=today)
        result = reports.pivot(user, ["district", "group", "mode"], ["households", "amount_agreed"])
        total = figures.totals(figures.cells_for_user(user))
        assert total.households > 0 and total.signed > 0
        assert dashboard.figures == report.total.now == result.total == total
        assert report.total.signed == total.signed  # today's report counts everything
        leaves = [row.figures for row in result.lines if not row.is_total]
        assert sum(f.households for f in leaves) == total.households
        assert sum(f.amount_agreed for f in leaves) == total.amount_agreed
        # Per project, the dashboard's rows and the report's lines hold the same figures.
        by_project = {row.key: row.figures for row in dashboard.projects}
        assert by_project == {line.key: line.now for line in report.projects}
        out = io.BytesIO()
        count = write_households(user, Filters(), out)
        sheet = load_workbook(out).active
        header = [c.value for c in sheet[1]]
        data = list(sheet.iter_rows(min_row=2, values_only=True))
        assert count == len(data) == total.households
        agreed = header.index("Amount agreed (yuan)")
        paid = header.index("Amount paid (yuan)")
        area = header.index("Area (m²)")
        signed = header.index("Signed")
        assert sum(Decimal(str(r[agreed])) for r in data) == total.amount_agreed
        assert sum(Decimal(str(r[paid])) for r in data) == total.amount_paid
        assert sum(Decimal(str(r[area])) for r in data) == total.area
        assert sum(1 for r in data if r[signed] == "Yes") == total.signed


def test_the_project_picker_offers_the_user_s_projects(w: SimpleNamespace, client: Any) -> None:
    client.force_login(w.pm_a)
    for name in ("daily", "monthly"):
        page = client.get(reverse(f"dashboard:{name}"))
        assert page.context["project_choices"] == [(w.a.pk, "XM-A 甲项目")]
    client.force_login(w.leader)
    page = client.get(reverse("dashboard:daily"), {"project": ["", str(w.b.pk)]})
    assert [p.pk for p in page.context["projects"]] == [w.b.pk]
    assert [x.key for x in page.context["report"].projects] == [w.b.pk]
    assert len(page.context["project_choices"]) == 3
