"""Every role × module × action, in its own project, in another project, and with no role.

The expectations below are written out independently of the seeded matrix, as the rules of
DESIGN.md §5 say them, so that a wrong seed or a wrong check fails here.
"""

from __future__ import annotations

import itertools

import pytest

from zhengqian.accounts.permissions import has_perm, has_perm_anywhere
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.testing.factories import ProjectFactory, UserFactory, grant

BUSINESS = {
    Module.SURVEY,
    Module.OWNERSHIP,
    Module.VALUATION,
    Module.COMPENSATION,
    Module.AGREEMENTS,
    Module.PAYMENTS,
    Module.DEMOLITION,
    Module.RESETTLEMENT,
    Module.HOLDOUTS,
    Module.ARCHIVES,
}
WRITES = {Action.CREATE, Action.CHANGE, Action.DELETE}
OWN_MODULE = {
    RoleCode.SURVEYOR: Module.SURVEY,
    RoleCode.OWNERSHIP_OFFICER: Module.OWNERSHIP,
    RoleCode.VALUER: Module.VALUATION,
    RoleCode.ACCOUNTANT: Module.COMPENSATION,
    RoleCode.SIGNING_OFFICER: Module.AGREEMENTS,
    RoleCode.FINANCE_OFFICER: Module.PAYMENTS,
    RoleCode.DEMOLITION_OFFICER: Module.DEMOLITION,
    RoleCode.RESETTLEMENT_OFFICER: Module.RESETTLEMENT,
    RoleCode.ARCHIVIST: Module.ARCHIVES,
}
PERSONAL_DATA_ROLES = {
    RoleCode.SURVEYOR: {Module.SURVEY},
    RoleCode.OWNERSHIP_OFFICER: {Module.SURVEY, Module.OWNERSHIP},
    RoleCode.SIGNING_OFFICER: {Module.AGREEMENTS, Module.HOLDOUTS},
    # The manager approves voiding and keeps the templates: agreements carry unmasked data.
    RoleCode.PROJECT_MANAGER: {Module.AGREEMENTS, Module.HOLDOUTS},
    RoleCode.FINANCE_OFFICER: {Module.PAYMENTS},
    RoleCode.RESETTLEMENT_OFFICER: {Module.RESETTLEMENT},
    RoleCode.SUPERVISOR: BUSINESS | {Module.PROJECTS, Module.DASHBOARD},
}


def expected(role: RoleCode, module: Module, action: Action) -> bool:
    if role == RoleCode.ADMIN:
        return module in (Module.ACCOUNTS, Module.DICTIONARIES) and action in (
            Action.VIEW,
            Action.CREATE,
            Action.CHANGE,
        )
    if module in (Module.ACCOUNTS, Module.DICTIONARIES):
        return False
    if module == Module.AUDIT:
        return role == RoleCode.SUPERVISOR and action in (Action.VIEW, Action.EXPORT)
    if action == Action.VIEW_PERSONAL:
        return module in PERSONAL_DATA_ROLES.get(role, set())
    if role == RoleCode.SUPERVISOR:
        return action in (Action.VIEW, Action.EXPORT) and module != Module.AUDIT
    if action == Action.VIEW:
        if module in (Module.PROJECTS, Module.DASHBOARD):
            return True
        if role == RoleCode.VIEWER:
            return False
        if role == RoleCode.VALUER:
            return module in (Module.SURVEY, Module.OWNERSHIP, Module.VALUATION)
        return module in BUSINESS
    if module == Module.PROJECTS:
        return role == RoleCode.PROJECT_MANAGER and action in (Action.CREATE, Action.CHANGE)
    if module == Module.DASHBOARD:
        return action == Action.EXPORT and role in (RoleCode.PROJECT_MANAGER, RoleCode.LEADER)
    if (role, module, action) == (RoleCode.SIGNING_OFFICER, Module.PAYMENTS, Action.CREATE):
        return True  # the handler asks for an instalment's payment
    if module == Module.HOLDOUTS and action in (Action.CREATE, Action.CHANGE):
        # The project manager leads holdout clearance, signing officers keep the case files.
        return role in (RoleCode.PROJECT_MANAGER, RoleCode.SIGNING_OFFICER)
    if action in WRITES or action == Action.EXPORT:
        return OWN_MODULE.get(role) == module
    if action == Action.REVIEW:
        return (role, module) in {
            (RoleCode.ACCOUNTANT, Module.COMPENSATION),
            (RoleCode.POLICY_REVIEWER, Module.COMPENSATION),
            (RoleCode.PROJECT_MANAGER, Module.VALUATION),
        }
    if action == Action.APPROVE:
        return (role, module) in {
            (RoleCode.LEADER, Module.COMPENSATION),
            (RoleCode.PROJECT_MANAGER, Module.OWNERSHIP),
            (RoleCode.PROJECT_MANAGER, Module.VALUATION),
            (RoleCode.PROJECT_MANAGER, Module.AGREEMENTS),
            (RoleCode.FINANCE_OFFICER, Module.PAYMENTS),
            (RoleCode.PROJECT_MANAGER, Module.HOLDOUTS),
        }
    return False


@pytest.fixture
def two_projects(db):  # type: ignore[no-untyped-def]
    return ProjectFactory(code="MAT-A"), ProjectFactory(code="MAT-B")


@pytest.mark.parametrize("role", [r for r in RoleCode if r != RoleCode.ADMIN])
def test_each_project_role_gets_exactly_its_cells_in_its_project_and_none_in_another(
    two_projects, role
):  # type: ignore[no-untyped-def]
    own, other = two_projects
    user = UserFactory(username=f"m-{role}")
    grant(user, role, own)
    mismatches = []
    for module, action in itertools.product(Module, Action):
        want = expected(role, module, action)
        got_own = has_perm(user, module, action, project=own)
        got_other = has_perm(user, module, action, project=other)
        if got_own != want:
            mismatches.append(f"{module}/{action} in own project: got {got_own}, want {want}")
        if got_other:
            mismatches.append(f"{module}/{action} allowed in another project")
    assert not mismatches, "\n".join(mismatches)


def test_the_administrator_keeps_accounts_and_dictionaries_and_no_business_data(two_projects):  # type: ignore[no-untyped-def]
    own, _other = two_projects
    admin = UserFactory(username="m-admin")
    grant(admin, RoleCode.ADMIN, None)
    for module, action in itertools.product(Module, Action):
        want = expected(RoleCode.ADMIN, module, action)
        assert has_perm(admin, module, action) == want, (module, action)
        if module not in (Module.ACCOUNTS, Module.DICTIONARIES):
            assert not has_perm(admin, module, action, project=own), (module, action)


def test_a_system_wide_supervisor_reads_every_project_and_writes_nothing(two_projects):  # type: ignore[no-untyped-def]
    own, other = two_projects
    supervisor = UserFactory(username="m-sup")
    grant(supervisor, RoleCode.SUPERVISOR, None)
    for project in (own, other):
        for module, action in itertools.product(Module, Action):
            got = has_perm(supervisor, module, action, project=project)
            assert got == expected(RoleCode.SUPERVISOR, module, action), (module, action)
            if action in WRITES | {Action.REVIEW, Action.APPROVE}:
                assert not got


def test_a_user_without_any_role_may_do_nothing_anywhere(two_projects):  # type: ignore[no-untyped-def]
    own, _other = two_projects
    nobody = UserFactory(username="m-nobody")
    for module, action in itertools.product(Module, Action):
        assert not has_perm(nobody, module, action)
        assert not has_perm(nobody, module, action, project=own)
        assert not has_perm_anywhere(nobody, module, action)


def test_a_disabled_user_loses_every_right(two_projects):  # type: ignore[no-untyped-def]
    own, _other = two_projects
    user = UserFactory(username="m-disabled", is_active=False)
    grant(user, RoleCode.PROJECT_MANAGER, own)
    assert not has_perm(user, Module.PROJECTS, Action.VIEW, project=own)


def test_a_work_group_scope_limits_the_role_to_those_groups(world):  # type: ignore[no-untyped-def]
    user = world.group_surveyor
    assert has_perm(
        user, Module.SURVEY, Action.CHANGE, project=world.project, work_group=world.group
    )
    assert not has_perm(
        user, Module.SURVEY, Action.CHANGE, project=world.project, work_group=world.other_group
    )
    # The project as a whole stays visible to them.
    assert has_perm(user, Module.PROJECTS, Action.VIEW, project=world.project)


def test_holding_a_role_follows_project_and_work_groups(world):  # type: ignore[no-untyped-def]
    from zhengqian.accounts.permissions import holds_role

    user = world.group_surveyor  # a surveyor limited to the first work group of project A
    project = world.project.pk
    assert holds_role(user, RoleCode.SURVEYOR, project, world.group.pk)
    assert not holds_role(user, RoleCode.SURVEYOR, project, world.other_group.pk)
    assert not holds_role(user, RoleCode.SURVEYOR, world.other_project.pk, world.group.pk)
    assert not holds_role(user, RoleCode.ACCOUNTANT, project, world.group.pk)
