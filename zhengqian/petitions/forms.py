"""Forms of the petitions pages: they only read the values; the rules are the services', and
the fields are named as the services name them in their errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengqian.compensation.models import CollectiveDecision
from zhengqian.core.forms import StyledForm
from zhengqian.petitions import selectors, services
from zhengqian.petitions.models import (
    CaseKind,
    CaseSubject,
    Channel,
    Outcome,
    PetitionStatus,
    Satisfaction,
)
from zhengqian.projects.models import Project
from zhengqian.survey.models import Household

DOCUMENTS = "application/pdf,image/jpeg,image/png"


def _date(label: Any, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=forms.DateInput())


def _file(label: Any, required: bool = False) -> forms.FileField:
    return forms.FileField(
        label=label, required=required, widget=forms.ClearableFileInput(attrs={"accept": DOCUMENTS})
    )


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "display_name", "") or obj.get_username())


class FilterForm(StyledForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *PetitionStatus.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All")), *Channel.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class PetitionForm(StyledForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    household: forms.ModelChoiceField[Household] = forms.ModelChoiceField(
        label=_("Household"), queryset=None, required=False
    )
    petitioner_name = forms.CharField(label=_("Petitioner"), max_length=60)
    id_number = forms.CharField(label=_("ID number"), max_length=22, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    received_on = _date(pgettext_lazy("petition", "Received on"))
    request = forms.CharField(label=_("Request"), widget=forms.Textarea(attrs={"rows": 3}))
    attachment = _file(_("Attachment"))

    def __init__(self, *args: Any, user: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = selectors.households_of(user, project)  # type: ignore[attr-defined]


class SettingsForm(StyledForm):
    acknowledge_days = forms.IntegerField(
        label=_("Acknowledge within (days)"), min_value=1, max_value=365
    )
    answer_days = forms.IntegerField(label=_("Answer within (days)"), min_value=1, max_value=365)


class AssignForm(StyledForm):
    assignee = UserChoiceField(label=_("Assign to"), queryset=None)
    assigned_on = _date(_("Assigned on"))

    def __init__(self, *args: Any, project_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = services.assignable_users(project_id)  # type: ignore[attr-defined]


class AcknowledgeForm(StyledForm):
    acknowledged_on = _date(_("Acknowledged on"))


class AnswerForm(StyledForm):
    answered_on = _date(_("Answered on"))
    reply = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 3}))
    reply_document = _file(_("Reply document"))


class RateForm(StyledForm):
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), choices=Satisfaction.choices)
    satisfaction_on = _date(_("Recorded on"))


class CloseForm(StyledForm):
    closed_on = _date(_("Closed on"))


STEP_FORMS: dict[str, type[StyledForm]] = {
    PetitionStatus.RECEIVED: AssignForm,
    PetitionStatus.ASSIGNED: AcknowledgeForm,
    PetitionStatus.ACKNOWLEDGED: AnswerForm,
    PetitionStatus.ANSWERED: RateForm,
    PetitionStatus.RATED: CloseForm,
}


def step_form(
    status: str, project_id: int, data: Any = None, files: Any = None
) -> StyledForm | None:
    cls = STEP_FORMS.get(status)
    if cls is None:
        return None
    if cls is AssignForm:
        return AssignForm(data, files, project_id=project_id)
    return cls(data, files)


class CaseForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices)
    body = forms.CharField(label=_("Court or reconsideration body"), max_length=100)
    case_number = forms.CharField(label=_("Case number"), max_length=60)
    applicant = forms.CharField(label=_("Applicant or plaintiff"), max_length=100)
    respondent = forms.CharField(label=_("Respondent"), max_length=100)
    subject = forms.ChoiceField(label=_("Subject"), choices=CaseSubject.choices)
    household: forms.ModelChoiceField[Household] = forms.ModelChoiceField(
        label=_("Household"), queryset=None, required=False
    )
    subject_reference = forms.CharField(
        label=_("Reference of the act"), max_length=200, required=False
    )
    decision: forms.ModelChoiceField[CollectiveDecision] = forms.ModelChoiceField(
        label=_("Collective decision"), queryset=None, required=False
    )
    filed_on = _date(_("Filed on"))

    def __init__(self, *args: Any, user: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = selectors.households_of(user, project)  # type: ignore[attr-defined]
        self.fields["decision"].queryset = selectors.project_decisions(project)  # type: ignore[attr-defined]


class HearingForm(StyledForm):
    held_on = _date(_("Held on"))
    place = forms.CharField(label=_("Place"), max_length=200)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class OutcomeForm(StyledForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    outcome_on = _date(_("Decided on"))
    document = _file(_("Decision or judgment"), required=True)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class DecisionSearchForm(StyledForm):
    q = forms.CharField(label=_("Text"), required=False, max_length=100)
    since = _date(_("From"), required=False)
    until = _date(_("To"), required=False)


class DecisionForm(StyledForm):
    meeting_date = _date(_("Meeting date"))
    participants = forms.CharField(
        label=_("Participants"), widget=forms.Textarea(attrs={"rows": 2})
    )
    decision = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 3}))
    document = _file(_("Minutes"), required=True)
