"""The pivot: known answers with subtotals and the grand total, labels, the workbook, refusals."""

from __future__ import annotations

import io
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from zhengqian.audit.models import Event
from zhengqian.dashboard import figures, reports
from zhengqian.dashboard.tests.test_reports import english, world  # noqa: F401  (english: the autouse fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> SimpleNamespace:
    return world()


def table(result: reports.Pivot) -> list[tuple[tuple[str, ...], int, list[Any]]]:
    return [(row.labels, row.level, result.values(row.figures)) for row in result.lines]


def test_one_dimension_adds_up_per_value(w: SimpleNamespace) -> None:
    result = reports.pivot(w.leader, ["district"], ["households", "area", "signing_rate"])
    assert table(result) == [
        (("北片区",), 1, [6, Decimal("400.00"), Decimal("83.33")]),
        (("南片区",), 1, [1, Decimal("30.00"), Decimal("0.00")]),
    ]
    assert result.values(result.total) == [7, Decimal("430.00"), Decimal("71.43")]


def test_two_dimensions_have_subtotals_in_order(w: SimpleNamespace) -> None:
    result = reports.pivot(w.leader, ["district", "mode"], ["households", "amount_agreed"])
    assert table(result) == [
        (("北片区", "No mode yet"), 2, [2, Decimal("250000.50")]),
        (("北片区", "Cash compensation"), 2, [2, Decimal("1500000.00")]),
        (("北片区", "Property exchange"), 2, [1, Decimal("200000.00")]),
        (("北片区", "Housing voucher"), 2, [1, Decimal("300000.00")]),
        (("北片区", ""), 1, [6, Decimal("2250000.50")]),
        (("南片区", "No mode yet"), 2, [1, Decimal("0.00")]),
        (("南片区", ""), 1, [1, Decimal("0.00")]),
    ]
    assert result.total.households == 7
    assert result.total == figures.totals(figures.cells_for_user(w.leader))


def test_three_dimensions_nest_their_subtotals(w: SimpleNamespace) -> None:
    result = reports.pivot(w.leader, ["kind", "group", "mode"], ["households"])
    rows = table(result)
    # Non-residential: one household of B (no work group, no mode): leaf, group subtotal,
    # kind subtotal.
    non_residential = [r for r in rows if r[0][0] == "Non-residential (非住宅)"]
    assert non_residential == [
        (("Non-residential (非住宅)", "No work group", "No mode yet"), 3, [1]),
        (("Non-residential (非住宅)", "No work group", ""), 2, [1]),
        (("Non-residential (非住宅)", "", ""), 1, [1]),
    ]
    residential_total = next(r for r in rows if r[0] == ("Residential (住宅)", "", ""))
    assert residential_total[2] == [6]
    group_one = next(r for r in rows if r[0] == ("Residential (住宅)", "一组 (XM-A)", ""))
    assert group_one[2] == [3]
    leaves = sum(r[2][0] for r in rows if r[1] == 3)
    assert leaves == result.total.households == 7


def test_labels_cost_one_query_per_dimension(w: SimpleNamespace) -> None:
    reports.pivot(w.leader, ["kind"], ["area"])  # the user's roles are read once, then kept
    with CaptureQueriesContext(connection) as choices_only:
        reports.pivot(w.leader, ["kind"], ["area"])
    with CaptureQueriesContext(connection) as queries:
        reports.pivot(w.leader, ["district", "group", "project_kind", "kind", "mode"], ["area"])
    # The cells grouped and the grand total; then one query for the districts' names and one
    # for the work groups' (the choices' labels need none).
    assert len(choices_only) == 2
    assert len(queries) == len(choices_only) + 2


def test_the_scope_holds_in_the_pivot(w: SimpleNamespace) -> None:
    result = reports.pivot(w.g2_viewer, ["group"], ["households", "signed"])
    assert table(result) == [(("二组 (XM-A)",), 1, [1, 1])]
    nothing = reports.pivot(w.outsider, ["district"], ["households"])
    assert nothing.lines == [] and nothing.total.households == 0


def test_unknown_or_repeated_dimensions_are_refused(w: SimpleNamespace) -> None:
    with pytest.raises(reports.BadPivot):
        reports.pivot(w.leader, ["district", "district"], ["households"])
    with pytest.raises(reports.BadPivot):
        reports.pivot(w.leader, ["street"], ["households"])
    with pytest.raises(reports.BadPivot):
        reports.pivot(w.leader, ["district"], ["price"])
    with pytest.raises(reports.BadPivot):
        reports.pivot(w.leader, [], ["households"])


def test_the_page_and_the_workbook_agree(w: SimpleNamespace, client: Any) -> None:
    client.force_login(w.leader)
    query = {"rows": ["district", "", "mode"], "measures": ["households", "amount_agreed"]}
    page = client.get(reverse("dashboard:pivot"), query)
    assert page.status_code == 200
    text = page.content.decode()
    assert "2,250,000.50" in text and "Subtotal" in text and "Grand total" in text
    assert page.context["pivot"].rows == ("district", "mode")
    response = client.get(reverse("dashboard:pivot_xlsx"), query)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.freeze_panes == "A4"
    assert [c.value for c in sheet[3]] == [
        "District",
        "Resettlement mode",
        "Households",
        "Amount agreed (yuan)",
    ]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert rows[0] == ["北片区", "No mode yet", 2, 250000.5]
    assert rows[4] == ["北片区", "Subtotal", 6, 2250000.5]
    assert rows[-1] == ["Grand total", None, 7, 2250000.5]
    assert sheet["D4"].number_format == "#,##0.00"
    event = Event.objects.get(event_type="dashboard.pivot_export")
    assert event.details["rows"] == ["district", "mode"]


def test_the_page_offers_the_defaults(w: SimpleNamespace, client: Any) -> None:
    client.force_login(w.leader)
    page = client.get(reverse("dashboard:pivot"))
    assert page.status_code == 200
    assert page.context["pivot"].rows == reports.DEFAULT_ROWS
    partial = client.get(
        reverse("dashboard:pivot"),
        {"rows": "kind", "measures": "households"},
        headers={"HX-Request": "true"},
    )
    assert "<html" not in partial.content.decode()
    assert 'data-testid="pivot-table"' in partial.content.decode()


def test_bad_choices_are_refused_at_the_field(w: SimpleNamespace, client: Any) -> None:
    client.force_login(w.leader)
    url = reverse("dashboard:pivot")
    page = client.get(url, {"rows": ["district", "district"], "measures": "households"})
    assert page.status_code == 400
    assert "Pick each dimension once." in page.content.decode()
    page = client.get(url, {"rows": "street", "measures": "households"})
    assert "Select a valid choice." in page.content.decode()
    page = client.get(url, {"rows": "district"})
    assert "This field is required." in page.content.decode()
    assert client.get(reverse("dashboard:pivot_xlsx"), {"rows": "street"}).status_code == 400
    assert not Event.objects.filter(event_type="dashboard.pivot_export").exists()


def test_a_refused_choice_comes_back_to_htmx_with_its_error(
    w: SimpleNamespace, client: Any
) -> None:
    client.force_login(w.leader)
    partial = client.get(
        reverse("dashboard:pivot"),
        {"rows": ["kind", "kind"], "measures": "households"},
        headers={"HX-Request": "true"},
    )
    assert partial.status_code == 200
    text = partial.content.decode()
    assert 'data-testid="pivot-errors"' in text and "Pick each dimension once." in text


def test_a_name_that_looks_like_a_formula_stays_text_in_the_workbook(
    w: SimpleNamespace, client: Any
) -> None:
    w.north.name = '=HYPERLINK("http://x","北")\x07'
    w.north.save(update_fields=["name"])
    client.force_login(w.leader)
    response = client.get(
        reverse("dashboard:pivot_xlsx"), {"rows": ["district"], "measures": ["households"]}
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [row[0].value for row in sheet.iter_rows(min_row=4)]
    cell = next(row[0] for row in sheet.iter_rows(min_row=4) if "HYPERLINK" in str(row[0].value))
    assert '=HYPERLINK("http://x","北")' in names and cell.data_type == "s"
