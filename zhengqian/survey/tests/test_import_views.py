"""The import and export pages: each for the surveyor, another project's surveyor (404), a role
without the right (403, recorded) and the wrong method (405); and the flow from upload to import,
within the request and through the background worker."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tasks.signals import task_enqueued
from openpyxl import load_workbook

from zhengqian.audit.models import Event, EventKind
from zhengqian.survey import excel, imports
from zhengqian.survey.models import Household, Person, SurveyImport, SurveyImportStatus
from zhengqian.survey.tests.test_import_validation import building, household, person, workbook

XLSX = excel.XLSX_CONTENT_TYPE


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def good_and_bad() -> io.BytesIO:
    return workbook(
        [household("H1"), household("H2"), household("H3", phone="12")],
        [person("H1"), person("H2"), person("H3")],
        [building("H1"), building("H2", floors=0)],
    )


def upload(client: Client, project_id: int, content: io.BytesIO, name: str = "调查.xlsx") -> Any:
    return client.post(
        f"/survey/projects/{project_id}/import/",
        {"file": SimpleUploadedFile(name, content.getvalue(), content_type=XLSX)},
    )


def checked_job(world: Any) -> SurveyImport:
    job = imports.import_upload(
        actor=world.surveyor,
        project=world.project,
        upload=SimpleUploadedFile("调查.xlsx", good_and_bad().getvalue()),
    )
    return imports.run_validation(job)


def urls(world: Any, job: SurveyImport) -> dict[str, str]:
    base = f"/survey/projects/{world.project.pk}"
    return {
        "start": f"{base}/import/",
        "template": f"{base}/import/template.xlsx",
        "detail": f"{base}/import/{job.pk}/",
        "progress": f"{base}/import/{job.pk}/progress/",
        "errors": f"{base}/import/{job.pk}/errors.xlsx",
        "confirm": f"{base}/import/{job.pk}/confirm/",
        "export": f"{base}/export.xlsx",
    }


READS = ["start", "template", "detail", "progress", "errors", "export"]


@pytest.mark.django_db
class TestAccess:
    @pytest.mark.parametrize("name", READS)
    def test_the_surveyor_opens_it(self, world: Any, login: Any, name: str) -> None:
        response = login(world.surveyor).get(urls(world, checked_job(world))[name])
        assert response.status_code == 200

    @pytest.mark.parametrize("name", [*READS, "confirm"])
    def test_another_projects_surveyor_gets_not_found(
        self, world: Any, login: Any, name: str
    ) -> None:
        url = urls(world, checked_job(world))[name]
        client = login(world.other_surveyor)
        response = client.post(url) if name == "confirm" else client.get(url)
        assert response.status_code == 404
        assert Event.objects.filter(event_type="access.out_of_scope").exists()

    @pytest.mark.parametrize("name", [*READS, "confirm"])
    def test_a_role_without_the_right_is_refused_and_recorded(
        self, world: Any, login: Any, name: str
    ) -> None:
        url = urls(world, checked_job(world))[name]
        client = login(world.accountant)
        response = client.post(url) if name == "confirm" else client.get(url)
        assert response.status_code == 403
        denied = Event.objects.get(event_type="access.denied")
        assert denied.kind == EventKind.DENIED and denied.details["module"] == "survey"
        assert not Household.objects.exists()

    @pytest.mark.parametrize(
        ("name", "method"),
        [
            ("start", "put"),
            ("template", "post"),
            ("detail", "post"),
            ("progress", "post"),
            ("errors", "post"),
            ("confirm", "get"),
            ("export", "post"),
        ],
    )
    def test_the_wrong_method_is_refused(
        self, world: Any, login: Any, name: str, method: str
    ) -> None:
        url = urls(world, checked_job(world))[name]
        assert getattr(login(world.surveyor), method)(url).status_code == 405

    def test_an_import_is_seen_by_its_uploader_only(self, world: Any, login: Any) -> None:
        from zhengqian.accounts.roles import RoleCode
        from zhengqian.testing.factories import UserFactory, grant

        colleague = UserFactory(username="colleague")
        grant(colleague, RoleCode.SURVEYOR, world.project)
        assert login(colleague).get(urls(world, checked_job(world))["detail"]).status_code == 404

    def test_an_anonymous_visitor_is_sent_to_the_login(self, world: Any, client: Client) -> None:
        response = client.get(f"/survey/projects/{world.project.pk}/import/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
class TestTheFlow:
    def test_a_small_file_is_checked_at_once_and_its_faults_shown_at_their_cells(
        self, world: Any, login: Any
    ) -> None:
        client = login(world.surveyor)
        response = upload(client, world.project.pk, good_and_bad())
        job = SurveyImport.objects.get()
        assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/")
        assert job.status == SurveyImportStatus.VALIDATED
        body = client.get(response["Location"]).content.decode()
        assert 'data-sheet="户表" data-row="4" data-column="联系电话"' in body
        assert 'data-sheet="房屋" data-row="3" data-column="层数"' in body
        assert 'data-testid="confirm-form"' in body and 'data-count="households">1<' in body
        assert 'data-code="H2"' in body and 'data-code="H3"' in body
        assert not Household.objects.exists()

    def test_the_errors_download_as_a_workbook(self, world: Any, login: Any) -> None:
        job = checked_job(world)
        response = login(world.surveyor).get(urls(world, job)["errors"])
        assert response["Content-Type"] == XLSX
        wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        errors, households = wb.worksheets
        rows = list(errors.iter_rows(min_row=2, values_only=True))
        assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
            ("户表", 4, "联系电话", "H3"),
            ("房屋", 3, "层数", "H2"),
        ]
        outcome = {r[0]: r[1] for r in households.iter_rows(min_row=2, values_only=True)}
        assert set(outcome) == {"H1", "H2", "H3"}
        assert outcome["H1"] != outcome["H2"] == outcome["H3"]

    def test_confirming_imports_the_valid_households(self, world: Any, login: Any) -> None:
        job = checked_job(world)
        client = login(world.surveyor)
        response = client.post(urls(world, job)["confirm"], {"digest": job.summary["digest"]})
        assert response.status_code == 302
        job.refresh_from_db()
        assert job.status == SurveyImportStatus.DONE
        assert list(Household.objects.values_list("code", flat=True)) == ["H1"]
        body = client.get(urls(world, job)["detail"]).content.decode()
        assert 'data-testid="imported-counts"' in body and 'data-testid="confirm-form"' not in body
        # A second confirmation (a double click) imports nothing more.
        client.post(urls(world, job)["confirm"], {"digest": job.summary["digest"]})
        assert Household.objects.count() == 1
        assert Event.objects.filter(event_type="survey.import").count() == 1

    def test_a_confirmation_of_another_check_writes_nothing(self, world: Any, login: Any) -> None:
        job = checked_job(world)
        login(world.surveyor).post(urls(world, job)["confirm"], {"digest": "0" * 64})
        job.refresh_from_db()
        assert job.status == SurveyImportStatus.VALIDATED and job.message
        assert not Household.objects.exists()

    def test_a_large_file_is_checked_and_imported_by_the_worker(
        self,
        world: Any,
        login: Any,
        monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest,
    ) -> None:
        monkeypatch.setattr(imports, "SYNC_MAX_HOUSEHOLDS", 1)
        enqueued: list[str] = []

        def seen(sender: Any, task_result: Any, **kwargs: Any) -> None:
            enqueued.append(task_result.task.name)

        task_enqueued.connect(seen)
        request.addfinalizer(lambda: task_enqueued.disconnect(seen))
        client = login(world.surveyor)
        content = workbook(
            [household("H1"), household("H2")], [person("H1"), person("H2")], [building("H1")]
        )
        upload(client, world.project.pk, content)
        job = SurveyImport.objects.get()
        assert job.status == SurveyImportStatus.VALIDATED and job.error_count == 0
        assert job.processed_rows == job.total_rows == 5
        client.post(urls(world, job)["confirm"], {"digest": job.summary["digest"]})
        job.refresh_from_db()
        assert enqueued == ["validate_survey_import", "import_survey"]
        assert job.status == SurveyImportStatus.DONE
        assert Household.objects.count() == 2 and Person.objects.count() == 2

    def test_the_progress_bar_polls_while_running_and_reloads_the_page_when_done(
        self, world: Any, login: Any
    ) -> None:
        job = checked_job(world)
        SurveyImport.objects.filter(pk=job.pk).update(
            status=SurveyImportStatus.VALIDATING, processed_rows=4, total_rows=8
        )
        client = login(world.surveyor)
        running = client.get(urls(world, job)["progress"], HTTP_HX_REQUEST="true")
        body = running.content.decode()
        assert 'hx-trigger="every 1s"' in body and "width: 50%" in body
        assert "<html" not in body and "HX-Refresh" not in running
        page = client.get(urls(world, job)["detail"]).content.decode()
        assert 'data-testid="import-progress"' in page and 'hx-trigger="every 1s"' in page
        SurveyImport.objects.filter(pk=job.pk).update(status=SurveyImportStatus.VALIDATED)
        done = client.get(urls(world, job)["progress"], HTTP_HX_REQUEST="true")
        assert done["HX-Refresh"] == "true" and "every 1s" not in done.content.decode()

    def test_an_upload_over_the_size_limit_is_refused_at_the_form(
        self, world: Any, login: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 100)
        response = upload(login(world.surveyor), world.project.pk, good_and_bad())
        assert (
            response.status_code == 400 and 'data-field-error="file"' in response.content.decode()
        )
        assert not SurveyImport.objects.exists()

    def test_a_file_that_is_not_a_workbook_gets_a_clear_message(
        self, world: Any, login: Any
    ) -> None:
        client = login(world.surveyor)
        response = upload(client, world.project.pk, io.BytesIO(b"name,id\n"), name="a.csv")
        body = client.get(response["Location"]).content.decode()
        assert 'data-testid="fatal"' in body and "Traceback" not in body
        assert 'data-testid="confirm-form"' not in body

    def test_the_template_downloads_with_the_projects_work_groups(
        self, world: Any, login: Any
    ) -> None:
        response = login(world.surveyor).get(urls(world, checked_job(world))["template"])
        assert response["Content-Type"] == XLSX
        assert "attachment" in response["Content-Disposition"]
        wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        groups = [row[3] for row in wb[excel.LISTS_TITLE].iter_rows(min_row=2, values_only=True)]
        assert [g for g in groups if g] == ["第一工作组", "第二工作组"]

    def test_the_export_downloads_and_is_recorded(self, world: Any, login: Any) -> None:
        Household.objects.create(
            project=world.project, code="E1", head_name="甲", division_code="330282", address="x"
        )
        response = login(world.surveyor).get(urls(world, checked_job(world))["export"])
        assert response["Content-Type"] == XLSX
        wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        assert [r[0] for r in wb["户表"].iter_rows(min_row=2, values_only=True)] == ["E1"]
        assert Event.objects.get(event_type="survey.export").details["households"] == 1

    def test_the_start_page_lists_the_users_recent_imports(self, world: Any, login: Any) -> None:
        job = checked_job(world)
        body = login(world.surveyor).get(urls(world, job)["start"]).content.decode()
        assert f"/import/{job.pk}/" in body and 'data-testid="export-link"' in body

    def test_an_unreachable_worker_fails_the_import_instead_of_leaving_it_waiting(
        self, world: Any, login: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(imports, "SYNC_MAX_HOUSEHOLDS", 1)
        settings.TASKS = {"default": {"BACKEND": "zhengqian.nowhere.Backend"}}
        upload(login(world.surveyor), world.project.pk, good_and_bad())
        job = SurveyImport.objects.get()
        assert job.status == SurveyImportStatus.FAILED and job.message
        assert not job.is_running
