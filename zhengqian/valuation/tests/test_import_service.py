"""The import and export services: the workbook to fill in, the round trip, the write (the same
totals as the valuation form, one transaction, audit events), and what happens when the project
changes meanwhile or the write fails."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import load_workbook

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.audit.models import Event, EventKind
from zhengqian.valuation import imports, services
from zhengqian.valuation.models import (
    AncillaryValuation,
    BuildingValuation,
    DecorationItem,
    Objection,
    ObjectionKind,
    Valuation,
    ValuationStatus,
)
from zhengqian.valuation.models_import import ValuationImport
from zhengqian.valuation.tests.conftest import DECISION_DAY, enter
from zhengqian.valuation.tests.test_import_validation import (
    ancillary,
    building,
    complete,
    decoration,
    household,
    second_household,
    wall,
    workbook,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_english(settings: Any, tmp_path: Path) -> Any:
    settings.MEDIA_ROOT = tmp_path
    with translation.override("en"):
        yield


def export(chosen: Any, actor: Any = None) -> io.BytesIO:
    out = io.BytesIO()
    imports.valuation_export(actor=actor or chosen.valuer, project=chosen.project, out=out)
    out.seek(0)
    return out


def sheets(content: io.BytesIO) -> dict[str, list[tuple[Any, ...]]]:
    wb = load_workbook(io.BytesIO(content.getvalue()))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def upload(chosen: Any, content: io.BytesIO, actor: Any = None) -> ValuationImport:
    return imports.import_upload(
        actor=actor or chosen.valuer,
        project=chosen.project,
        upload=SimpleUploadedFile("评估.xlsx", content.getvalue()),
    )


def import_file(chosen: Any, content: io.BytesIO) -> ValuationImport:
    """Upload, check, confirm and write, as the valuer's clicks do."""
    job = imports.run_validation(upload(chosen, content))
    assert imports.confirm_import(actor=chosen.valuer, job=job)
    return imports.run_import(job, expected_digest=job.summary["digest"])


def lines(valuation: Valuation) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "buildings": list(
            valuation.buildings.order_by("building__number").values_list(
                "building__number", "area", "unit_price", "value", "notes"
            )
        ),
        "decorations": list(valuation.decorations.values_list("description", "amount")),
        "ancillaries": list(valuation.ancillaries.values_list("quantity", "unit_price", "value")),
    }


class TestTheWorkbook:
    def test_it_lists_the_households_buildings_and_ancillaries_to_fill_in(
        self, chosen: Any
    ) -> None:
        content = sheets(export(chosen))
        assert list(content)[:5] == ["户评估", "房屋评估", "装修", "附属物评估", "填写说明"]
        assert content["户评估"] == [
            ("户编号", "类型", "报告编号", "价值时点", "停产停业损失", "损失依据"),
            ("H-001", "住宅", None, None, None, None),
        ]
        assert content["房屋评估"] == [
            ("户编号", "幢号", "测绘面积（㎡）", "评估面积", "评估单价", "评估价值", "备注"),
            ("H-001", "1", 96, None, None, None, None),
            ("H-001", "2", 40, None, None, None, None),
        ]
        assert content["装修"] == [("户编号", "幢号", "项目", "金额")]
        assert content["附属物评估"] == [
            (
                "户编号",
                "附属物编号",
                "类型",
                "描述",
                "单位",
                "调查数量",
                "数量",
                "单价",
                "评估价值",
            ),
            ("H-001", wall(chosen.household), "围墙", "围墙", "m", 12.5, None, None, None),
        ]
        instructions = [row[0] for row in content["填写说明"] if row and row[0]]
        assert "宁波甬信房地产估价有限公司" in [
            row[2] for row in content["填写说明"] if row and row[0] == "Appraisal firm"
        ]
        assert "房屋评估" in instructions

    def test_the_export_holds_the_figures_entered_and_is_recorded(self, chosen: Any) -> None:
        enter(chosen.valuer, chosen.household)
        content = sheets(export(chosen))
        assert content["户评估"][1][:4] == ("H-001", "住宅", "PG-H-001", dt.datetime(2026, 3, 2))
        assert content["房屋评估"][1] == ("H-001", "1", 96, 96, 12000, 1152000, None)
        assert content["装修"][1] == ("H-001", None, "厨房整体橱柜", 8000)
        assert content["附属物评估"][1][6:] == (12.5, 100, 1250)
        event = Event.objects.get(event_type="valuation.export")
        assert event.kind == EventKind.READ and event.details["households"] == 1

    def test_a_valuer_sees_only_the_households_of_their_work_groups(self, chosen: Any) -> None:
        from zhengqian.accounts.permissions import forget

        other = second_household(chosen, "H-002")
        other.work_group = chosen.world.other_group
        other.save()
        chosen.valuer.memberships.get(project=chosen.project).work_groups.set([chosen.world.group])
        forget(chosen.valuer)
        assert [r[0] for r in sheets(export(chosen))["户评估"][1:]] == ["H-001"]

    def test_the_office_and_another_firm_may_not_download_it(self, chosen: Any) -> None:
        from zhengqian.accounts.roles import RoleCode
        from zhengqian.testing.factories import grant

        with pytest.raises(AccessDenied):
            export(chosen, actor=chosen.pm)
        grant(chosen.other_valuer, RoleCode.VALUER, chosen.project)
        with pytest.raises(AccessDenied):
            export(chosen, actor=chosen.other_valuer)


class TestTheRoundTrip:
    def test_an_exported_workbook_imports_back_unchanged(self, chosen: Any) -> None:
        other = second_household(chosen)
        enter(chosen.valuer, chosen.household)
        second = enter(chosen.valuer, other, price="8800.50")
        services.valuation_confirm(actor=chosen.valuer, valuation=second)
        before = {
            v.pk: (v.status, v.total, v.updated_at, lines(v)) for v in Valuation.objects.all()
        }
        line_ids = set(BuildingValuation.objects.values_list("pk", flat=True))
        job = imports.run_validation(upload(chosen, export(chosen)))
        assert job.error_count == 0
        assert job.summary["unchanged"] == 2 and job.summary["kept_codes"] == []
        after = {v.pk: (v.status, v.total, v.updated_at, lines(v)) for v in Valuation.objects.all()}
        assert after == before
        assert set(BuildingValuation.objects.values_list("pk", flat=True)) == line_ids
        assert not Event.objects.filter(event_type="valuation.import").exists()

    def test_a_filled_in_workbook_writes_what_the_valuation_form_would(self, chosen: Any) -> None:
        other = second_household(chosen)
        content = workbook(
            [household("H-001"), household("H-002")],
            [
                building("H-001", "1", "96.00"),
                building("H-001", "2", "40.00"),
                building("H-002", "1", "96.00", "8800.50"),
                building("H-002", "2", "40.00", "8800.50", notes="附房"),
            ],
            [decoration("H-001"), decoration("H-002", "吊顶", "1234.56", building="1")],
            [ancillary(wall(chosen.household)), ancillary(wall(other), "H-002", "1", "800")],
        )
        job = import_file(chosen, content)
        assert job.status == "done" and job.summary["imported"] == {
            "households": 2,
            "buildings": 4,
            "decorations": 2,
            "ancillaries": 2,
        }
        imported = Valuation.objects.get(household=chosen.household)
        totals = ("buildings_total", "decoration_total", "ancillaries_total", "total")
        figures = [getattr(imported, f) for f in totals]
        # The same figures entered through the valuation form give the same totals.
        by_form = enter(chosen.valuer, chosen.household)
        assert [getattr(by_form, f) for f in totals] == figures
        assert imported.status == ValuationStatus.DRAFT and imported.firm == chosen.firm
        assert imported.prepared_by == chosen.valuer
        assert imported.report_no == "PG-H-001" and imported.valuation_date == DECISION_DAY
        h2 = Valuation.objects.get(household=other)
        assert lines(h2)["buildings"][1] == (
            "2",
            Decimal("40.00"),
            Decimal("8800.50"),
            Decimal("352020.00"),
            "附房",
        )
        assert h2.decorations.get().building.number == "1"
        assert h2.total == Decimal("844848.00") + Decimal("352020.00") + Decimal("1234.56") + 800

    def test_the_import_is_audited_with_each_households_old_and_new_total(
        self, chosen: Any
    ) -> None:
        enter(chosen.valuer, chosen.household)
        old = Valuation.objects.get().total
        h = chosen.household
        changed = workbook(
            [household(h.code)],
            [building(h.code, "1", price="12500.00"), building(h.code, "2", "40")],
            [decoration(h.code)],
            [ancillary(wall(h), h.code)],
        )
        job = import_file(chosen, changed)
        valuation = Valuation.objects.get()
        event = Event.objects.get(event_type="valuation.import")
        assert event.target_id == str(job.pk) and event.project_id == chosen.project.pk
        assert event.details["households"] == {
            "H-001": {"valuation": valuation.pk, "total": [str(old), str(valuation.total)]}
        }
        assert event.details["sha256"] == job.sha256 and event.details["batch"] == [1, 1]

    def test_the_events_come_in_batches(self, chosen: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(imports, "AUDIT_BATCH", 1)
        other = second_household(chosen)
        content = workbook(
            [household("H-001"), household("H-002")],
            [
                building("H-001", "1"),
                building("H-001", "2", "40"),
                building("H-002", "1"),
                building("H-002", "2", "40"),
            ],
            [],
            [ancillary(wall(chosen.household)), ancillary(wall(other), "H-002", "1", "800")],
        )
        import_file(chosen, content)
        events = Event.objects.filter(event_type="valuation.import").order_by("seq")
        assert [e.details["batch"] for e in events] == [[1, 2], [2, 2]]
        assert [list(e.details["households"]) for e in events] == [["H-001"], ["H-002"]]


class TestReplacing:
    def test_a_changed_household_is_replaced_and_a_confirmed_one_goes_back_to_draft(
        self, chosen: Any
    ) -> None:
        valuation = enter(chosen.valuer, chosen.household)
        services.valuation_confirm(actor=chosen.valuer, valuation=valuation)
        h = chosen.household
        content = workbook(
            [household(h.code, report_no="PG-NEW")],
            [building(h.code, "1", "95.50", "12000.00"), building(h.code, "2", "40")],
            [],
            [ancillary(wall(h), h.code, "12.00")],
        )
        import_file(chosen, content)
        valuation.refresh_from_db()
        assert valuation.status == ValuationStatus.DRAFT and valuation.report_no == "PG-NEW"
        assert lines(valuation)["buildings"][0][1:4] == (
            Decimal("95.50"),
            Decimal("12000.00"),
            Decimal("1146000.00"),
        )
        assert DecorationItem.objects.count() == 0
        assert valuation.total == Decimal("1146000.00") + Decimal("480000.00") + 1200
        event = Event.objects.get(event_type="valuation.import")
        assert event.details["households"]["H-001"]["status"] == ["confirmed", "draft"]

    def test_an_issued_valuation_reopened_by_an_objection_takes_the_new_figures(
        self, chosen: Any
    ) -> None:
        valuation = enter(chosen.valuer, chosen.household)
        Valuation.objects.filter(pk=valuation.pk).update(
            status=ValuationStatus.ISSUED, report_version=1, delivered_on=dt.date(2026, 4, 16)
        )
        objection = Objection.objects.create(
            valuation=valuation,
            kind=ObjectionKind.REVIEW,
            applied_on=dt.date(2026, 4, 20),
            apply_deadline=dt.date(2026, 4, 27),
            answer_deadline=dt.date(2026, 4, 30),
            grounds="单价偏低",
            recorded_by=chosen.pm,
            total_before=valuation.total,
        )
        services.objection_reopen(actor=chosen.valuer, objection=objection)
        h = chosen.household
        content = workbook(
            [household(h.code)],
            [building(h.code, "1", price="12500.00"), building(h.code, "2", "40")],
            [decoration(h.code)],
            [ancillary(wall(h), h.code)],
        )
        assert import_file(chosen, content).status == "done"
        valuation.refresh_from_db()
        assert valuation.status == ValuationStatus.ISSUED and valuation.version == 2
        assert valuation.buildings_total == Decimal("1200000.00") + Decimal("480000.00")


class TestAllOrNothing:
    def good_and_bad(self, chosen: Any) -> io.BytesIO:
        other = second_household(chosen)
        return workbook(
            [household("H-001"), household("H-002")],
            [
                building("H-001", "1"),
                building("H-001", "2", "40"),
                building("H-002", "1"),
                building("H-002", "2", "40", value="1"),
            ],
            [decoration("H-001")],
            [ancillary(wall(chosen.household)), ancillary(wall(other), "H-002", "1", "800")],
        )

    def test_the_valid_households_are_written_the_faulty_skipped(self, chosen: Any) -> None:
        job = import_file(chosen, self.good_and_bad(chosen))
        assert job.status == "done" and job.summary["kept_codes"] == ["H-001"]
        assert list(Valuation.objects.values_list("household__code", flat=True)) == ["H-001"]

    def test_a_failure_during_the_write_leaves_nothing_half_written(
        self, chosen: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        valuation = enter(chosen.valuer, chosen.household, price="11000.00")
        before = (valuation.total, lines(valuation))
        job = imports.run_validation(upload(chosen, self.good_and_bad(chosen)))
        imports.confirm_import(actor=chosen.valuer, job=job)
        insert = imports.bulk_insert

        def broken(model: Any, *args: Any) -> int:
            if model is AncillaryValuation:
                raise RuntimeError("disk full")
            return insert(model, *args)

        monkeypatch.setattr(imports, "bulk_insert", broken)
        job = imports.run_import(job, expected_digest=job.summary["digest"])
        assert job.status == "failed" and "nothing was imported" in job.message
        assert "disk full" not in job.message
        valuation.refresh_from_db()
        assert (valuation.total, lines(valuation)) == before
        assert not Event.objects.filter(event_type="valuation.import").exists()

    def test_a_valuation_saved_between_the_check_and_the_write_fails_the_import(
        self, chosen: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        job = imports.run_validation(upload(chosen, self.good_and_bad(chosen)))
        checked = imports.Validator.run

        def check_then_someone_saves(self: imports.Validator, fileobj: Any) -> imports.Report:
            report = checked(self, fileobj)
            enter(chosen.valuer, chosen.household, price="9000.00")
            return report

        monkeypatch.setattr(imports.Validator, "run", check_then_someone_saves)
        imports.confirm_import(actor=chosen.valuer, job=job)
        job = imports.run_import(job, expected_digest=job.summary["digest"])
        assert job.status == "failed" and "changed meanwhile" in job.message
        assert Valuation.objects.get().buildings.first().unit_price == Decimal("9000.00")

    def test_a_confirmation_of_another_check_writes_nothing(self, chosen: Any) -> None:
        job = imports.run_validation(upload(chosen, self.good_and_bad(chosen)))
        imports.confirm_import(actor=chosen.valuer, job=job)
        job = imports.run_import(job, expected_digest="0" * 64)
        assert job.status == "validated" and "has changed since" in job.message
        assert not Valuation.objects.exists()

    def test_a_second_confirmation_is_refused(self, chosen: Any) -> None:
        job = imports.run_validation(upload(chosen, complete(chosen.household)))
        assert imports.confirm_import(actor=chosen.valuer, job=job)
        assert not imports.confirm_import(actor=chosen.valuer, job=job)


class TestTheJob:
    def test_only_a_valuer_of_the_chosen_firm_uploads(self, chosen: Any) -> None:
        from zhengqian.accounts.roles import RoleCode
        from zhengqian.testing.factories import grant

        grant(chosen.other_valuer, RoleCode.VALUER, chosen.project)
        for user in (chosen.pm, chosen.world.surveyor, chosen.other_valuer):
            with pytest.raises(AccessDenied):
                upload(chosen, complete(chosen.household), actor=user)
        assert not ValuationImport.objects.exists()

    def test_the_upload_keeps_name_size_and_checksum(self, chosen: Any) -> None:
        job = upload(chosen, complete(chosen.household))
        assert job.original_name == "评估.xlsx" and job.size > 0 and len(job.sha256) == 64
        assert job.file.name.startswith(f"valuation/imports/{chosen.project.pk}/")

    def test_an_empty_upload_is_refused(self, chosen: Any) -> None:
        with pytest.raises(imports.jobs.UploadRefused):
            upload(chosen, io.BytesIO(b""))

    def test_the_progress_is_reported_while_the_rows_are_read(
        self, chosen: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)
        seen: list[tuple[int, int]] = []
        report = imports.validate_upload(
            actor=chosen.valuer,
            project=chosen.project,
            upload=complete(chosen.household),
            on_progress=lambda done, total: seen.append((done, total)),
        )
        assert report.rows_read == 5
        assert seen[0] == (2, 5) and seen[-1] == (5, 5)
