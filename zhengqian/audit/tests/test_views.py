from __future__ import annotations

import pytest

from zhengqian.audit.models import ChainVerification, Event
from zhengqian.projects import services as project_services


@pytest.mark.django_db
class TestTrail:
    def test_a_supervisor_finds_writes_with_old_and_new_values(self, world, login):  # type: ignore[no-untyped-def]
        project_services.work_group_update(actor=world.pm, group=world.group, name="改名组")
        c = login(world.supervisor)
        body = c.get(
            f"/audit/?actor=pm&project={world.project.pk}&event_type=work_group"
        ).content.decode()
        assert "work_group.update" in body
        event = Event.objects.get(event_type="work_group.update")
        detail = c.get(f"/audit/events/{event.pk}/").content.decode()
        assert "第一工作组" in detail and "改名组" in detail

    def test_filters_by_kind_record_and_time(self, world, login):  # type: ignore[no-untyped-def]
        project_services.work_group_update(actor=world.pm, group=world.group, name="改名组")
        c = login(world.supervisor)
        body = c.get(
            f"/audit/?target_type=projects.workgroup&target_id={world.group.pk}&kind=write"
            "&since=2000-01-01&until=2100-01-01"
        ).content.decode()
        assert "work_group.update" in body
        assert "work_group.update" not in c.get("/audit/?since=2100-01-01").content.decode()

    def test_each_search_of_the_trail_is_itself_recorded(self, world, login):  # type: ignore[no-untyped-def]
        login(world.supervisor).get("/audit/?actor=pm")
        event = Event.objects.get(event_type="audit.search")
        assert event.details["query"] == {"actor": "pm"}

    def test_a_bad_date_range_is_shown_at_the_field(self, world, login):  # type: ignore[no-untyped-def]
        r = login(world.supervisor).get("/audit/?since=2026-05-01&until=2026-04-01")
        assert r.status_code == 400 and "is-invalid" in r.content.decode()

    def test_the_htmx_request_gets_the_rows_only(self, world, login):  # type: ignore[no-untyped-def]
        r = login(world.supervisor).get("/audit/?kind=auth", HTTP_HX_REQUEST="true")
        assert "<html" not in r.content.decode() and 'data-testid="trail"' in r.content.decode()

    def test_nobody_but_the_supervisor_opens_the_trail(self, world, login):  # type: ignore[no-untyped-def]
        for user in (world.admin, world.pm, world.outsider):
            assert login(user).get("/audit/").status_code == 403
        assert (
            Event.objects.filter(event_type="access.denied", details__module="audit").count() == 3
        )

    def test_the_chain_check_runs_as_a_job_and_stores_its_result(
        self, world, login, django_capture_on_commit_callbacks
    ):  # type: ignore[no-untyped-def]
        project_services.work_group_update(actor=world.pm, group=world.group, name="改名组")
        c = login(world.supervisor)
        with django_capture_on_commit_callbacks(execute=True):
            r = c.post("/audit/verify/")
        assert r.status_code == 302
        verification = ChainVerification.objects.get()
        assert verification.ok is True and verification.checked >= 2

    def test_verify_needs_post(self, world, login):  # type: ignore[no-untyped-def]
        assert login(world.supervisor).get("/audit/verify/").status_code == 405


@pytest.mark.django_db
def test_the_client_address_comes_from_the_proxy_header_only_when_trusted(settings, client, world):  # type: ignore[no-untyped-def]
    client.post(
        "/accounts/login/",
        {"username": "pm", "password": world.password},
        HTTP_X_FORWARDED_FOR="10.1.2.3, 127.0.0.1",
    )
    assert Event.objects.get(event_type="auth.login").ip_address == "127.0.0.1"
    client.post("/accounts/logout/")
    settings.ZQ_TRUST_X_FORWARDED_FOR = True
    client.post(
        "/accounts/login/",
        {"username": "pm", "password": world.password},
        HTTP_X_FORWARDED_FOR="10.1.2.3, 127.0.0.1",
    )
    assert (
        Event.objects.filter(event_type="auth.login").order_by("-seq")[0].ip_address == "10.1.2.3"
    )
