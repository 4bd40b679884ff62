"""Readable names of event types for the trail; the code stays visible beside them.

Modules add their own event types here as they are built; an unknown type shows its code.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

EVENT_LABELS: dict[str, Promise] = {
    "access.denied": _("Action refused"),
    "access.out_of_scope": _("Record outside the user's projects requested"),
    "audit.search": _("Audit trail searched"),
    "audit.verify_requested": _("Chain check requested"),
    "auth.locked_out": _("Account locked after failed logins"),
    "auth.login": _("Logged in"),
    "auth.login_failed": _("Failed login"),
    "auth.logout": _("Logged out"),
    "auth.sudo": _("Password confirmed for a sensitive action"),
    "auth.sudo_failed": _("Wrong password for a sensitive action"),
    "calendar.import": _("Holiday calendar loaded"),
    "calendar.remove": _("Calendar day removed"),
    "demo.seed": _("Demo data generated"),
    "dictionary.create": _("Dictionary entry added"),
    "dictionary.update": _("Dictionary entry changed"),
    "district.create": _("District created"),
    "membership.grant": _("Role granted"),
    "membership.revoke": _("Role removed"),
    "milestone.plan": _("Milestone planned"),
    "milestone.record": _("Milestone recorded"),
    "permission.grant": _("Permission granted to a role"),
    "permission.revoke": _("Permission taken from a role"),
    "project.create": _("Project created"),
    "project.update": _("Project changed"),
    "user.create": _("User created"),
    "user.disable": _("User disabled"),
    "user.enable": _("User enabled"),
    "user.password_change": _("Own password changed"),
    "user.password_reset": _("Password set by the administrator"),
    "user.update": _("User changed"),
    "work_group.create": _("Work group created"),
    "work_group.update": _("Work group changed"),
}


def event_label(event_type: str) -> str:
    label = EVENT_LABELS.get(event_type)
    return str(label) if label is not None else event_type
