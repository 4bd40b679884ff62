"""Forms of the holdout pages. The rules are the services'; these only read the values, with
fields named as the services name them in their errors (attach_errors)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengqian.compensation.models import CollectiveDecision
from zhengqian.core.forms import StyledForm
from zhengqian.demolition.forms import MultipleFileField, MultipleFileInput, UserChoiceField
from zhengqian.demolition.services import project_users
from zhengqian.holdouts.models import Case, Outcome
from zhengqian.holdouts.selectors import LIST_REASONS
from zhengqian.projects.models import Project
from zhengqian.survey.models import Household

FILES = "application/pdf,image/jpeg,image/png"


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "display_name", "") or obj.get_username())


class FilterForm(StyledForm):
    reason = forms.ChoiceField(
        label=_("Reason"), required=False, choices=[("", _("All reasons")), *LIST_REASONS]
    )
    work_group = forms.TypedChoiceField(
        label=_("Work group"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["work_group"].choices = [  # type: ignore[attr-defined]
            ("", _("All work groups")),
            *project.work_groups.order_by("name").values_list("pk", "name"),
        ]


class TeamForm(StyledForm):
    """The responsible team and the analyses of a case (opening and changing it)."""

    team_name = forms.CharField(label=_("Team"), max_length=60, required=False)
    leader = UserChoiceField(label=_("Team leader"), queryset=None, required=False)
    members = UserMultipleChoiceField(label=_("Team members"), queryset=None, required=False)
    family_analysis = forms.CharField(
        label=_("Family analysis"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    property_analysis = forms.CharField(
        label=_("Property analysis"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, household: Household, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = project_users(household)
        self.fields["leader"].queryset = people  # type: ignore[attr-defined]
        self.fields["members"].queryset = people  # type: ignore[attr-defined]

    @classmethod
    def for_case(cls, case: Case) -> TeamForm:
        return cls(
            household=case.household,
            initial={
                "team_name": case.team_name,
                "leader": case.leader_id,
                "members": list(case.members.values_list("pk", flat=True)),
                "family_analysis": case.family_analysis,
                "property_analysis": case.property_analysis,
            },
        )


class NegotiationForm(StyledForm):
    held_on = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput())
    place = forms.CharField(label=_("Place"), max_length=100, required=False)
    household_participants = forms.CharField(
        label=_("For the household"), max_length=300, required=False
    )
    office_participants = UserMultipleChoiceField(
        label=_("For the office"), queryset=None, required=False
    )
    offered = forms.CharField(
        label=_("What was offered"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    response = forms.CharField(
        label=_("What the household said"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    amount = forms.DecimalField(
        label=_("Amount offered (yuan)"),
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text=_(
            "Above the approved calculation only with a collective decision (an exception to "
            "the policy)."
        ),
    )
    decision: forms.ModelChoiceField[CollectiveDecision] = forms.ModelChoiceField(
        label=_("Collective decision"), queryset=None, required=False
    )
    attachments = MultipleFileField(
        label=_("Attachments (PDF, JPEG, PNG)"), widget=MultipleFileInput(attrs={"accept": FILES})
    )

    def __init__(self, *args: Any, household: Household, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office_participants"].queryset = project_users(household)  # type: ignore[attr-defined]
        # Any decision may be posted: the service refuses one of another project by name.
        self.fields["decision"].queryset = CollectiveDecision.objects.all()  # type: ignore[attr-defined]
        self.fields["decision"].widget.choices = [  # type: ignore[attr-defined]
            ("", "---------"),
            *(
                (d.pk, f"{d.meeting_date:%Y-%m-%d} {d.decision[:40]}")
                for d in CollectiveDecision.objects.filter(
                    project_id=household.project_id
                ).order_by("-meeting_date")
            ),
        ]


class CloseForm(StyledForm):
    closed_on = forms.DateField(label=_("Cleared on"), required=False, widget=forms.DateInput())
    outcome = forms.ChoiceField(
        label=_("How"), required=False, choices=[("", "---------"), *Outcome.choices]
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
