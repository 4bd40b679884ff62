"""The streamed household export: rows, masking, scope, audit, chunks, constant memory."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
import zipfile
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.http import QueryDict
from django.urls import reverse
from openpyxl import load_workbook

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import Event
from zhengqian.dashboard import figures
from zhengqian.dashboard.exports import HouseholdExport, write_households
from zhengqian.dashboard.lists import Filters
from zhengqian.dashboard.tests.test_reports import D, Rows, english, world  # noqa: F401  (english: the autouse fixture)
from zhengqian.testing.factories import DistrictFactory, ProjectFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> SimpleNamespace:
    return world()


def read(data: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(data)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


def export_rows(user: Any, filters: Filters | None = None) -> tuple[list[list[Any]], int]:
    out = io.BytesIO()
    count = write_households(user, filters or Filters(), out)
    return read(out.getvalue()), count


def test_the_export_writes_every_household_in_reach(w: SimpleNamespace) -> None:
    rows, count = export_rows(w.leader)
    header, data = rows[0], rows[1:]
    assert count == len(data) == 7
    assert header[:7] == [
        "Project code",
        "Household code",
        "Head of household",
        "District",
        "Work group",
        "Household kind",
        "Resettlement mode",
    ]
    first = dict(zip(header, data[0], strict=True))
    assert first["Project code"] == "XM-A"
    assert first["Household code"] == "H-00001"
    assert first["District"] == "北片区"
    assert first["Work group"] == "一组 (XM-A)"
    assert first["Household kind"] == "Residential (住宅)"
    assert first["Resettlement mode"] == "Cash compensation"
    assert first["Approved"] == "Yes" and first["Paid"] == "No" and first["Demolished"] == "Yes"
    assert first["Signed on"] == dt.datetime(2026, 6, 9)
    assert first["Paid on"] is None
    assert first["Amount agreed (yuan)"] == 1000000
    assert first["Area (m²)"] == 100
    last = dict(zip(header, data[-1], strict=True))
    assert last["Project code"] == "XM-C" and last["Work group"] == "No work group"
    assert last["Resettlement mode"] == "No mode yet"


def test_the_sums_of_the_export_are_the_dashboard_s(w: SimpleNamespace) -> None:
    rows, count = export_rows(w.leader)
    header, data = rows[0], rows[1:]
    total = figures.totals(figures.cells_for_user(w.leader))
    assert count == total.households
    column = header.index("Amount agreed (yuan)")
    assert sum(Decimal(str(r[column])) for r in data) == total.amount_agreed
    column = header.index("Area (m²)")
    assert sum(Decimal(str(r[column])) for r in data) == total.area
    column = header.index("Signed")
    assert sum(1 for r in data if r[column] == "Yes") == total.signed


def test_names_are_masked_unless_the_user_may_see_personal_data(w: SimpleNamespace) -> None:
    rows, _count = export_rows(w.leader)
    assert {r[2] for r in rows[1:]} == {"张*丰"}
    supervisor = UserFactory(username="supervisor")
    grant(supervisor, RoleCode.SUPERVISOR)
    rows, _count = export_rows(supervisor)
    assert {r[2] for r in rows[1:]} == {"张三丰"}
    # A project manager who is also the surveyor of project A sees A's names.
    grant(w.pm_a, RoleCode.SURVEYOR, w.a)
    rows, _count = export_rows(w.pm_a)
    assert {r[2] for r in rows[1:]} == {"张三丰"}


def test_the_export_keeps_to_the_user_s_projects(w: SimpleNamespace) -> None:
    rows, count = export_rows(w.pm_a)
    assert count == 4 and {r[0] for r in rows[1:]} == {"XM-A"}
    with pytest.raises(AccessDenied):
        HouseholdExport(w.pm_a, Filters(project_ids=(w.b.pk,)))


def test_who_may_not_export_is_refused(w: SimpleNamespace) -> None:
    for user in (w.g2_viewer, w.outsider):
        with pytest.raises(AccessDenied):
            HouseholdExport(user, Filters())
    assert not Event.objects.filter(event_type="dashboard.households_export").exists()


def test_the_filters_of_the_drill_down_apply(w: SimpleNamespace) -> None:
    _rows, signed = export_rows(w.leader, Filters(stage="signed"))
    _rows, not_signed = export_rows(w.leader, Filters(stage="signed", without=True))
    assert (signed, not_signed) == (5, 2)
    rows, count = export_rows(w.leader, Filters(district_id=w.north.pk, mode="cash"))
    assert count == 2 and {r[1] for r in rows[1:]} == {"H-00001", "H-00002"}


def test_the_export_is_recorded_with_its_filters(w: SimpleNamespace) -> None:
    export_rows(w.pm_a, Filters(stage="signed"))
    event = Event.objects.get(event_type="dashboard.households_export")
    assert event.actor_id == w.pm_a.pk
    assert event.kind == "read"
    assert event.details["filters"] == {"stage": "signed"}
    assert event.details["projects"] == [w.a.pk]
    assert event.details["names"] == "by project and work group"


def test_the_file_comes_in_chunks_before_the_end() -> None:
    project = ProjectFactory(code="XM-C1", district=DistrictFactory(code="C01", name="片区"))
    rows = Rows()
    for i in range(3000):
        rows.add(project, head=f"户主{i}", agreed="1000.00", signed_on=D)
    rows.save()
    leader = UserFactory(username="leader")
    grant(leader, RoleCode.LEADER)
    export = HouseholdExport(leader, Filters(), chunk_rows=500)
    chunks = iter(export)
    head = next(chunks)  # the package's fixed parts
    assert head.startswith(b"PK")
    first = next(chunks)
    # Bytes of the sheet are handed out while most rows are still to be read.
    assert first and export.rows < 3000
    rest = list(chunks)
    assert export.rows == 3000
    assert len(rest) >= 2 and all(rest)
    data = head + first + b"".join(rest)
    assert len(read(data)) == 3001
    # A zip written without seeking: each entry's sizes follow its data (a data descriptor).
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert archive.getinfo("xl/worksheets/sheet1.xml").flag_bits & 0x08


def test_a_name_with_markup_or_control_characters_stays_text(w: SimpleNamespace) -> None:
    project = ProjectFactory(code="XM-X", district=DistrictFactory(code="X01", name="X<&>"))
    rows = Rows()
    rows.add(project, head='=A1<b>&"\x07')
    rows.n = 100
    rows.save()
    supervisor = UserFactory(username="supervisor")
    grant(supervisor, RoleCode.SUPERVISOR)
    data, _count = export_rows(supervisor, Filters(project_ids=(project.pk,)))
    assert data[1][2] == '=A1<b>&"' and data[1][3] == "X<&>"


def _peak(user: Any, filters: Filters) -> tuple[int, int]:
    export = HouseholdExport(user, filters)
    size = 0
    tracemalloc.start()
    try:
        for chunk in export:
            size += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > 0
    return export.rows, peak


def test_the_memory_of_an_export_does_not_grow_with_its_rows() -> None:
    district = DistrictFactory(code="M01", name="大片区")
    small = ProjectFactory(code="XM-S", district=district)
    large = ProjectFactory(code="XM-L", district=district)
    rows = Rows()
    for i in range(2000):
        rows.add(small, head=f"户主{i}", agreed="1000.00", signed_on=D)
    for i in range(20000):
        rows.add(large, head=f"户主{i}", agreed="1000.00", signed_on=D)
    rows.save()
    leader = UserFactory(username="leader")
    grant(leader, RoleCode.LEADER)
    _peak(leader, Filters(project_ids=(small.pk,)))  # warm up: translations, code paths
    n_small, peak_small = _peak(leader, Filters(project_ids=(small.pk,)))
    n_large, peak_large = _peak(leader, Filters(project_ids=(large.pk,)))
    assert (n_small, n_large) == (2000, 20000)
    # Ten times the rows, not ten times the memory: the peak is that of one chunk of rows.
    assert peak_large < peak_small * 1.5, (peak_small, peak_large)


def test_the_view_streams_the_workbook(w: SimpleNamespace, client: Any) -> None:
    client.force_login(w.pm_a)
    response = client.get(reverse("dashboard:export"), {"stage": "signed"})
    assert response.status_code == 200
    assert response.streaming
    assert "attachment" in response["Content-Disposition"]
    assert ".xlsx" in response["Content-Disposition"]
    rows = read(b"".join(response.streaming_content))
    assert len(rows) == 5  # the header and A's four households signed


def test_the_view_refuses_bad_filters_and_users_without_the_right(
    w: SimpleNamespace, client: Any
) -> None:
    client.force_login(w.pm_a)
    url = reverse("dashboard:export")
    response = client.get(url, {"stage": "bribed"})
    assert response.status_code == 400
    assert "Unknown filter: stage." in response.content.decode()
    assert client.get(url, {"project": w.b.pk}).status_code == 403
    assert client.post(url).status_code == 405
    client.force_login(w.g2_viewer)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_filters_read_from_a_query_round_trip() -> None:
    filters = Filters.from_query(QueryDict("stage=signed&without=1&mode="))
    assert Filters.from_query(QueryDict("&".join(f"{k}={v}" for k, v in filters.as_query()))) == (
        filters
    )


def test_the_drill_down_offers_the_export_of_the_same_list(w: SimpleNamespace, client: Any) -> None:
    client.force_login(w.leader)
    page = client.get(reverse("dashboard:households"), {"stage": "signed", "page": "1"})
    assert page.status_code == 200
    link = f'href="{reverse("dashboard:export")}?stage=signed"'
    assert link in page.content.decode()


def test_names_are_shown_only_in_the_work_groups_where_the_user_sees_personal_data(
    w: SimpleNamespace,
) -> None:
    # A leader of every project (may export) who surveys group 1 of project A only: the heads of
    # group 1 are named, those of group 2 and of the other projects are masked.
    user = UserFactory(username="g1surveyor")
    grant(user, RoleCode.LEADER)
    grant(user, RoleCode.SURVEYOR, w.a, work_groups=[w.g1])
    rows, _count = export_rows(user)
    header = rows[0]
    names = {
        (r[header.index("Project code")], r[header.index("Work group")]): r[
            header.index("Head of household")
        ]
        for r in rows[1:]
    }
    assert names[("XM-A", "一组 (XM-A)")] == "张三丰"
    assert all(
        name != "张三丰" for (project, group), name in names.items() if group != "一组 (XM-A)"
    )


def test_a_list_longer_than_a_sheet_is_refused_before_anything_is_written(
    w: SimpleNamespace, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhengqian.dashboard import exports

    monkeypatch.setattr(exports, "MAX_ROWS", 3)  # the leader's list holds 7
    client.force_login(w.leader)
    response = client.get(reverse("dashboard:export"))
    assert response.status_code == 400
    assert "more than 3 households" in response.content.decode()
    assert not Event.objects.filter(event_type="dashboard.households_export").exists()
    assert client.get(reverse("dashboard:export"), {"project": w.b.pk}).status_code == 200
