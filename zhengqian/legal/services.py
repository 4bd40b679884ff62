"""Writes of the legal path (DESIGN.md §3, §4): opening a proceeding for a household that
signed no agreement, and recording its steps.

Who may do what: the project manager opens a proceeding (holdouts/approve); the project
manager and the signing officers record its steps (holdouts/change), within the households of
their projects and work groups. A proceeding is opened only once the signing period has ended,
for a household without a signed main agreement, on its current approved calculation, whose
figures it freezes. A step is refused before its earliest date or before the step it follows;
after its last date it is recorded only with a note saying why, and flagged late. Each write is
one transaction and one audit event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.roles import Action, Module
from zhengqian.agreements.documents import sha256
from zhengqian.agreements.models import Agreement, AgreementStatus
from zhengqian.agreements.services import current_approved
from zhengqian.audit.services import record
from zhengqian.compensation import services as compensation
from zhengqian.compensation.models import Calculation
from zhengqian.core.calendar import office_calendar
from zhengqian.core.updates import lock
from zhengqian.legal.models import Proceeding, ProceedingStep
from zhengqian.legal.paths import SIGNING_END, LegalPath, StepKind, paths_for, step_for
from zhengqian.legal.schedule import Planned, schedule
from zhengqian.survey.models import Household
from zhengqian.survey.permissions import require_household

# The statuses of a main agreement the household has signed and not lost.
SIGNED = (AgreementStatus.PENDING, AgreementStatus.EFFECTIVE)


def _invalid(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _text(value: str | None) -> str:
    return (value or "").strip()


def today() -> dt.date:
    """The office's today: every date rule here is checked against it."""
    return timezone.localdate()


# --- what a proceeding needs -----------------------------------------------------------------


def signing_end(household: Household) -> dt.date | None:
    """The end of the project's signing period: the current published policy's, else the
    project's planned end of signing."""
    policy = compensation.current_policy(household.project_id)
    if policy is not None and policy.signing_period_end is not None:
        return policy.signing_period_end
    planned: dt.date | None = household.project.planned_signing_end
    return planned


def signed_agreement(household: Household) -> Agreement | None:
    return Agreement.objects.filter(
        household_id=household.pk, parent__isnull=True, status__in=SIGNED
    ).first()


def calculation_for(household: Household) -> Calculation:
    """The household's current approved calculation, not stale; else the reason why none."""
    calculation = current_approved().filter(household_id=household.pk).first()
    if calculation is None:
        raise ValidationError(
            _(
                "Household %(code)s has no approved calculation: the decision's amounts come "
                "from one, as an agreement's do."
            )
            % {"code": household.code},
            code="no_calculation",
        )
    if compensation.is_stale(calculation):
        raise ValidationError(
            _(
                "Data calculation %(number)s of household %(code)s used has changed since it "
                "was approved: it must be recalculated and approved again first."
            )
            % {"number": calculation.number, "code": household.code},
            code="stale",
        )
    return calculation


def check_openable(household: Household, path: str, *, today: dt.date) -> dt.date:
    """Why a proceeding on ``path`` cannot be opened for the household (ValidationError), or
    the end of the signing period it is opened after."""
    kind = household.project.kind
    if path not in paths_for(kind):
        raise _invalid(
            "path",
            _("A project of the type “%(kind)s” has no such legal path.")
            % {"kind": household.project.get_kind_display()},
            "wrong_kind",
        )
    agreement = signed_agreement(household)
    if agreement is not None:
        raise ValidationError(
            _("Household %(code)s signed agreement %(number)s: it needs no legal proceeding.")
            % {"code": household.code, "number": agreement.number},
            code="signed",
        )
    end = signing_end(household)
    if end is None:
        raise ValidationError(
            _("The project has no end of its signing period: a decision follows it."),
            code="no_signing_end",
        )
    if today <= end:
        raise ValidationError(
            _(
                "The signing period ends on %(day)s: a proceeding is opened only after it, for "
                "a household that did not sign."
            )
            % {"day": end.isoformat()},
            code="signing_open",
        )
    live = Proceeding.objects.filter(household=household, path=path, closed_on__isnull=True)
    if live.exists():
        raise ValidationError(
            _("Household %(code)s already has a proceeding on this path.")
            % {"code": household.code},
            code="exists",
        )
    return end


@transaction.atomic
def open_proceeding(*, actor: Any, household: Household, path: str, note: str = "") -> Proceeding:
    """Open the household's proceeding on ``path``, freezing the figures of its current
    approved calculation."""
    require_household(actor, household, Module.HOLDOUTS, Action.APPROVE)
    household = lock(household)
    end = check_openable(household, path, today=today())
    calculation = calculation_for(household)
    proceeding = Proceeding(
        project_id=household.project_id,
        household=household,
        path=path,
        calculation=calculation,
        total=calculation.total,
        mode=calculation.mode,
        signing_end=end,
        note=_text(note),
        opened_by=actor,
    )
    proceeding.full_clean(exclude=["household", "calculation"])
    proceeding.save()
    record(
        actor=actor,
        event_type="legal.open",
        target=proceeding,
        project=household.project_id,
        details={
            "household": household.pk,
            "path": path,
            "calculation": calculation.pk,
            "calculation_number": calculation.number,
            "total": calculation.total,
            "mode": calculation.mode,
            "signing_end": end.isoformat(),
        },
    )
    return proceeding


# --- the steps -------------------------------------------------------------------------------


def known_dates(proceeding: Proceeding) -> dict[str, dt.date]:
    dates = {SIGNING_END: proceeding.signing_end}
    # .all(): the steps a list page prefetched serve without a query per proceeding.
    for recorded in proceeding.steps.all():
        dates[recorded.code] = recorded.done_on
    return dates


def plan(proceeding: Proceeding, calendar: Any = None) -> list[Planned]:
    return schedule(
        proceeding.path,
        known_dates(proceeding),
        calendar if calendar is not None else office_calendar(),
    )


def appeal_pending(dates: dict[str, dt.date]) -> bool:
    return "appeal_filed" in dates and "appeal_outcome" not in dates


def _check_order(proceeding: Proceeding, code: str, dates: dict[str, dt.date]) -> None:
    step = step_for(proceeding.path, code)
    if step is None or not step.recordable:
        raise _invalid("code", _("This path has no such step to record."), "unknown_step")
    if code in dates:
        raise _invalid(
            "code",
            _("“%(step)s” was already recorded on %(day)s.")
            % {"step": step.name, "day": dates[code].isoformat()},
            "exists",
        )
    if proceeding.closed_on is not None:
        raise ValidationError(_("The proceeding is finished."), code="closed")
    if step.follows and step.follows not in dates:
        before = step_for(proceeding.path, step.follows)
        raise _invalid(
            "code",
            _("“%(before)s” must be recorded before “%(step)s”.")
            % {"before": before.name if before else step.follows, "step": step.name},
            "out_of_order",
        )
    if step.kind == StepKind.APPEAL and "reminder" in dates:
        raise _invalid(
            "code",
            _("The reminder to comply was served: the time to appeal is over."),
            "after_reminder",
        )
    if code in ("reminder", "application") and appeal_pending(dates):
        raise _invalid(
            "code",
            _(
                "The household's appeal of %(day)s has no recorded outcome: the reminder and "
                "the application wait for it."
            )
            % {"day": dates["appeal_filed"].isoformat()},
            "appeal_pending",
        )


# The steps that act on the decision's figures: none goes ahead on a calculation that has
# since been marked stale (a survey correction, a court outcome changing the amount).
ON_FIGURES = ("decision", "ruling_made", "reminder", "application")


def _require_fresh_figures(proceeding: Proceeding, code: str) -> None:
    from zhengqian.compensation import services as compensation

    if code in ON_FIGURES and compensation.is_stale(proceeding.calculation):
        raise ValidationError(
            _(
                "Calculation #%(number)s, whose figures this proceeding carries, has been marked "
                "stale: it must be recalculated and approved again, and the proceeding opened "
                "anew on it."
            )
            % {"number": proceeding.calculation.number},
            code="stale",
        )


@transaction.atomic
def record_step(
    *,
    actor: Any,
    proceeding: Proceeding,
    code: str,
    done_on: dt.date | None,
    document_no: str = "",
    document: Any = None,
    note: str = "",
) -> ProceedingStep:
    """Record a step of the proceeding on the day it happened."""
    household = Household.objects.select_related("project").get(pk=proceeding.household_id)
    require_household(actor, household, Module.HOLDOUTS, Action.CHANGE)
    proceeding = lock(proceeding)
    dates = known_dates(proceeding)
    _check_order(proceeding, code, dates)
    _require_fresh_figures(proceeding, code)
    planned = next(p for p in plan(proceeding) if p.step.code == code)
    errors: dict[str, ValidationError] = {}
    note = _text(note)
    late = False
    if done_on is None:
        errors["done_on"] = ValidationError(_("Give the date."), code="required")
    elif done_on > today():
        errors["done_on"] = ValidationError(_("The date cannot be in the future."), "future")
    elif planned.earliest is not None and planned.earliest.unchecked:
        # Without the holidays of that year the earliest day cannot be known for sure: a
        # step is not let through on a guess (the calendar of the year must be loaded).
        errors["done_on"] = ValidationError(
            _(
                "The earliest day of “%(step)s” falls in a year whose public holidays are not "
                "in the calendar yet: load that year's holiday calendar first."
            )
            % {"step": planned.step.name},
            code="calendar",
        )
    elif planned.earliest is not None and done_on < planned.earliest.day:
        errors["done_on"] = ValidationError(
            _("“%(step)s” cannot be before %(day)s (%(rule)s).")
            % {
                "step": planned.step.name,
                "day": planned.earliest.day.isoformat(),
                "rule": planned.earliest.rule.basis or planned.step.basis,
            },
            code="too_early",
        )
    elif planned.latest is not None and done_on > planned.latest.day:
        late = True
        if not note:
            errors["note"] = ValidationError(
                _(
                    "The last date for “%(step)s” was %(day)s (%(rule)s): say in the note why "
                    "it is recorded late."
                )
                % {
                    "step": planned.step.name,
                    "day": planned.latest.day.isoformat(),
                    "rule": planned.latest.rule.basis or planned.step.basis,
                },
                code="late_without_note",
            )
    if document:
        from zhengqian.survey.attachments import JPEG, PDF, PNG, check_upload

        try:
            found = check_upload(document)
        except ValidationError as exc:
            errors["document"] = ValidationError(exc.messages[0], code="type")
        else:
            if found not in (PDF, JPEG, PNG):
                errors["document"] = ValidationError(
                    _("Upload a PDF or a JPEG or PNG image."), code="type"
                )
    if errors or done_on is None:
        raise ValidationError(errors)
    step = ProceedingStep(
        proceeding=proceeding,
        code=code,
        done_on=done_on,
        document_no=_text(document_no),
        note=note,
        late=late,
        recorded_by=actor,
    )
    if document:
        from zhengqian.survey.attachments import sniff

        document.seek(0)
        data = document.read()
        document.seek(0)
        kind = sniff(document)
        step.document_sha256 = sha256(data)
        step.document.save(
            f"{household.code}-{proceeding.path}-{code}.{kind.extension if kind else 'bin'}",
            ContentFile(data),
            save=False,
        )
    step.save()
    if planned.step.final:
        proceeding.closed_on = done_on
        proceeding.save(update_fields=["closed_on"])
    record(
        actor=actor,
        event_type="legal.step",
        target=step,
        project=household.project_id,
        details={
            "household": household.pk,
            "proceeding": proceeding.pk,
            "path": proceeding.path,
            "step": code,
            "done_on": done_on.isoformat(),
            "document_no": step.document_no,
            "document_sha256": step.document_sha256,
            "late": late,
            "earliest": planned.earliest.day.isoformat() if planned.earliest else None,
            "latest": planned.latest.day.isoformat() if planned.latest else None,
        },
    )
    return step


def offered_paths(household: Household) -> list[str]:
    """The paths the household's project offers that can be opened for it today."""
    offered = []
    for path in paths_for(household.project.kind):
        try:
            check_openable(household, path, today=today())
        except ValidationError:
            continue
        offered.append(path)
    return offered


__all__ = [
    "LegalPath",
    "appeal_pending",
    "calculation_for",
    "check_openable",
    "offered_paths",
    "open_proceeding",
    "plan",
    "record_step",
    "signing_end",
    "today",
]
