"""The import and export services: the round trip, one transaction and one audit event per
import, the read of an export audited, and what happens when the project changes meanwhile or the
write fails."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import load_workbook

from zhengqian.accounts.permissions import AccessDenied
from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import Event, EventKind
from zhengqian.core.idcard import make_id_number
from zhengqian.projects.models import Project
from zhengqian.survey import imports, services
from zhengqian.survey.models import (
    Ancillary,
    Building,
    Household,
    Person,
    SurveyImport,
    SurveyImportStatus,
)
from zhengqian.survey.tests.test_import_validation import (
    building,
    household,
    person,
    workbook,
)
from zhengqian.testing.factories import ProjectFactory, WorkGroupFactory, grant

HEAD = make_id_number("330282", dt.date(1968, 3, 9), 135)
WIFE = make_id_number("330282", dt.date(1970, 7, 1), 246)
OTHER_HEAD = make_id_number("330282", dt.date(1955, 1, 20), 311)
OPERATOR = make_id_number("110105", dt.date(1981, 10, 5), 457)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def seed(world: Any) -> None:
    """Households of every shape, written through the survey services (full validation)."""
    actor, project = world.surveyor, world.project
    h1 = services.household_create(
        actor=actor,
        project=project,
        work_group=world.group,
        code="H-001",
        kind="residential",
        head_name="张建国",
        head_id_number=HEAD,
        phone="0574-63001234",
        division_code="330282",
        address="浙江省慈溪市新塘镇红旗村三组27号",
        land_type="collective_homestead",
        notes="第一行\n第二行",
    )
    for fields in (
        # As the person form stores it: the date of birth from the ID number (the import
        # also fills it in when the column is empty).
        {
            "name": "张建国",
            "id_number": HEAD,
            "relation": "head",
            "sex": "M",
            "birth_date": dt.date(1968, 3, 9),
        },
        {
            "name": "李秀英",
            "id_number": WIFE,
            "relation": "spouse",
            "sex": "F",
            "birth_date": dt.date(1970, 7, 1),
            "hukou_type": "agricultural",
            "special_status": "disabled",
            "notes": "左腿残疾",
        },
        {
            "name": "张小妹",
            "relation": "child",
            "sex": "F",
            "birth_date": dt.date(2025, 12, 1),
            "registered_here": False,
            "hukou_place": "浙江省宁波市海曙区",
        },
    ):
        services.member_create(actor=actor, household=h1, model=Person, **fields)
    services.member_create(
        actor=actor,
        household=h1,
        model=Building,
        number="1",
        structure_type="brick_concrete",
        use="residential",
        floors=3,
        year_built=1998,
        built_on=dt.date(1998, 10, 1),
        measured_area=Decimal("186.40"),
        title_certificate_no="浙(2019)慈溪市不动产权第0001234号",
        notes="主房",
    )
    services.member_create(
        actor=actor,
        household=h1,
        model=Building,
        number="2",
        structure_type="simple",
        use="auxiliary",
        floors=1,
        measured_area=Decimal("0.00"),
    )
    services.member_create(
        actor=actor,
        household=h1,
        model=Ancillary,
        kind="wall",
        description="砖砌围墙",
        quantity=Decimal("32.50"),
        unit="m",
    )
    services.member_create(
        actor=actor,
        household=h1,
        model=Ancillary,
        kind="tree",
        quantity=Decimal("3"),
        unit="株",
        built_on=dt.date(2001, 3, 12),
        notes="桂花树",
    )
    h2 = services.household_create(
        actor=actor,
        project=project,
        code="H-002",
        kind="non_residential",
        head_name="慈溪市红旗五金厂",
        division_code="330282",
        address="浙江省慈溪市新塘镇工业路8号",
        land_type="collective_construction",
        business_licence="91330282MA2AB3CD4E",
        tenants="王记小吃\n李氏修车",
    )
    services.member_create(
        actor=actor,
        household=h2,
        model=Building,
        number="A",
        structure_type="steel_concrete",
        use="industrial",
        floors=2,
        year_built=2006,
        measured_area=Decimal("1520.75"),
    )
    h3 = services.household_create(
        actor=actor,
        project=project,
        work_group=world.other_group,
        code="H-003",
        head_name="王德明",
        head_id_number=OTHER_HEAD,
        division_code="330282",
        address="浙江省慈溪市新塘镇红旗村五组3号",
    )
    services.member_create(
        actor=actor,
        household=h3,
        model=Person,
        name="王德明",
        id_number=OTHER_HEAD,
        relation="head",
        sex="M",
        birth_date=dt.date(1955, 1, 20),
    )
    h4 = services.household_create(
        actor=actor,
        project=project,
        code="H-004",
        kind="non_residential",
        head_name="赵军",
        head_id_number=OPERATOR,
        division_code="110105",
        address="北京市朝阳区某路1号",
    )
    services.member_create(
        actor=actor,
        household=h4,
        model=Person,
        name="赵军",
        id_number=OPERATOR,
        relation="head",
        sex="M",
        birth_date=dt.date(1981, 10, 5),
    )


def snapshot(project: Project) -> dict[str, Any]:
    """Every survey field of a project, keyed by household code, ids and times left out."""
    data: dict[str, Any] = {}
    for h in Household.objects.filter(project=project).select_related("work_group"):
        data[h.code] = {
            "household": {f: getattr(h, f) for f in services.HOUSEHOLD_FIELDS if f != "work_group"}
            | {"work_group": h.work_group.name if h.work_group else None},
            "persons": [
                {f: getattr(p, f) for f in services.PERSON_FIELDS} for p in h.persons.order_by("id")
            ],
            "buildings": [
                {f: getattr(b, f) for f in services.BUILDING_FIELDS}
                for b in h.buildings.order_by("number")
            ],
            "ancillaries": [
                {f: getattr(a, f) for f in services.ANCILLARY_FIELDS}
                for a in h.ancillaries.order_by("id")
            ],
        }
    return data


def empty_project_like(world: Any) -> Project:
    target = ProjectFactory(code="XM-C", name="丙项目")
    for name in ("第一工作组", "第二工作组"):
        WorkGroupFactory(project=target, name=name)
    grant(world.surveyor, RoleCode.SURVEYOR, target)
    return target


@pytest.mark.django_db
class TestRoundTrip:
    def test_export_then_import_gives_identical_data(self, world: Any) -> None:
        seed(world)
        out = io.BytesIO()
        counts = imports.survey_export(actor=world.surveyor, project=world.project, out=out)
        assert counts == {"households": 4, "persons": 5, "buildings": 3, "ancillaries": 2}
        target = empty_project_like(world)
        out.seek(0)
        outcome = imports.survey_import(
            actor=world.surveyor, project=target, upload=out, file_name="export.xlsx"
        )
        assert outcome.report.problems == []
        assert outcome.written == counts
        before, after = snapshot(world.project), snapshot(target)
        assert after == before
        assert len(after) == 4 and after["H-001"]["persons"][1]["special_status"] == "disabled"

    def test_the_export_is_a_workbook_others_read_as_written(self, world: Any) -> None:
        seed(world)
        Household.objects.filter(code="H-002").update(notes=" A&B <c>\x07 ")
        out = io.BytesIO()
        imports.survey_export(actor=world.surveyor, project=world.project, out=out)
        out.seek(0)
        wb = load_workbook(out)
        persons = wb["家庭成员"]
        assert persons.max_row == 6 and [c.value for c in persons[1]][:3] == [
            "户编号",
            "姓名",
            "身份证号",
        ]
        born = persons["F3"]
        assert born.value == dt.datetime(1970, 7, 1) and born.number_format == "yyyy-mm-dd"
        assert persons["C2"].value == HEAD and persons["C2"].number_format == "@"
        notes = {row[0]: row[11] for row in wb["户表"].iter_rows(min_row=2, values_only=True)}
        assert notes["H-002"] == " A&B <c> " and notes["H-001"] == "第一行\n第二行"
        assert [dv.sqref for dv in wb["房屋"].data_validations.dataValidation]
        out.seek(0)
        # The declared size is right, so that openpyxl's read-only mode reads every row.
        assert load_workbook(out, read_only=True)["房屋"].max_row == 4

    def test_the_export_is_an_audited_read_with_its_counts(self, world: Any) -> None:
        seed(world)
        imports.survey_export(actor=world.surveyor, project=world.project, out=io.BytesIO())
        event = Event.objects.get(event_type="survey.export")
        assert event.kind == EventKind.READ and event.project_id == world.project.pk
        assert event.details == {"households": 4, "persons": 5, "buildings": 3, "ancillaries": 2}

    def test_a_group_limited_surveyor_exports_only_their_groups(self, world: Any) -> None:
        seed(world)
        counts = imports.survey_export(
            actor=world.group_surveyor, project=world.project, out=io.BytesIO()
        )
        assert counts == {"households": 1, "persons": 3, "buildings": 2, "ancillaries": 2}

    def test_only_who_may_export_personal_data_exports(self, world: Any) -> None:
        for user in (world.pm, world.accountant, world.viewer, world.other_surveyor):
            with pytest.raises(AccessDenied):
                imports.survey_export(actor=user, project=world.project, out=io.BytesIO())
        imports.survey_export(actor=world.supervisor, project=world.project, out=io.BytesIO())


@pytest.mark.django_db
class TestImport:
    def upload(self, world: Any, content: io.BytesIO, name: str = "调查.xlsx") -> SurveyImport:
        data = content.getvalue()
        return imports.import_upload(
            actor=world.surveyor,
            project=world.project,
            upload=SimpleUploadedFile(name, data),
        )

    def good_and_bad(self) -> io.BytesIO:
        return workbook(
            [household("H1"), household("H2"), household("H3", phone="12")],
            [person("H1"), person("H2"), person("H3")],
            [building("H1"), building("H2", floors=0)],
        )

    def test_the_valid_households_go_in_with_one_audit_event(self, world: Any) -> None:
        content = self.good_and_bad()
        job = imports.run_validation(self.upload(world, content))
        assert job.status == SurveyImportStatus.VALIDATED and job.error_count == 2
        assert job.summary["kept_codes"] == ["H1"]
        assert [code for code, _why in job.summary["skipped"]] == ["H2", "H3"]
        assert not Household.objects.exists()
        assert imports.confirm_import(actor=world.surveyor, job=job)
        job = imports.run_import(job, expected_digest=job.summary["digest"])
        assert job.status == SurveyImportStatus.DONE
        assert list(Household.objects.values_list("code", flat=True)) == ["H1"]
        assert Person.objects.count() == 1 and Building.objects.count() == 1
        event = Event.objects.get(event_type="survey.import")
        assert event.kind == EventKind.WRITE and event.project_id == world.project.pk
        assert event.target_id == str(job.pk)
        assert event.details == {
            "file_name": "调查.xlsx",
            "sha256": hashlib.sha256(content.getvalue()).hexdigest(),
            "skipped_households": 2,
            "errors": 2,
            "households": 1,
            "persons": 1,
            "buildings": 1,
            "ancillaries": 0,
        }
        assert not Event.objects.filter(event_type__in=["household.create", "person.create"])

    def test_a_second_confirmation_imports_nothing_more(self, world: Any) -> None:
        job = imports.run_validation(self.upload(world, self.good_and_bad()))
        assert imports.confirm_import(actor=world.surveyor, job=job)
        assert not imports.confirm_import(actor=world.surveyor, job=job)

    def test_nothing_is_written_when_the_project_changed_since_the_check(self, world: Any) -> None:
        job = imports.run_validation(self.upload(world, self.good_and_bad()))
        digest = job.summary["digest"]
        Household.objects.create(
            project=world.project, code="H1", head_name="抢先", division_code="330282", address="x"
        )
        imports.confirm_import(actor=world.surveyor, job=job)
        with translation.override("en"):
            job = imports.run_import(job, expected_digest=digest)
        assert job.status == SurveyImportStatus.VALIDATED
        assert "has changed since the file was checked" in job.message
        assert job.summary["kept_codes"] == []
        assert list(Household.objects.values_list("code", flat=True)) == ["H1"]
        assert not Event.objects.filter(event_type="survey.import").exists()

    def test_a_household_saved_between_the_check_and_the_write_fails_the_import_whole(
        self, world: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        job = imports.run_validation(self.upload(world, self.good_and_bad()))
        checked = imports.Validator.run

        def check_then_someone_saves(self: imports.Validator, fileobj: Any) -> imports.Report:
            report = checked(self, fileobj)
            Household.objects.create(
                project=world.project,
                code="H1",
                head_name="抢先",
                division_code="330282",
                address="x",
            )
            return report

        monkeypatch.setattr(imports.Validator, "run", check_then_someone_saves)
        imports.confirm_import(actor=world.surveyor, job=job)
        with translation.override("en"):
            job = imports.run_import(job, expected_digest=job.summary["digest"])
        assert job.status == SurveyImportStatus.FAILED
        assert "added to the project meanwhile" in job.message
        assert Person.objects.count() == 0

    def test_a_failing_write_leaves_nothing_half_written(
        self, world: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        job = imports.run_validation(self.upload(world, self.good_and_bad()))
        imports.confirm_import(actor=world.surveyor, job=job)

        insert = imports._insert

        def broken(model: Any, *args: Any) -> int:
            if model is Building:
                raise RuntimeError("disk full")
            return insert(model, *args)

        monkeypatch.setattr(imports, "_insert", broken)
        with translation.override("en"):
            job = imports.run_import(job, expected_digest=job.summary["digest"])
        assert job.status == SurveyImportStatus.FAILED
        assert "nothing was imported" in job.message and "disk full" not in job.message
        assert not Household.objects.exists() and not Person.objects.exists()
        assert not Event.objects.filter(event_type="survey.import").exists()

    def test_a_failing_check_marks_the_import_failed(
        self, world: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(self: imports.Validator, fileobj: Any) -> imports.Report:
            raise RuntimeError("bug")

        monkeypatch.setattr(imports.Validator, "run", broken)
        job = imports.run_validation(self.upload(world, self.good_and_bad()))
        assert job.status == SurveyImportStatus.FAILED and job.finished_at is not None

    def test_the_upload_keeps_name_size_and_checksum_not_the_users_path(self, world: Any) -> None:
        content = self.good_and_bad()
        job = self.upload(world, content, name="../../etc/调查.xlsx")
        assert job.original_name == "调查.xlsx"
        assert job.size == len(content.getvalue())
        assert job.sha256 == hashlib.sha256(content.getvalue()).hexdigest()
        assert job.file.name.startswith(f"survey/imports/{world.project.pk}/")
        assert ".." not in job.file.name

    def test_an_empty_or_too_large_upload_is_refused(
        self, world: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with pytest.raises(imports.UploadRefused):
            self.upload(world, io.BytesIO(b""))
        monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 10)
        with pytest.raises(imports.UploadRefused):
            self.upload(world, self.good_and_bad())
        assert not SurveyImport.objects.exists()

    def test_only_a_surveyor_of_the_project_uploads(self, world: Any) -> None:
        for user in (world.pm, world.other_surveyor, world.supervisor):
            with pytest.raises(AccessDenied):
                imports.import_upload(
                    actor=user,
                    project=world.project,
                    upload=SimpleUploadedFile("a.xlsx", b"PK\x03\x04"),
                )

    def test_the_progress_is_stored_while_the_rows_are_read(
        self, world: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)
        seen: list[tuple[int, int]] = []
        report = imports.validate_upload(
            actor=world.surveyor,
            project=world.project,
            upload=self.good_and_bad(),
            on_progress=lambda done, total: seen.append((done, total)),
        )
        assert report.rows_read == 8
        assert seen[0] == (2, 8) and seen[-1] == (8, 8)
