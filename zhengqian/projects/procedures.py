"""The legal procedure of each kind of project as milestone templates (DESIGN.md §3).

A rule ties a step to an earlier one: it may not be recorded before the earlier one, nor before a
minimum period has run from it; some steps also have a maximum period (a deadline), after which
they are still recorded but flagged late. Periods are in calendar days or working days.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ProjectKind(models.TextChoices):
    STATE_OWNED = "state_owned", _("State-owned land expropriation")
    COLLECTIVE = "collective", _("Collective land expropriation")
    SHANTYTOWN = "shantytown", _("Shantytown renovation")
    AGREEMENT = "agreement", _("Agreement-based relocation")


class PeriodUnit(models.TextChoices):
    DAYS = "days", _("calendar days")
    WORKING_DAYS = "working_days", _("working days")


@dataclass(frozen=True)
class Rule:
    """The step `after` must be recorded first; then at least `min_period` units must pass
    (and at most `max_period`, if given) before this step's date."""

    after: str
    min_period: int = 0
    max_period: int | None = None
    unit: str = PeriodUnit.DAYS
    basis: Promise | str = ""


@dataclass(frozen=True)
class Step:
    code: str
    name: Promise | str
    required: bool = True
    rules: tuple[Rule, ...] = field(default_factory=tuple)


def _s(code: str, name: Promise, *rules: Rule, required: bool = True) -> Step:
    return Step(code=code, name=name, required=required, rules=tuple(rules))


STATE_OWNED: tuple[Step, ...] = (
    _s("survey", _("Survey and registration (调查登记)")),
    _s("plan_drafted", _("Compensation plan drafted and reviewed"), Rule("survey")),
    _s("plan_published", _("Compensation plan published for comment"), Rule("plan_drafted")),
    _s(
        "plan_comment_closed",
        _("Comment period closed, results published"),
        Rule(
            "plan_published",
            30,
            unit=PeriodUnit.DAYS,
            basis=_(
                "State-owned land expropriation regulation, art. 10: comment period of at least 30 days"  # noqa: E501 (one translatable sentence)
            ),
        ),
    ),
    _s(
        "hearing",
        _("Hearing (old-town renewal, when most object)"),
        Rule("plan_comment_closed"),
        required=False,
    ),
    _s("risk_assessment", _("Social stability risk assessment"), Rule("plan_published")),
    _s("funds_in_place", _("Compensation funds in a dedicated account"), Rule("plan_drafted")),
    _s(
        "decision_announced",
        _("Expropriation decision announced"),
        Rule("plan_comment_closed"),
        Rule("risk_assessment"),
        Rule("funds_in_place"),
        Rule(
            "plan_published",
            30,
            unit=PeriodUnit.DAYS,
            basis=_(
                "State-owned land expropriation regulation, arts. 10 and 13: the decision follows a comment period of at least 30 days"  # noqa: E501 (one translatable sentence)
            ),
        ),
    ),
    _s("survey_published", _("Survey results published"), Rule("decision_announced")),
    _s("valuer_selected", _("Valuation agency selected"), Rule("decision_announced")),
    _s(
        "signing_started",
        _("Signing period begins"),
        Rule("decision_announced"),
        Rule("valuer_selected"),
    ),
    _s("signing_closed", _("Signing period ends"), Rule("signing_started")),
    _s(
        "compensation_decisions",
        _("Compensation decisions for households without agreement"),
        Rule("signing_closed"),
        required=False,
    ),
    _s("demolition_completed", _("Demolition completed"), Rule("signing_started")),
    _s("archived", _("Project archived"), Rule("demolition_completed")),
)

COLLECTIVE: tuple[Step, ...] = (
    _s("pre_announcement", _("Pre-announcement of land expropriation (预公告)")),
    _s("status_survey", _("Survey of the land's current state"), Rule("pre_announcement")),
    _s("risk_assessment", _("Social stability risk assessment"), Rule("pre_announcement")),
    _s(
        "plan_announced",
        _("Compensation and resettlement plan announced"),
        Rule("status_survey"),
        Rule("risk_assessment"),
        Rule(
            "pre_announcement",
            10,
            unit=PeriodUnit.WORKING_DAYS,
            basis=_(
                "Land Administration Law implementing regulation, art. 26: pre-announcement of at least 10 working days"  # noqa: E501 (one translatable sentence)
            ),
        ),
    ),
    _s(
        "plan_comment_closed",
        _("Plan announcement period closed"),
        Rule(
            "plan_announced",
            30,
            unit=PeriodUnit.DAYS,
            basis=_(
                "Land Administration Law implementing regulation, art. 27: plan announced for at least 30 days"  # noqa: E501 (one translatable sentence)
            ),
        ),
    ),
    _s("hearing", _("Hearing (when most object)"), Rule("plan_comment_closed"), required=False),
    _s("registration", _("Compensation registration"), Rule("pre_announcement")),
    _s("agreements_signed", _("Compensation agreements signed"), Rule("plan_comment_closed")),
    _s("application", _("Application for expropriation submitted"), Rule("agreements_signed")),
    _s("approved", _("Expropriation approved"), Rule("application")),
    _s(
        "expropriation_announced",
        _("Expropriation announcement"),
        Rule(
            "approved",
            0,
            15,
            unit=PeriodUnit.WORKING_DAYS,
            basis=_(
                "Land Administration Law implementing regulation, art. 31: announced within 15 working days of approval"  # noqa: E501 (one translatable sentence)
            ),
        ),
    ),
    _s(
        "resettlement_decisions",
        _("Compensation and resettlement decisions for households without agreement"),
        Rule("expropriation_announced"),
        required=False,
    ),
    _s("demolition_completed", _("Demolition completed"), Rule("agreements_signed")),
    _s("archived", _("Project archived"), Rule("demolition_completed")),
)

AGREEMENT: tuple[Step, ...] = (
    _s("survey", _("Survey and registration (调查登记)")),
    _s("plan_published", _("Relocation plan published"), Rule("survey")),
    _s("signing_started", _("Signing period begins"), Rule("plan_published")),
    _s("signing_closed", _("Signing period ends"), Rule("signing_started")),
    _s("demolition_completed", _("Demolition completed"), Rule("signing_started")),
    _s("archived", _("Project archived"), Rule("demolition_completed")),
)

TEMPLATES: dict[str, tuple[Step, ...]] = {
    ProjectKind.STATE_OWNED: STATE_OWNED,
    # Shantytown renovation on state-owned land follows the same regulation.
    ProjectKind.SHANTYTOWN: STATE_OWNED,
    ProjectKind.COLLECTIVE: COLLECTIVE,
    ProjectKind.AGREEMENT: AGREEMENT,
}


def template_for(kind: str) -> tuple[Step, ...]:
    return TEMPLATES[kind]
