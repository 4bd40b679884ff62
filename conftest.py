"""Shared personas for the whole suite: people in one project, another project, and none."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from zhengqian.accounts.roles import RoleCode
from zhengqian.testing.factories import (
    PASSWORD,
    ProjectFactory,
    UserFactory,
    WorkGroupFactory,
    grant,
)


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings):  # type: ignore[no-untyped-def]
    """Jobs run inline in tests; the real worker is exercised by its own test."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _office_language():  # type: ignore[no-untyped-def]
    """Every test starts in the office's language: a request in another language (the language
    cookie) activates it for the thread, and would otherwise leak into the tests after it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _uses_transactional_db(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


def _reference_data_present() -> None:
    """A transactional test's flush also removes what the data migrations loaded (the
    permission matrix, dictionaries, holiday calendar); put it back for the tests after it."""
    from zhengqian.accounts.models import RolePermission
    from zhengqian.core.reference import load_all

    if not RolePermission.objects.exists():
        load_all()


@pytest.fixture(autouse=True)
def _audit_append_only_triggers(request):  # type: ignore[no-untyped-def]
    """The audit table refuses DELETE at the database, so a transactional test could not be
    flushed: such tests switch the triggers off after they ran (the flush follows), and every
    database test makes sure they are on, and the reference data there, before it runs."""
    transactional = _uses_transactional_db(request)
    if (
        not transactional
        and request.node.get_closest_marker("django_db") is None
        and not ({"db", "world"} & set(request.fixturenames))
    ):
        yield
        return
    from zhengqian.audit.tests.tampering import disable_triggers, enable_triggers

    request.getfixturevalue("transactional_db" if transactional else "db")
    enable_triggers()
    _reference_data_present()
    yield
    if transactional:
        disable_triggers()


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    """Project A with its staff, project B with its own, a supervisor, an admin, an outsider."""
    project = ProjectFactory(code="XM-A", name="甲项目")
    other_project = ProjectFactory(code="XM-B", name="乙项目")
    group = WorkGroupFactory(project=project, name="第一工作组")
    other_group = WorkGroupFactory(project=project, name="第二工作组")
    people = {}
    for name, role, proj in [
        ("admin", RoleCode.ADMIN, None),
        ("pm", RoleCode.PROJECT_MANAGER, project),
        ("surveyor", RoleCode.SURVEYOR, project),
        ("accountant", RoleCode.ACCOUNTANT, project),
        ("viewer", RoleCode.VIEWER, project),
        ("other_pm", RoleCode.PROJECT_MANAGER, other_project),
        ("other_surveyor", RoleCode.SURVEYOR, other_project),
        ("supervisor", RoleCode.SUPERVISOR, None),
    ]:
        user = UserFactory(username=name)
        grant(user, role, proj)
        people[name] = user
    people["outsider"] = UserFactory(username="outsider")
    grouped = UserFactory(username="group_surveyor")
    grant(grouped, RoleCode.SURVEYOR, project, work_groups=[group])
    people["group_surveyor"] = grouped
    return SimpleNamespace(
        project=project,
        other_project=other_project,
        group=group,
        other_group=other_group,
        password=PASSWORD,
        **people,
    )


@pytest.fixture
def login(client):  # type: ignore[no-untyped-def]
    def _login(user):  # type: ignore[no-untyped-def]
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login
