"""The legal path of a household without an agreement, as step templates per path.

In the style of projects.procedures: each step names the step it follows (recorded first) and
its earliest and latest dates as rules on the dates of earlier steps. A rule counts a period
from its anchor's date in calendar days, working days or months; the day of the anchor is not
counted (民法典 art. 201), a period in months ends on the corresponding day or the month's last
day (art. 202), and a period whose last day is a rest day ends on the next working day where
the rule says so (art. 203). A "period" step is not recorded: its date is the end of a legal
period, computed and shown so that the office sees when the household's time runs out.

The anchor ``signing_end`` is the end of the project's signing period, the date the
proceeding was opened after.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhengqian.projects.procedures import ProjectKind

SIGNING_END = "signing_end"


class LegalPath(models.TextChoices):
    STATE_OWNED_DECISION = "state_owned_decision", _("Compensation decision (补偿决定)")
    COLLECTIVE_DECISION = (
        "collective_decision",
        _("Compensation and resettlement decision (补偿安置决定)"),
    )
    RULING = "ruling", _("Ruling on the compensation standard (裁决)")


class Unit(models.TextChoices):
    DAYS = "days", _("calendar days")
    WORKING_DAYS = "working_days", _("working days")
    MONTHS = "months", _("months")


class StepKind(models.TextChoices):
    ACT = "act", _("act")
    PERIOD = "period", _("end of a period")
    APPEAL = "appeal", _("appeal")
    OUTCOME = "outcome", _("outcome of the appeal")


@dataclass(frozen=True)
class DateRule:
    """A date ``n`` units after the date of ``anchor``; ``next_day`` gives the day after that
    (a step allowed only once a period has ended); ``roll`` moves a rest day to the next
    working day."""

    anchor: str
    n: int = 0
    unit: str = Unit.DAYS
    roll: bool = False
    next_day: bool = False
    basis: Promise | str = ""


@dataclass(frozen=True)
class Step:
    code: str
    name: Promise | str
    follows: str = ""
    kind: str = StepKind.ACT
    required: bool = True
    earliest: tuple[DateRule, ...] = field(default_factory=tuple)
    latest: tuple[DateRule, ...] = field(default_factory=tuple)
    basis: Promise | str = ""

    @property
    def recordable(self) -> bool:
        return self.kind != StepKind.PERIOD

    @property
    def final(self) -> bool:
        return self.code == "enforced"


# --- the legal bases -------------------------------------------------------------------------

REGULATION_26 = _(
    "State-owned land expropriation regulation, art. 26: without an agreement in the signing "
    "period, the government makes a compensation decision and announces it"
)
COLLECTIVE_62 = _(
    "Land Administration Law implementing regulation, art. 31: for a household without an "
    "agreement, the government makes a compensation and resettlement decision"
)
APPEAL_15 = _(
    "Administrative Litigation Law, arts. 45 and 85: 15 days to sue after a reconsideration "
    "decision, or to appeal a first judgment"
)
RULING_BASIS = _(
    "Land Administration Law implementing regulation: a dispute over the compensation standard "
    "is ruled on by the government that approved the expropriation (裁决)"
)
CHOICE_15 = _(
    "Compensation decision: the household chooses the compensation mode within 15 days after "
    "service"
)
RECONSIDERATION_60 = _(
    "Administrative Reconsideration Law: reconsideration within 60 days after the household "
    "learned of the decision"
)
LITIGATION_6M = _(
    "Administrative Litigation Law, art. 46: a lawsuit within 6 months after the household "
    "learned of the decision"
)
REMINDER_BASIS = _(
    "Administrative Compulsion Law, arts. 35 and 54: a written reminder to comply (催告) once "
    "the time to appeal has run out without an appeal"
)
REMINDER_10 = _(
    "Administrative Compulsion Law, arts. 54 and 69: the court is applied to once 10 working "
    "days have passed since the reminder was served"
)
APPLICATION_3M = _(
    "Administrative Compulsion Law, art. 53: the application within 3 months after the time "
    "to appeal ran out"
)
COURT_BASIS = _(
    "Administrative Compulsion Law, arts. 55–58: the court rules on the application (裁定)"
)
ENFORCEMENT_BASIS = _(
    "State-owned land expropriation regulation, art. 28; Administrative Compulsion Law, art. 44"
)
APPEAL_BASIS = _(
    "An appeal (reconsideration or lawsuit) suspends the reminder and the application until "
    "its outcome is known"
)


def _review(decision: str, served: str, *, with_choice: bool) -> tuple[Step, ...]:
    """The steps after a decision was served: the household's time to choose (for a
    compensation decision), to appeal, then the reminder and the court."""
    choice: tuple[Step, ...] = ()
    if with_choice:
        choice = (
            Step(
                "mode_chosen",
                _("Household's choice of compensation mode recorded"),
                follows=served,
                required=False,
                earliest=(DateRule(served),),
                latest=(DateRule(served, 15, Unit.DAYS, roll=True, basis=CHOICE_15),),
                basis=CHOICE_15,
            ),
            Step(
                "choice_end",
                _("Time to choose the compensation mode ends"),
                follows=served,
                kind=StepKind.PERIOD,
                latest=(DateRule(served, 15, Unit.DAYS, roll=True, basis=CHOICE_15),),
                basis=CHOICE_15,
            ),
        )
    return (
        *choice,
        Step(
            "reconsideration_end",
            _("Time for reconsideration ends (60 days)"),
            follows=served,
            kind=StepKind.PERIOD,
            latest=(DateRule(served, 60, Unit.DAYS, roll=True, basis=RECONSIDERATION_60),),
            basis=RECONSIDERATION_60,
        ),
        Step(
            "litigation_end",
            _("Time for a lawsuit ends (6 months)"),
            follows=served,
            kind=StepKind.PERIOD,
            latest=(DateRule(served, 6, Unit.MONTHS, roll=True, basis=LITIGATION_6M),),
            basis=LITIGATION_6M,
        ),
        Step(
            "appeal_filed",
            _("Reconsideration or lawsuit filed by the household"),
            follows=served,
            kind=StepKind.APPEAL,
            required=False,
            earliest=(DateRule(served),),
            basis=APPEAL_BASIS,
        ),
        Step(
            "appeal_outcome",
            _("Outcome of the reconsideration or lawsuit"),
            follows="appeal_filed",
            kind=StepKind.OUTCOME,
            required=False,
            earliest=(DateRule("appeal_filed"),),
            basis=APPEAL_BASIS,
        ),
        Step(
            "reminder",
            _("Reminder to comply served (催告)"),
            follows=served,
            earliest=(
                DateRule(served, 60, Unit.DAYS, roll=True, next_day=True, basis=RECONSIDERATION_60),
                DateRule(served, 6, Unit.MONTHS, roll=True, next_day=True, basis=LITIGATION_6M),
                # After a reconsideration decision or a first judgment the household still has
                # 15 days to sue or appeal (行政诉讼法 arts. 45, 85).
                DateRule(
                    "appeal_outcome", 15, Unit.DAYS, roll=True, next_day=True, basis=APPEAL_15
                ),
            ),
            basis=REMINDER_BASIS,
        ),
        Step(
            "application",
            _("Application for court enforcement (申请强制执行)"),
            follows="reminder",
            earliest=(
                DateRule("reminder", 10, Unit.WORKING_DAYS, next_day=True, basis=REMINDER_10),
            ),
            latest=(DateRule("litigation_end", 3, Unit.MONTHS, roll=True, basis=APPLICATION_3M),),
            basis=APPLICATION_3M,
        ),
        Step(
            "court_ruling",
            _("Court ruling on enforcement (裁定)"),
            follows="application",
            earliest=(DateRule("application"),),
            basis=COURT_BASIS,
        ),
        Step(
            "enforced",
            _("Enforcement carried out"),
            follows="court_ruling",
            earliest=(DateRule("court_ruling"),),
            basis=ENFORCEMENT_BASIS,
        ),
    )


STATE_OWNED_DECISION: tuple[Step, ...] = (
    Step(
        "decision",
        _("Compensation decision made (补偿决定作出)"),
        earliest=(DateRule(SIGNING_END, next_day=True, basis=REGULATION_26),),
        basis=REGULATION_26,
    ),
    Step(
        "served",
        _("Decision served and announced (送达、公告)"),
        follows="decision",
        earliest=(DateRule("decision", basis=REGULATION_26),),
        basis=REGULATION_26,
    ),
    *_review("decision", "served", with_choice=True),
)

COLLECTIVE_DECISION: tuple[Step, ...] = (
    Step(
        "decision",
        _("Compensation and resettlement decision made (补偿安置决定作出)"),
        earliest=(DateRule(SIGNING_END, next_day=True, basis=COLLECTIVE_62),),
        basis=COLLECTIVE_62,
    ),
    Step(
        "served",
        _("Decision served and announced (送达、公告)"),
        follows="decision",
        earliest=(DateRule("decision", basis=COLLECTIVE_62),),
        basis=COLLECTIVE_62,
    ),
    *_review("decision", "served", with_choice=False),
)

RULING: tuple[Step, ...] = (
    Step(
        "ruling_applied",
        _("Application for a ruling (申请裁决)"),
        earliest=(DateRule(SIGNING_END, next_day=True, basis=RULING_BASIS),),
        basis=RULING_BASIS,
    ),
    Step(
        "ruling_made",
        _("Ruling made (裁决作出)"),
        follows="ruling_applied",
        earliest=(DateRule("ruling_applied", basis=RULING_BASIS),),
        basis=RULING_BASIS,
    ),
    Step(
        "served",
        _("Ruling served (送达)"),
        follows="ruling_made",
        earliest=(DateRule("ruling_made", basis=RULING_BASIS),),
        basis=RULING_BASIS,
    ),
    *_review("ruling_made", "served", with_choice=False),
)

TEMPLATES: dict[str, tuple[Step, ...]] = {
    LegalPath.STATE_OWNED_DECISION: STATE_OWNED_DECISION,
    LegalPath.COLLECTIVE_DECISION: COLLECTIVE_DECISION,
    LegalPath.RULING: RULING,
}

# The paths each kind of project offers; an agreement-based relocation has none.
PATHS_FOR_KIND: dict[str, tuple[str, ...]] = {
    ProjectKind.STATE_OWNED: (LegalPath.STATE_OWNED_DECISION,),
    ProjectKind.SHANTYTOWN: (LegalPath.STATE_OWNED_DECISION,),
    ProjectKind.COLLECTIVE: (LegalPath.COLLECTIVE_DECISION, LegalPath.RULING),
    ProjectKind.AGREEMENT: (),
}


def template_for(path: str) -> tuple[Step, ...]:
    return TEMPLATES[path]


def step_for(path: str, code: str) -> Step | None:
    return next((s for s in TEMPLATES[path] if s.code == code), None)


def paths_for(kind: str) -> tuple[str, ...]:
    return PATHS_FOR_KIND.get(kind, ())
