"""A project manager's first minutes in the system, a locked account, and the supervisor's look at
the trail — through the real login form in headless Chromium.

Expected texts are taken from the translation catalogue (what Django itself would show in that
language), so the tests check the Chinese UI once it is compiled and still hold before.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from tests.browser.pages import AuditTrailPage, HomePage, LoginPage, ProjectListPage
from zhengqian.audit.models import Event
from zhengqian.projects.models import Milestone

# The live server answers from its own thread: real transactions, and the reference data loaded by
# migrations (permissions, holiday calendar) restored before each test.
pytestmark = pytest.mark.django_db(transaction=True)


def translated(text: str, language: str) -> str:
    with translation.override(language):
        return gettext(text)


def log_in(page: Any, base_url: str, username: str, password: str) -> HomePage:
    login = LoginPage(page, base_url).open()
    login.log_in(username, password)
    home = HomePage(page, base_url)
    expect(home.current_user).to_contain_text(username)
    return home


@pytest.mark.browser
def test_a_project_manager_logs_in_sees_only_their_project_and_records_the_first_milestone(
    world: SimpleNamespace, page: Any, base_url: str, screenshots: Path
) -> None:
    login = LoginPage(page, base_url).open()
    expect(login.html).to_have_attribute("lang", "zh-hans")
    expect(login.submit_button).to_have_text(translated("Log in", "zh-hans"))
    login.screenshot(screenshots / "login.png")

    login.log_in("pm", world.password)

    home = HomePage(page, base_url)
    expect(home.current_user).to_contain_text("pm")
    expect(home.project_list).to_be_visible()
    expect(home.project_link(world.project.name)).to_be_visible()
    expect(home.project_list).not_to_contain_text(world.other_project.name)
    expect(home.project_list).not_to_contain_text(world.other_project.code)
    home.screenshot(screenshots / "home.png")

    project = home.open_project(world.project.name)
    expect(project.title).to_contain_text(world.project.code)
    expect(project.milestones).to_be_visible()
    expect(project.milestone("survey")).to_contain_text("—")

    surveyed_on = timezone.localdate() - dt.timedelta(days=7)
    project.record_milestone("survey", surveyed_on, note="征调〔2026〕1号")

    expect(project.milestone("survey")).to_contain_text(f"✓ {surveyed_on.isoformat()}")
    expect(project.milestone("survey")).to_contain_text("征调〔2026〕1号")
    expect(project.alerts.first).to_be_visible()
    survey = Milestone.objects.get(project=world.project, code="survey")
    assert survey.actual_date == surveyed_on
    assert survey.recorded_by == world.pm
    project.screenshot(screenshots / "project.png")


@pytest.mark.browser
def test_a_milestone_recorded_out_of_order_is_refused_at_the_field(
    world: SimpleNamespace, page: Any, base_url: str, screenshots: Path
) -> None:
    home = log_in(page, base_url, "pm", world.password)
    project = home.open_project(world.project.name)

    # Publishing the compensation plan before it has been drafted is out of order.
    project.record_milestone("plan_published", timezone.localdate() - dt.timedelta(days=1))

    error = project.field_error("plan_published")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(
        project.milestone("plan_published").locator("input[name=actual_date]")
    ).to_have_attribute("aria-invalid", "true")
    assert Milestone.objects.get(project=world.project, code="plan_published").actual_date is None
    assert not Event.objects.filter(event_type="milestone.record").exists()
    project.screenshot(screenshots / "milestone-refused.png")


@pytest.mark.browser
def test_five_wrong_passwords_lock_the_account(
    world: SimpleNamespace, page: Any, base_url: str, screenshots: Path
) -> None:
    login = LoginPage(page, base_url)
    for attempt in range(1, 5):
        login.open().log_in("pm", f"wrong-password-{attempt}")
        expect(login.error).to_be_visible()
        expect(login.locked_out).to_have_count(0)
    login.open().log_in("pm", "wrong-password-5")

    login.open().log_in("pm", world.password)

    expect(login.locked_out).to_be_visible()
    expect(login.current_user).to_have_count(0)
    assert AccessAttempt.objects.filter(username="pm").get().failures_since_start >= 5
    assert Event.objects.filter(event_type="auth.locked_out", actor_name="pm").exists()
    assert not Event.objects.filter(event_type="auth.login", actor_name="pm").exists()
    login.screenshot(screenshots / "locked-out.png")


@pytest.mark.browser
def test_a_supervisor_finds_the_project_managers_logins_in_the_audit_trail(
    world: SimpleNamespace, open_page: Any, base_url: str, screenshots: Path
) -> None:
    pm_home = log_in(open_page(), base_url, "pm", world.password)
    pm_home.log_out()

    supervisor_home = log_in(open_page(), base_url, "supervisor", world.password)
    with supervisor_home.page.expect_navigation():
        supervisor_home.nav_link("audit").click()
    trail = AuditTrailPage(supervisor_home.page, base_url)
    expect(trail.trail).to_be_visible()
    # Unfiltered, the supervisor's own login is there too.
    expect(trail.trail).to_contain_text("supervisor")

    trail.filter_by_user("pm")

    expect(trail.rows.first).to_be_visible()
    assert set(trail.users()) == {"pm"}
    assert "auth.login" in trail.event_types()
    assert "auth.logout" in trail.event_types()
    assert Event.objects.filter(event_type="audit.search", actor_name="supervisor").exists()
    trail.screenshot(screenshots / "audit-trail.png")


@pytest.mark.browser
def test_the_language_switch_changes_the_ui_to_english_and_back(
    world: SimpleNamespace, page: Any, base_url: str, screenshots: Path
) -> None:
    home = log_in(page, base_url, "pm", world.password)
    expect(home.html).to_have_attribute("lang", "zh-hans")
    expect(home.log_out_button).to_have_text(translated("Log out", "zh-hans"))

    home.switch_language("en")

    expect(home.html).to_have_attribute("lang", "en")
    expect(home.language_select).to_have_value("en")
    expect(home.log_out_button).to_have_text("Log out")
    expect(home.project_list).to_be_visible()
    # The choice holds on the next page too.
    projects = ProjectListPage(page, base_url).open()
    expect(projects.html).to_have_attribute("lang", "en")
    projects.screenshot(screenshots / "projects-en.png")

    projects.switch_language("zh-hans")

    expect(projects.html).to_have_attribute("lang", "zh-hans")
    expect(projects.language_select).to_have_value("zh-hans")
    expect(projects.log_out_button).to_have_text(translated("Log out", "zh-hans"))
