"""The import and export pages: each for the valuer of the chosen firm, someone of another project
(404), the office and a valuer of another firm (403, recorded) and the wrong method (405); and
the flow from upload to import, within the request and through the background worker."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django_tasks.signals import task_enqueued
from openpyxl import load_workbook

from zhengqian.accounts.roles import RoleCode
from zhengqian.audit.models import Event, EventKind
from zhengqian.core.excel import XLSX_CONTENT_TYPE
from zhengqian.testing.factories import grant
from zhengqian.valuation import imports
from zhengqian.valuation.models import Valuation
from zhengqian.valuation.models_import import ValuationImport
from zhengqian.valuation.tests.test_import_validation import (
    ancillary,
    building,
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


def good_and_bad(chosen: Any) -> io.BytesIO:
    other = second_household(chosen)
    return workbook(
        [household("H-001"), household("H-002")],
        [
            building("H-001", "1"),
            building("H-001", "2", "40"),
            building("H-002", "1"),
            building("H-002", "2", "40", value="1"),
        ],
        [],
        [ancillary(wall(chosen.household)), ancillary(wall(other), "H-002", "1", "800")],
    )


def upload(client: Client, project_id: int, content: io.BytesIO, name: str = "评估.xlsx") -> Any:
    return client.post(
        f"/valuation/projects/{project_id}/import/",
        {"file": SimpleUploadedFile(name, content.getvalue(), content_type=XLSX_CONTENT_TYPE)},
    )


def checked_job(chosen: Any) -> ValuationImport:
    job = imports.import_upload(
        actor=chosen.valuer,
        project=chosen.project,
        upload=SimpleUploadedFile("评估.xlsx", good_and_bad(chosen).getvalue()),
    )
    return imports.run_validation(job)


def urls(chosen: Any, job: ValuationImport) -> dict[str, str]:
    base = f"/valuation/projects/{chosen.project.pk}"
    return {
        "start": f"{base}/import/",
        "detail": f"{base}/import/{job.pk}/",
        "progress": f"{base}/import/{job.pk}/progress/",
        "errors": f"{base}/import/{job.pk}/errors.xlsx",
        "confirm": f"{base}/import/{job.pk}/confirm/",
        "export": f"{base}/export.xlsx",
    }


READS = ["start", "detail", "progress", "errors", "export"]


def fetch(client: Client, name: str, url: str) -> Any:
    return client.post(url) if name == "confirm" else client.get(url)


class TestAccess:
    @pytest.mark.parametrize("name", READS)
    def test_the_valuer_of_the_chosen_firm_opens_it(
        self, chosen: Any, login: Any, name: str
    ) -> None:
        response = login(chosen.valuer).get(urls(chosen, checked_job(chosen))[name])
        assert response.status_code == 200

    @pytest.mark.parametrize("name", [*READS, "confirm"])
    def test_someone_of_another_project_gets_not_found(
        self, chosen: Any, login: Any, name: str
    ) -> None:
        url = urls(chosen, checked_job(chosen))[name]
        assert fetch(login(chosen.world.other_pm), name, url).status_code == 404
        assert Event.objects.filter(event_type="access.out_of_scope").exists()

    @pytest.mark.parametrize("name", [*READS, "confirm"])
    def test_the_office_is_refused_and_recorded(self, chosen: Any, login: Any, name: str) -> None:
        url = urls(chosen, checked_job(chosen))[name]
        assert fetch(login(chosen.pm), name, url).status_code == 403
        denied = Event.objects.get(event_type="access.denied")
        assert denied.kind == EventKind.DENIED and denied.details["module"] == "valuation"
        assert not Valuation.objects.exists()

    @pytest.mark.parametrize("name", [*READS, "confirm"])
    def test_a_valuer_of_another_firm_is_refused(self, chosen: Any, login: Any, name: str) -> None:
        grant(chosen.other_valuer, RoleCode.VALUER, chosen.project)
        url = urls(chosen, checked_job(chosen))[name]
        assert fetch(login(chosen.other_valuer), name, url).status_code == 403
        assert not Valuation.objects.exists()

    @pytest.mark.parametrize(
        ("name", "method"),
        [
            ("start", "put"),
            ("detail", "post"),
            ("progress", "post"),
            ("errors", "post"),
            ("confirm", "get"),
            ("export", "post"),
        ],
    )
    def test_the_wrong_method_is_refused(
        self, chosen: Any, login: Any, name: str, method: str
    ) -> None:
        url = urls(chosen, checked_job(chosen))[name]
        assert getattr(login(chosen.valuer), method)(url).status_code == 405

    def test_an_import_is_seen_by_its_uploader_only(self, chosen: Any, login: Any) -> None:
        from zhengqian.valuation.tests.conftest import make_valuer

        colleague = make_valuer(chosen.firm, "valuer3")
        grant(colleague, RoleCode.VALUER, chosen.project)
        url = urls(chosen, checked_job(chosen))["detail"]
        assert login(colleague).get(url).status_code == 404

    def test_an_anonymous_visitor_is_sent_to_the_login(self, chosen: Any, client: Client) -> None:
        response = client.get(f"/valuation/projects/{chosen.project.pk}/import/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class TestTheFlow:
    def test_a_small_file_is_checked_at_once_and_its_faults_shown_at_their_cells(
        self, chosen: Any, login: Any
    ) -> None:
        client = login(chosen.valuer)
        response = upload(client, chosen.project.pk, good_and_bad(chosen))
        job = ValuationImport.objects.get()
        assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/")
        assert job.status == "validated"
        body = client.get(response["Location"]).content.decode()
        assert 'data-sheet="房屋评估" data-row="5" data-column="评估价值"' in body
        assert 'data-testid="confirm-form"' in body and 'data-count="households">1<' in body
        assert 'data-code="H-002"' in body
        assert not Valuation.objects.exists()

    def test_the_errors_download_as_a_workbook(self, chosen: Any, login: Any) -> None:
        job = checked_job(chosen)
        response = login(chosen.valuer).get(urls(chosen, job)["errors"])
        assert response["Content-Type"] == XLSX_CONTENT_TYPE
        wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        errors, households = wb.worksheets
        rows = list(errors.iter_rows(min_row=2, values_only=True))
        assert [(r[0], r[1], r[2], r[3]) for r in rows] == [("房屋评估", 5, "评估价值", "H-002")]
        outcome = {r[0]: r[1] for r in households.iter_rows(min_row=2, values_only=True)}
        assert set(outcome) == {"H-001", "H-002"} and outcome["H-001"] != outcome["H-002"]

    def test_confirming_imports_the_valid_households_once(self, chosen: Any, login: Any) -> None:
        job = checked_job(chosen)
        client = login(chosen.valuer)
        response = client.post(urls(chosen, job)["confirm"], {"digest": job.summary["digest"]})
        assert response.status_code == 302
        job.refresh_from_db()
        assert job.status == "done"
        assert list(Valuation.objects.values_list("household__code", flat=True)) == ["H-001"]
        body = client.get(urls(chosen, job)["detail"]).content.decode()
        assert 'data-testid="imported-counts"' in body and 'data-testid="confirm-form"' not in body
        # A second confirmation (a double click) imports nothing more.
        client.post(urls(chosen, job)["confirm"], {"digest": job.summary["digest"]})
        assert Event.objects.filter(event_type="valuation.import").count() == 1

    def test_a_large_file_is_checked_and_imported_by_the_worker(
        self,
        chosen: Any,
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
        client = login(chosen.valuer)
        upload(client, chosen.project.pk, content)
        job = ValuationImport.objects.get()
        assert job.status == "validated" and job.error_count == 0
        assert job.processed_rows == job.total_rows == 8
        client.post(urls(chosen, job)["confirm"], {"digest": job.summary["digest"]})
        job.refresh_from_db()
        assert enqueued == ["validate_valuation_import", "import_valuations"]
        assert job.status == "done" and Valuation.objects.count() == 2

    def test_the_progress_bar_polls_while_running_and_reloads_the_page_when_done(
        self, chosen: Any, login: Any
    ) -> None:
        job = checked_job(chosen)
        ValuationImport.objects.filter(pk=job.pk).update(
            status="validating", processed_rows=4, total_rows=8
        )
        client = login(chosen.valuer)
        running = client.get(urls(chosen, job)["progress"], HTTP_HX_REQUEST="true")
        body = running.content.decode()
        assert 'hx-trigger="every 1s"' in body and "width: 50%" in body
        assert urls(chosen, job)["progress"] in body
        assert "<html" not in body and "HX-Refresh" not in running
        page = client.get(urls(chosen, job)["detail"]).content.decode()
        assert 'data-testid="import-progress"' in page and 'hx-trigger="every 1s"' in page
        ValuationImport.objects.filter(pk=job.pk).update(status="validated")
        done = client.get(urls(chosen, job)["progress"], HTTP_HX_REQUEST="true")
        assert done["HX-Refresh"] == "true" and "every 1s" not in done.content.decode()

    def test_an_upload_over_the_size_limit_is_refused_at_the_form(
        self, chosen: Any, login: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 100)
        response = upload(login(chosen.valuer), chosen.project.pk, good_and_bad(chosen))
        assert response.status_code == 400
        assert 'data-field-error="file"' in response.content.decode()
        assert not ValuationImport.objects.exists()

    def test_a_file_that_is_not_a_workbook_gets_a_clear_message(
        self, chosen: Any, login: Any
    ) -> None:
        client = login(chosen.valuer)
        response = upload(client, chosen.project.pk, io.BytesIO(b"code,value\n"), name="a.csv")
        body = client.get(response["Location"]).content.decode()
        assert 'data-testid="fatal"' in body and "Traceback" not in body
        assert 'data-testid="confirm-form"' not in body

    def test_the_start_page_links_the_workbook_and_lists_the_recent_imports(
        self, chosen: Any, login: Any
    ) -> None:
        job = checked_job(chosen)
        body = login(chosen.valuer).get(urls(chosen, job)["start"]).content.decode()
        assert f"/import/{job.pk}/" in body and 'data-testid="export-link"' in body

    def test_the_export_downloads_the_workbook_to_fill_in(self, chosen: Any, login: Any) -> None:
        response = login(chosen.valuer).get(urls(chosen, checked_job(chosen))["export"])
        assert response["Content-Type"] == XLSX_CONTENT_TYPE
        assert "attachment" in response["Content-Disposition"]
        wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        assert [r[0] for r in wb["户评估"].iter_rows(min_row=2, values_only=True)] == [
            "H-001",
            "H-002",
        ]
        assert Event.objects.get(event_type="valuation.export").details["households"] == 2

    def test_an_unreachable_worker_fails_the_import_instead_of_leaving_it_waiting(
        self, chosen: Any, login: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(imports, "SYNC_MAX_HOUSEHOLDS", 1)
        settings.TASKS = {"default": {"BACKEND": "zhengqian.nowhere.Backend"}}
        upload(login(chosen.valuer), chosen.project.pk, good_and_bad(chosen))
        job = ValuationImport.objects.get()
        assert job.status == "failed" and job.message and not job.is_running
