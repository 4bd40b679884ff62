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
    # Survey (调查建档)
    "household.create": _("Household created"),
    "household.update": _("Household changed"),
    "household.delete": _("Household deleted"),
    "household.view": _("Household page viewed"),
    "household.edit_view": _("Household opened for editing (personal data shown)"),
    "household.search": _("Households searched"),
    "household.unmask_id": _("ID number of the head shown unmasked"),
    "person.create": _("Person added"),
    "person.update": _("Person changed"),
    "person.delete": _("Person removed"),
    "person.edit_view": _("Person opened for editing (personal data shown)"),
    "person.unmask_id": _("ID number shown unmasked"),
    "building.create": _("Building added"),
    "building.update": _("Building changed"),
    "building.delete": _("Building removed"),
    "building.change_request": _("Building changed by an approved change request"),
    "ancillary.create": _("Ancillary added"),
    "ancillary.update": _("Ancillary changed"),
    "ancillary.delete": _("Ancillary removed"),
    "attachment.create": _("File attached"),
    "attachment.delete": _("File removed"),
    "attachment.preview": _("File previewed"),
    "attachment.download": _("File downloaded"),
    "survey.import": _("Survey imported from Excel"),
    "survey.export": _("Survey exported to Excel"),
    "survey.publication_view": _("Survey publication list viewed"),
    "survey.duplicates_view": _("Duplicate report viewed"),
    # Ownership confirmation (确权确户)
    "buildingconfirmation.create": _("Building areas confirmed"),
    "buildingconfirmation.update": _("Building confirmation changed"),
    "buildingconfirmation.change_request": _(
        "Building confirmation changed by an approved change request"
    ),
    "personconfirmation.create": _("Resettlement eligibility confirmed"),
    "personconfirmation.update": _("Resettlement eligibility changed"),
    "personconfirmation.change_request": _("Eligibility changed by an approved change request"),
    "person.change_request": _("Person changed by an approved change request"),
    "confirmation.submit": _("Confirmation submitted for review"),
    "confirmation.approve": _("Confirmation approved and locked"),
    "confirmation.return": _("Confirmation returned"),
    "changerequest.create": _("Change requested"),
    "changerequest.approve": _("Change request approved and applied"),
    "changerequest.reject": _("Change request rejected"),
    "changerequest.evidence_view": _("Change request evidence viewed"),
}


def event_label(event_type: str) -> str:
    label = EVENT_LABELS.get(event_type)
    return str(label) if label is not None else event_type
