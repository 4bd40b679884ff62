"""Roles, modules and actions, and the default permission matrix.

Modules and actions are code (each module is an app); which role may do what in which module is
data (`RolePermission` rows), seeded from DEFAULT_MATRIX by a migration and kept by the
administrator. DESIGN.md §5: each role writes only its own module.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Module(models.TextChoices):
    ACCOUNTS = "accounts", _("Users and roles")
    DICTIONARIES = "dictionaries", _("Data dictionaries")
    PROJECTS = "projects", _("Projects")
    SURVEY = "survey", _("Survey and filing")
    OWNERSHIP = "ownership", _("Ownership confirmation")
    VALUATION = "valuation", _("Valuation")
    COMPENSATION = "compensation", _("Calculation and review")
    AGREEMENTS = "agreements", _("Agreements and signing")
    PAYMENTS = "payments", _("Payments")
    DEMOLITION = "demolition", _("Vacating and demolition")
    RESETTLEMENT = "resettlement", _("Resettlement")
    HOLDOUTS = "holdouts", _("Holdout clearance")
    ARCHIVES = "archives", _("Archives")
    AUDIT = "audit", _("Audit trail")
    DASHBOARD = "dashboard", _("Dashboards and reports")


class Action(models.TextChoices):
    VIEW = "view", _("View")
    CREATE = "create", _("Create")
    CHANGE = "change", _("Change")
    DELETE = "delete", _("Delete")
    REVIEW = "review", _("Review")
    APPROVE = "approve", _("Approve")
    EXPORT = "export", _("Export")
    VIEW_PERSONAL = "view_personal", _("View unmasked personal data")


class RoleCode(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    PROJECT_MANAGER = "project_manager", _("Project manager")
    SURVEYOR = "surveyor", _("Surveyor")
    VALUER = "valuer", _("Valuer")
    OWNERSHIP_OFFICER = "ownership_officer", _("Ownership officer")
    ACCOUNTANT = "accountant", _("Accountant")
    POLICY_REVIEWER = "policy_reviewer", _("Policy reviewer")
    LEADER = "leader", _("Leader")
    SIGNING_OFFICER = "signing_officer", _("Signing officer")
    COMMUNITY_CADRE = "community_cadre", _("Village or community cadre")
    FINANCE_OFFICER = "finance_officer", _("Finance officer")
    DEMOLITION_OFFICER = "demolition_officer", _("Demolition officer")
    RESETTLEMENT_OFFICER = "resettlement_officer", _("Resettlement officer")
    ARCHIVIST = "archivist", _("Archivist")
    SUPERVISOR = "supervisor", _("Supervisor (discipline and audit)")
    VIEWER = "viewer", _("Viewer")

    @property
    def is_system_wide(self) -> bool:
        """Roles held for the whole system rather than for one project."""
        return self in (RoleCode.ADMIN,)

    @property
    def may_be_system_wide(self) -> bool:
        """Roles that may be granted for all projects at once (a membership without project)."""
        return self in (RoleCode.ADMIN, RoleCode.SUPERVISOR, RoleCode.LEADER, RoleCode.VIEWER)

    @property
    def is_external(self) -> bool:
        """Staff of an outside firm: they see only assigned projects and masked personal data."""
        return self == RoleCode.VALUER


# Module families a role works in; VIEW of business modules is granted to every project role so
# that the household page can show all modules' records in one place, writes are not.
_BUSINESS = [
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
]
_WRITE = [Action.VIEW, Action.CREATE, Action.CHANGE, Action.DELETE, Action.EXPORT]


def _grant(
    matrix: dict[str, dict[str, set[str]]], role: RoleCode, module: Module, actions: list[Action]
) -> None:
    matrix.setdefault(role.value, {}).setdefault(module.value, set()).update(
        a.value for a in actions
    )


def build_default_matrix() -> dict[str, dict[str, set[str]]]:
    m: dict[str, dict[str, set[str]]] = {}
    # The administrator keeps users, roles and dictionaries, and no business data.
    _grant(m, RoleCode.ADMIN, Module.ACCOUNTS, [Action.VIEW, Action.CREATE, Action.CHANGE])
    _grant(m, RoleCode.ADMIN, Module.DICTIONARIES, [Action.VIEW, Action.CREATE, Action.CHANGE])

    project_roles = [r for r in RoleCode if r not in (RoleCode.ADMIN,)]
    for role in project_roles:
        _grant(m, role, Module.PROJECTS, [Action.VIEW])
        _grant(m, role, Module.DASHBOARD, [Action.VIEW])
        if role not in (RoleCode.VIEWER, RoleCode.VALUER):
            for module in _BUSINESS:
                _grant(m, role, module, [Action.VIEW])
    # The valuer sees survey and confirmation data (masked) and writes valuations only.
    _grant(m, RoleCode.VALUER, Module.SURVEY, [Action.VIEW])
    _grant(m, RoleCode.VALUER, Module.OWNERSHIP, [Action.VIEW])

    _grant(m, RoleCode.PROJECT_MANAGER, Module.PROJECTS, [Action.CREATE, Action.CHANGE])
    _grant(m, RoleCode.PROJECT_MANAGER, Module.OWNERSHIP, [Action.APPROVE])
    # The office's side of valuation: recording objections and expert appraisals (review),
    # publishing the preliminary results (approve). The figures are the valuers' alone.
    _grant(m, RoleCode.PROJECT_MANAGER, Module.VALUATION, [Action.REVIEW, Action.APPROVE])
    # Templates, numbering and voiding; the agreements carry unmasked personal data.
    _grant(m, RoleCode.PROJECT_MANAGER, Module.AGREEMENTS, [Action.APPROVE, Action.VIEW_PERSONAL])
    _grant(m, RoleCode.PROJECT_MANAGER, Module.DASHBOARD, [Action.EXPORT])
    _grant(m, RoleCode.SURVEYOR, Module.SURVEY, [*_WRITE, Action.VIEW_PERSONAL])
    _grant(m, RoleCode.OWNERSHIP_OFFICER, Module.OWNERSHIP, [*_WRITE, Action.VIEW_PERSONAL])
    _grant(m, RoleCode.OWNERSHIP_OFFICER, Module.SURVEY, [Action.VIEW_PERSONAL])
    _grant(m, RoleCode.VALUER, Module.VALUATION, _WRITE)
    _grant(m, RoleCode.ACCOUNTANT, Module.COMPENSATION, [*_WRITE, Action.REVIEW])
    _grant(m, RoleCode.POLICY_REVIEWER, Module.COMPENSATION, [Action.REVIEW])
    _grant(m, RoleCode.LEADER, Module.COMPENSATION, [Action.APPROVE])
    _grant(m, RoleCode.LEADER, Module.DASHBOARD, [Action.EXPORT])
    _grant(m, RoleCode.SIGNING_OFFICER, Module.AGREEMENTS, [*_WRITE, Action.VIEW_PERSONAL])
    # The handler asks for the payment of an instalment; finance approves and pays it.
    _grant(m, RoleCode.SIGNING_OFFICER, Module.PAYMENTS, [Action.CREATE])
    # Holdout clearance (拔钉清零), the legal path, petitions and lawsuits: the project manager
    # leads them (decisions, cases closed); signing officers keep the case files and
    # negotiation logs and answer petitions.
    _grant(
        m,
        RoleCode.PROJECT_MANAGER,
        Module.HOLDOUTS,
        [Action.CREATE, Action.CHANGE, Action.APPROVE, Action.VIEW_PERSONAL],
    )
    _grant(
        m,
        RoleCode.SIGNING_OFFICER,
        Module.HOLDOUTS,
        [Action.CREATE, Action.CHANGE, Action.VIEW_PERSONAL],
    )
    _grant(m, RoleCode.FINANCE_OFFICER, Module.PAYMENTS, [*_WRITE, Action.APPROVE])
    _grant(m, RoleCode.FINANCE_OFFICER, Module.PAYMENTS, [Action.VIEW_PERSONAL])
    _grant(m, RoleCode.DEMOLITION_OFFICER, Module.DEMOLITION, _WRITE)
    _grant(m, RoleCode.RESETTLEMENT_OFFICER, Module.RESETTLEMENT, [*_WRITE, Action.VIEW_PERSONAL])
    _grant(m, RoleCode.ARCHIVIST, Module.ARCHIVES, _WRITE)
    # The supervisor reads everything, the audit trail included, and writes nothing.
    for module in [*_BUSINESS, Module.PROJECTS, Module.DASHBOARD]:
        _grant(m, RoleCode.SUPERVISOR, module, [Action.VIEW, Action.EXPORT, Action.VIEW_PERSONAL])
    _grant(m, RoleCode.SUPERVISOR, Module.AUDIT, [Action.VIEW, Action.EXPORT])
    return m


DEFAULT_MATRIX = build_default_matrix()
