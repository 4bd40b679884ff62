"""Writes of the agreements module: templates, numbering, drafting, signing, effectiveness,
supplements and voiding (DESIGN.md §4, §5).

Who may do what:
- templates and the number pattern: the project manager (agreements/approve);
- drafting and recording the signing: signing officers (agreements/create, agreements/change),
  only from an approved calculation that is the household's latest and not stale;
- the four office signatures (四方签字): the leader of the household's work group, a village or
  community cadre of the project, a signing officer as handler, and one of the calculation's
  approvers as reviewer — four different people;
- voiding: a signing officer asks with a reason, the project manager approves with the
  password; the number stays used.
Every write is one transaction and one or more audit events.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqian.accounts.permissions import AccessDenied, holds_role, require
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.agreements import documents, placeholders
from zhengqian.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementSeries,
    AgreementStatus,
    AgreementTemplate,
    HouseholdSignatory,
    OfficeCapacity,
    OfficeSignature,
    PartyCapacity,
)
from zhengqian.audit.services import record
from zhengqian.compensation import services as compensation
from zhengqian.compensation.models import (
    Calculation,
    CalculationStatus,
    PolicyItem,
)
from zhengqian.core import hooks
from zhengqian.core.idcard import parse_id_number
from zhengqian.core.sudo import confirm_password
from zhengqian.core.updates import lock
from zhengqian.dashboard import progress
from zhengqian.projects.models import Project
from zhengqian.survey.models import Household, HouseholdKind
from zhengqian.survey.permissions import require_household

# --- templates -------------------------------------------------------------------------------


def _invalid(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def project_catalogue(project: Project | int) -> dict[str, placeholders.Spec]:
    """The placeholders offered in this project: item codes are those of its policies."""
    from zhengqian.compensation.engine import Category

    # The name of each code as the latest policy version has it.
    names = dict(
        PolicyItem.objects.filter(policy__project=project)
        .order_by("policy__version")
        .values_list("code", "name")
    )
    return placeholders.catalogue(item_codes=dict(sorted(names.items())), categories=Category.ALL)


def _docx_bytes(upload: Any) -> bytes:
    upload.seek(0)
    data: bytes = upload.read()
    upload.seek(0)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except zipfile.BadZipFile:
        names = set()
    if "word/document.xml" not in names:
        raise _invalid("file", _("The template must be a Word document (.docx)."), "type")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise _invalid("file", _("Word documents with macros are not accepted."), "macros")
    return data


def check_template(project: Project | int, data: bytes) -> list[str]:
    """The placeholders a template uses; a ValidationError at "file" naming what is wrong."""
    try:
        source = placeholders.template_source(io.BytesIO(data))
        outside = placeholders.in_headers_or_footers(io.BytesIO(data))
    except Exception:  # a damaged file: python-docx raises several kinds
        raise _invalid("file", _("The Word file cannot be read."), "unreadable") from None
    if outside:
        raise _invalid(
            "file",
            _(
                "Placeholders stand in a header or footer, which the PDF of the agreement does "
                "not show: put them in the body of the document."
            ),
            "header",
        )
    try:
        return placeholders.check_source(source, project_catalogue(project))
    except placeholders.TemplateProblem as exc:
        raise _invalid("file", str(exc), "placeholder") from None


@transaction.atomic
def template_upload(
    *, actor: Any, project: Project, kind: str, title: str, file: Any
) -> AgreementTemplate:
    """A new version of the project's template of this kind; earlier versions stay as they
    are (agreements keep the version they were drafted from)."""
    require(actor, Module.AGREEMENTS, Action.APPROVE, project=project)
    errors: dict[str, ValidationError] = {}
    if kind not in AgreementKind.values:
        errors["kind"] = ValidationError(_("Choose the agreement type."), code="required")
    title = (title or "").strip()
    if not title:
        errors["title"] = ValidationError(_("Give the template a title."), code="required")
    if not file:
        errors["file"] = ValidationError(_("Choose the Word file."), code="required")
    if errors:
        raise ValidationError(errors)
    data = _docx_bytes(file)
    used = check_template(project, data)
    AgreementSeries.objects.get_or_create(project=project)
    lock(project.agreement_series)  # one upload at a time per project: versions stay in order
    version = (
        AgreementTemplate.objects.filter(project=project, kind=kind).aggregate(v=Max("version"))[
            "v"
        ]
        or 0
    ) + 1
    previous = list(
        AgreementTemplate.objects.filter(project=project, kind=kind, active=True).values_list(
            "pk", flat=True
        )
    )
    AgreementTemplate.objects.filter(pk__in=previous).update(active=False)
    row = AgreementTemplate(
        project=project,
        kind=kind,
        version=version,
        title=title,
        sha256=documents.sha256(data),
        placeholders=used,
        uploaded_by=actor,
    )
    row.file.save(f"{project.code}-{kind}-v{version}.docx", ContentFile(data), save=False)
    row.save()
    record(
        actor=actor,
        event_type="agreement.template",
        target=row,
        project=project.pk,
        details={
            "kind": kind,
            "version": version,
            "sha256": row.sha256,
            "placeholders": used,
            "replaces": previous,
        },
    )
    return row


def active_template(project_id: int, kind: str) -> AgreementTemplate | None:
    return AgreementTemplate.objects.filter(project_id=project_id, kind=kind, active=True).first()


# --- numbering -------------------------------------------------------------------------------

_TOKEN = re.compile(r"\{(project|year|seq)(?::(\d{1,2}))?\}")


def format_number(pattern: str, *, project_code: str, year: int, seq: int) -> str:
    def sub(match: re.Match[str]) -> str:
        name, width = match.group(1), int(match.group(2) or 0)
        if name == "project":
            return project_code
        if name == "year":
            return str(year)
        return str(seq).zfill(width)

    return _TOKEN.sub(sub, pattern)


def check_pattern(pattern: str) -> str:
    pattern = (pattern or "").strip()
    if not pattern:
        raise _invalid("pattern", _("Give the number pattern."), "required")
    if len(_TOKEN.findall(pattern)) != len(re.findall(r"\{", pattern)) or "}" in _TOKEN.sub(
        "", pattern
    ):
        raise _invalid(
            "pattern",
            _("Only {project}, {year} and {seq} (or {seq:6} for six digits) may stand in braces."),
            "token",
        )
    if sum(1 for m in _TOKEN.finditer(pattern) if m.group(1) == "seq") != 1:
        raise _invalid(
            "pattern", _("The pattern must contain the sequence number {seq} once."), "seq"
        )
    return pattern


def _clash(pattern: str, project: Project, next_number: int) -> str:
    """A number already given that the pattern would give again to a later sequence, if any."""

    def part(match: re.Match[str]) -> str:
        name, width = match.group(1), int(match.group(2) or 0)
        if name == "project":
            return re.escape(project.code)
        if name == "year":
            return r"\d{4}"
        return rf"(?P<seq>\d{{{max(width, 1)},}})"

    pieces, last = [], 0
    for m in _TOKEN.finditer(pattern):
        pieces.append(re.escape(pattern[last : m.start()]))
        pieces.append(part(m))
        last = m.end()
    pieces.append(re.escape(pattern[last:]))
    shape = re.compile("".join(pieces))
    for number in Agreement.objects.filter(project=project).values_list("number", flat=True):
        found = shape.fullmatch(number)
        if found and int(found.group("seq")) >= next_number:
            return number
    return ""


def series(project: Project | int) -> AgreementSeries:
    project_id = project if isinstance(project, int) else project.pk
    row, _created = AgreementSeries.objects.get_or_create(project_id=project_id)
    return row


@transaction.atomic
def pattern_set(*, actor: Any, project: Project, pattern: str) -> AgreementSeries:
    """The number pattern, e.g. XM2026-集-{seq:6}. Numbers already given stay as they are; the
    sequence goes on."""
    require(actor, Module.AGREEMENTS, Action.APPROVE, project=project)
    pattern = check_pattern(pattern)
    row = lock(series(project))
    clash = _clash(pattern, project, row.next_number)
    if clash:
        raise _invalid(
            "pattern",
            _("With this pattern a later agreement would get number %(number)s again.")
            % {"number": clash},
            "reuse",
        )
    old = row.pattern
    if old != pattern:
        row.pattern = pattern
        row.save(update_fields=["pattern"])
        record(
            actor=actor,
            event_type="agreement.pattern",
            target=row,
            project=project.pk,
            changes={"pattern": [old, pattern]},
        )
    return row


def _take(project_id: int, counter: str) -> tuple[int, str]:
    """The next value of a counter of the project's series, taken by one UPDATE (the row stays
    locked until the transaction ends, so concurrent takers queue and none is skipped)."""
    series(project_id)
    AgreementSeries.objects.filter(project_id=project_id).update(**{counter: F(counter) + 1})
    row = AgreementSeries.objects.get(project_id=project_id)
    return getattr(row, counter) - 1, row.pattern


# --- drafting --------------------------------------------------------------------------------


def approvers(calculation: Calculation) -> set[int]:
    """Who approved a step of the calculation's last review chain."""
    transitions = list(calculation.transitions.order_by("created_at", "id"))
    start = max(
        (i for i, t in enumerate(transitions) if t.to_status == CalculationStatus.POLICY_REVIEW),
        default=0,
    )
    return {
        t.actor_id
        for t in transitions[start:]
        if CalculationStatus(t.from_status).in_review
        and t.to_status not in (CalculationStatus.RETURNED, CalculationStatus.SUPERSEDED)
    }


def current_approved() -> QuerySet[Calculation]:
    """Approved calculations that no newer approved one of their household replaces: each
    household's latest approved calculation, the one an agreement is drafted from."""
    newer = Calculation.objects.filter(
        household_id=OuterRef("household_id"),
        status=CalculationStatus.APPROVED,
        number__gt=OuterRef("number"),
    )
    return Calculation.objects.filter(status=CalculationStatus.APPROVED).exclude(Exists(newer))


def _require_current(calculation: Calculation) -> None:
    """Approved, not stale, and no newer approved calculation of the household."""
    if calculation.status != CalculationStatus.APPROVED:
        raise ValidationError(
            _("The calculation is not approved (%(status)s): only an approved one can be used.")
            % {"status": calculation.get_status_display()},
            code="not_approved",
        )
    if compensation.is_stale(calculation):
        raise ValidationError(
            _(
                "Data this calculation used has changed since it was approved: it must be "
                "recalculated and approved again first."
            ),
            code="stale",
        )
    newer = (
        Calculation.objects.filter(
            household_id=calculation.household_id,
            number__gt=calculation.number,
            status=CalculationStatus.APPROVED,
        )
        .values_list("number", flat=True)
        .first()
    )
    if newer is not None:
        raise ValidationError(
            _("Version %(n)d of this household's calculation is approved and replaces this one.")
            % {"n": newer},
            code="outdated",
        )


def kind_for(calculation: Calculation, household: Household) -> str:
    if household.kind == HouseholdKind.NON_RESIDENTIAL:
        return AgreementKind.NON_RESIDENTIAL
    return str(calculation.mode)


def live_main(household: Household | int) -> Agreement | None:
    household_id = household if isinstance(household, int) else household.pk
    return (
        Agreement.objects.filter(household_id=household_id, parent__isnull=True)
        .exclude(status=AgreementStatus.VOID)
        .first()
    )


def _check_draftable(calculation: Calculation, parent: Agreement | None) -> str:
    """The kind of agreement to draft; a ValidationError saying why none can be."""
    household = calculation.household
    _require_current(calculation)
    if parent is None:
        existing = live_main(household)
        if existing is not None:
            raise ValidationError(
                _(
                    "The household already has agreement %(number)s: a correction is a "
                    "supplementary agreement; a mistaken draft must be voided first."
                )
                % {"number": existing.number},
                code="exists",
            )
        return kind_for(calculation, household)
    if parent.household_id != household.pk or not parent.is_main:
        raise ValidationError(_("Choose the household's main agreement."), code="parent")
    if parent.void_requested_at is not None:
        raise ValidationError(
            _("Voiding of agreement %(number)s has been asked for: it is not corrected now.")
            % {"number": parent.number},
            code="parent_void_requested",
        )
    if parent.status not in (AgreementStatus.PENDING, AgreementStatus.EFFECTIVE):
        raise ValidationError(
            _("Only a signed agreement in force is corrected by a supplement."),
            code="parent_not_signed",
        )
    if calculation.number <= parent.calculation.number:
        raise ValidationError(
            _("A supplement needs a newer approved calculation than the agreement's."),
            code="not_newer",
        )
    pending = parent.supplements.filter(status=AgreementStatus.DRAFT).first()
    if pending is not None:
        raise ValidationError(
            _("Supplement %(number)s is drafted and not signed yet.") % {"number": pending.number},
            code="supplement_pending",
        )
    return AgreementKind.SUPPLEMENT


def in_force(parent: Agreement) -> Agreement:
    """The agreement as last corrected: its latest signed supplement, or itself. A new
    supplement states its figures and its difference against this one."""
    last = (
        parent.supplements.filter(status__in=[AgreementStatus.PENDING, AgreementStatus.EFFECTIVE])
        .select_related("calculation")
        .order_by("-sequence")
        .first()
    )
    return last if last is not None else parent


@dataclass
class Draftable:
    calculation: Calculation
    kind: str
    template: AgreementTemplate
    template_bytes: bytes


def _template_for(project_id: int, kind: str) -> AgreementTemplate:
    template = active_template(project_id, kind)
    if template is None:
        raise ValidationError(
            _("The project has no template for the %(kind)s yet: the project manager uploads it.")
            % {"kind": AgreementKind(kind).label},
            code="no_template",
        )
    return template


def _draft(
    *,
    actor: Any,
    calculation: Calculation,
    kind: str,
    template: AgreementTemplate,
    template_bytes: bytes,
    parent: Agreement | None,
) -> Agreement:
    household = calculation.household
    sequence, pattern = _take(household.project_id, "next_number")
    today = timezone.localdate()
    number = format_number(
        pattern, project_code=household.project.code, year=today.year, seq=sequence
    )
    original = in_force(parent) if parent is not None else None
    values = documents.context(
        calculation=calculation,
        number=number,
        kind=kind,
        drafted_on=today,
        original=original,
        catalogue=project_catalogue(household.project_id),
    )
    docx, pdf = documents.render(template_bytes, values, title=number)
    agreement = Agreement(
        project_id=household.project_id,
        household=household,
        calculation=calculation,
        template=template,
        kind=kind,
        parent=parent,
        sequence=sequence,
        number=number,
        total=calculation.total,
        difference=(calculation.total - original.total) if original is not None else None,
        docx_sha256=documents.sha256(docx),
        pdf_sha256=documents.sha256(pdf),
        drafted_by=actor,
    )
    safe = re.sub(r"[^\w.-]+", "_", number)
    agreement.docx.save(f"{safe}.docx", ContentFile(docx), save=False)
    agreement.pdf.save(f"{safe}.pdf", ContentFile(pdf), save=False)
    agreement.save()
    record(
        actor=actor,
        event_type="agreement.draft",
        target=agreement,
        project=household.project_id,
        details={
            "household": household.pk,
            "calculation": calculation.pk,
            "calculation_version": calculation.number,
            "kind": kind,
            "template": template.pk,
            "template_version": template.version,
            "number": number,
            "total": str(calculation.total),
            "difference": str(agreement.difference) if parent is not None else None,
            "docx_sha256": agreement.docx_sha256,
            "pdf_sha256": agreement.pdf_sha256,
        },
    )
    return agreement


@transaction.atomic
def draft(*, actor: Any, calculation: Calculation, parent: Agreement | None = None) -> Agreement:
    """Draft the agreement (or, with `parent`, the supplementary agreement) of an approved
    calculation: the next number, the Word file from the active template, its PDF."""
    household = calculation.household
    require_household(actor, household, Module.AGREEMENTS, Action.CREATE)
    lock(household)
    if parent is not None:
        parent = lock(parent)  # a request to void it waits for this draft, or refuses it
    calculation = Calculation.objects.select_related("household__project", "policy").get(
        pk=calculation.pk
    )
    kind = _check_draftable(calculation, parent)
    template = _template_for(household.project_id, kind)
    with template.file.open("rb") as f:
        template_bytes = f.read()
    return _draft(
        actor=actor,
        calculation=calculation,
        kind=kind,
        template=template,
        template_bytes=template_bytes,
        parent=parent,
    )


# --- signing ---------------------------------------------------------------------------------


@dataclass
class Party:
    """Who signs for the household."""

    capacity: str
    name: str
    id_number: str
    power_of_attorney: Any = None


def _second(moment: dt.datetime) -> dt.datetime:
    """Times of signing are entered to the second: compared with the drafting at that grain."""
    return moment.replace(microsecond=0)


def _check_office(
    agreement: Agreement,
    office: Mapping[str, tuple[Any, dt.datetime | None]],
    signed_at: dt.datetime,
) -> dict[str, ValidationError]:
    household = agreement.household
    errors: dict[str, ValidationError] = {}
    seen: dict[int, str] = {}
    reviewers = approvers(agreement.calculation)
    group = household.work_group
    leader_id = group.leader_id if group is not None else None
    for capacity in OfficeCapacity:
        field = f"office_{capacity.value}"
        user, at = office.get(capacity.value, (None, None))
        if user is None:
            errors[field] = ValidationError(
                _("The %(who)s must sign.") % {"who": capacity.label}, code="required"
            )
            continue
        if at is None or at > timezone.now() or at < _second(agreement.drafted_at):
            errors[field] = ValidationError(
                _("The time of signing must lie between the drafting and now."), code="time"
            )
            continue
        if user.pk in seen:
            errors[field] = ValidationError(
                _("%(name)s already signs as %(other)s: one person signs in one capacity only.")
                % {"name": user.display_name, "other": seen[user.pk]},
                code="twice",
            )
            continue
        seen[user.pk] = str(capacity.label)
        if capacity == OfficeCapacity.GROUP_LEADER and user.pk != leader_id:
            errors[field] = ValidationError(
                _("The leader of the household's work group signs here (none is recorded).")
                if leader_id is None
                else _("Only the leader of the household's work group signs here."),
                code="not_leader",
            )
        elif capacity == OfficeCapacity.CADRE and not holds_role(
            user, RoleCode.COMMUNITY_CADRE, household.project_id, household.work_group_id
        ):
            errors[field] = ValidationError(
                _("This person is not a village or community cadre of the project."),
                code="not_cadre",
            )
        elif capacity == OfficeCapacity.HANDLER and not holds_role(
            user, RoleCode.SIGNING_OFFICER, household.project_id, household.work_group_id
        ):
            errors[field] = ValidationError(
                _("The handler must be a signing officer of the project."), code="not_handler"
            )
        elif capacity == OfficeCapacity.REVIEWER and user.pk not in reviewers:
            errors[field] = ValidationError(
                _("Only someone who approved this calculation signs as reviewer."),
                code="not_reviewer",
            )
    return errors


def _check_party(household: Household, party: Party) -> dict[str, ValidationError]:
    from zhengqian.survey.attachments import JPEG, PDF, PNG, check_upload

    errors: dict[str, ValidationError] = {}
    name, id_number = (party.name or "").strip(), (party.id_number or "").strip().upper()
    if party.capacity == PartyCapacity.HEAD:
        if name == household.head_name and id_number != household.head_id_number.upper():
            errors["party_id_number"] = ValidationError(
                _("The ID number of the head of household is not the one surveyed."),
                code="not_head",
            )
        elif name != household.head_name:
            errors["party_name"] = ValidationError(
                _(
                    "The head of household is %(name)s as surveyed; anyone else signs as a "
                    "representative with a power of attorney."
                )
                % {"name": household.head_name},
                code="not_head",
            )
        return errors
    if party.capacity != PartyCapacity.REPRESENTATIVE:
        errors["party_capacity"] = ValidationError(_("Choose who signs."), code="required")
        return errors
    if not name:
        errors["party_name"] = ValidationError(_("Give the representative's name."), "required")
    try:
        party.id_number = parse_id_number(id_number).number
    except ValidationError as exc:
        errors["party_id_number"] = ValidationError(exc.messages[0], code="id_number")
    if not party.power_of_attorney:
        errors["power_of_attorney"] = ValidationError(
            _("A representative signs only with a power of attorney: upload it."), "required"
        )
    else:
        try:
            if check_upload(party.power_of_attorney) not in (PDF, JPEG, PNG):
                raise ValidationError(_("Upload a PDF or a JPEG or PNG image."), code="type")
        except ValidationError as exc:
            errors["power_of_attorney"] = ValidationError(exc.messages[0], code="type")
    return errors


def _check_scan(scan: Any) -> dict[str, ValidationError]:
    from zhengqian.survey.attachments import JPEG, PDF, PNG, check_upload

    if not scan:
        return {"scan": ValidationError(_("Upload the scan of the signed agreement."), "required")}
    try:
        if check_upload(scan) not in (PDF, JPEG, PNG):
            raise ValidationError(_("Upload a PDF or a JPEG or PNG image."), code="type")
    except ValidationError as exc:
        return {"scan": ValidationError(exc.messages[0], code="type")}
    return {}


def signing_date_check(calculation: Calculation, signed_on: dt.date) -> None:
    """The policy's items counted to the signing date (early-signing incentives) use the real
    date: if the calculation assumed another date and an amount would differ, the calculation
    must be redone with the real date first."""
    inputs = dict(calculation.inputs)
    events = dict(inputs.get("events", {}))
    if events.get("signing") == signed_on.isoformat():
        return
    events["signing"] = signed_on.isoformat()
    inputs["events"] = events
    try:
        result = compensation.evaluate(calculation.policy, inputs)
    except ValidationError as exc:
        raise _invalid(
            "signed_at",
            _("The calculation cannot be checked against the real signing date: %(problem)s")
            % {"problem": " ".join(exc.messages)},
            "signing_date",
        ) from None
    stored = {line.item: line for line in calculation.lines.all()}
    now = {line.item: line for line in result.lines}
    for item in sorted(set(stored) | set(now)):
        old, line = stored.get(item), now.get(item)
        if line is None or old is None:
            message = (
                _(
                    "Signed on %(day)s, the item %(item)s would no longer apply: recalculate "
                    "with the real signing date and have it approved first."
                )
                if line is None
                else _(
                    "Signed on %(day)s, the item %(item)s would apply as well: recalculate "
                    "with the real signing date and have it approved first."
                )
            )
            named = old if old is not None else line
            raise _invalid(
                "signed_at",
                message % {"day": signed_on.isoformat(), "item": named.name},  # type: ignore[union-attr]
                "signing_date",
            )
        if old.exception_id is not None:
            continue
        if old.policy_amount != line.amount:
            raise _invalid(
                "signed_at",
                _(
                    "Signed on %(day)s, %(item)s is %(new)s, not %(old)s as calculated "
                    "(expected signing date %(expected)s): recalculate with the real signing "
                    "date and have it approved first."
                )
                % {
                    "day": signed_on.isoformat(),
                    "item": line.name,
                    "new": documents.money(line.amount),
                    "old": documents.money(old.policy_amount),
                    "expected": calculation.inputs.get("events", {}).get("signing", "—"),
                },
                "signing_date",
            )


@dataclass(frozen=True)
class Rate:
    signed: int
    households: int
    threshold: Decimal
    period_end: dt.date | None

    @property
    def percent(self) -> Decimal:
        if not self.households:
            return Decimal("0.00")
        return (Decimal(self.signed) * 100 / self.households).quantize(Decimal("0.01"))

    @property
    def conditional(self) -> bool:
        return self.threshold > 0

    @property
    def reached(self) -> bool:
        # Compared exactly: signed / households ≥ threshold %.
        return Decimal(self.signed) * 100 >= self.threshold * self.households and self.signed > 0

    def period_over(self, today: dt.date) -> bool:
        """Whether the signing period has ended by `today` (False without an end date)."""
        return self.period_end is not None and today > self.period_end


def signing_rate(project_id: int) -> Rate:
    """Households with a signed main agreement (not void) out of the project's households,
    and the policy's condition."""
    policy = compensation.current_policy(project_id)
    signed = (
        Agreement.objects.filter(project_id=project_id, parent__isnull=True)
        .filter(
            status__in=[AgreementStatus.PENDING, AgreementStatus.EFFECTIVE, AgreementStatus.LAPSED]
        )
        .count()
    )
    return Rate(
        signed=signed,
        households=Household.objects.filter(project_id=project_id).count(),
        threshold=policy.effect_threshold if policy else Decimal("0.00"),
        period_end=policy.signing_period_end if policy else None,
    )


def _period_over(rate: Rate, today: dt.date) -> bool:
    return rate.conditional and rate.period_over(today)


@transaction.atomic
def sign(
    *,
    actor: Any,
    agreement: Agreement,
    signed_at: dt.datetime | None,
    party: Party,
    office: Mapping[str, tuple[Any, dt.datetime | None]],
    scan: Any,
) -> Agreement:
    """Record the signing: the household's signatory, the four office signatures, the scan.
    The signing date and the signing order number are given now, in the order of signing."""
    household = agreement.household
    require_household(actor, household, Module.AGREEMENTS, Action.CHANGE)
    lock(household)
    agreement = lock(agreement)
    if agreement.status != AgreementStatus.DRAFT:
        raise ValidationError(
            _("Agreement %(number)s is %(status)s: a signed agreement is not changed.")
            % {"number": agreement.number, "status": agreement.get_status_display()},
            code="not_draft",
        )
    if agreement.void_requested_at is not None:
        raise ValidationError(
            _("Voiding of this agreement has been asked for: it cannot be signed."),
            code="void_requested",
        )
    _require_current(agreement.calculation)
    errors: dict[str, ValidationError] = {}
    now = timezone.now()
    if signed_at is None or signed_at > now or signed_at < _second(agreement.drafted_at):
        errors["signed_at"] = ValidationError(
            _("The time of signing must lie between the drafting and now."), code="time"
        )
    errors.update(_check_party(household, party))
    errors.update(_check_office(agreement, office, signed_at or now))
    errors.update(_check_scan(scan))
    if errors or signed_at is None:
        raise ValidationError(errors)
    signed_on = timezone.localtime(signed_at).date()
    signing_date_check(agreement.calculation, signed_on)
    rate = signing_rate(agreement.project_id)
    state = series(agreement.project_id)
    if (
        rate.conditional
        and state.effective_since is None
        and (state.lapsed_on is not None or (_period_over(rate, signed_on) and not rate.reached))
    ):
        raise ValidationError(
            _(
                "The signing period ended on %(day)s below the required signing rate: the "
                "project's agreements have lapsed and no more can be signed."
            )
            % {"day": rate.period_end},
            code="lapsed",
        )
    parent = lock(agreement.parent) if agreement.parent is not None else None
    if parent is not None and parent.status not in (
        AgreementStatus.PENDING,
        AgreementStatus.EFFECTIVE,
    ):
        raise ValidationError(
            _("Agreement %(number)s, which this supplement corrects, is %(status)s.")
            % {"number": parent.number, "status": parent.get_status_display()},
            code="parent_not_in_force",
        )
    if agreement.is_main:
        order, _pattern = _take(agreement.project_id, "next_order")
        # The series row is now locked: the order numbers follow the times of signing.
        last = (
            Agreement.objects.filter(project_id=agreement.project_id, signing_order__isnull=False)
            .aggregate(at=Max("signed_at"))
            .get("at")
        )
        if last is not None and signed_at < last:
            raise _invalid(
                "signed_at",
                _(
                    "An agreement of the project was signed later, at %(last)s: signings are "
                    "recorded in the order they happen, as the signing order numbers follow it."
                )
                % {"last": timezone.localtime(last).strftime("%Y-%m-%d %H:%M")},
                "order",
            )
        agreement.signing_order = order
    agreement.signed_at = signed_at
    agreement.signed_on = signed_on
    agreement.recorded_by = actor
    agreement.scan_sha256 = documents.sha256(scan.read())
    scan.seek(0)
    agreement.scan = scan
    if agreement.is_main:
        in_force_now = not rate.conditional or state.effective_since is not None
        agreement.status = AgreementStatus.EFFECTIVE if in_force_now else AgreementStatus.PENDING
    else:
        assert parent is not None  # a supplement
        agreement.status = parent.status
    if agreement.status == AgreementStatus.EFFECTIVE:
        agreement.effective_on = signed_on
    agreement.save()
    HouseholdSignatory.objects.create(
        agreement=agreement,
        capacity=party.capacity,
        name=party.name.strip(),
        id_number=party.id_number.strip().upper(),
        power_of_attorney=party.power_of_attorney or "",
    )
    OfficeSignature.objects.bulk_create(
        [
            OfficeSignature(agreement=agreement, capacity=capacity, user=user, signed_at=at)
            for capacity, (user, at) in office.items()
            if at is not None  # checked above: every capacity has its time
        ]
    )
    record(
        actor=actor,
        event_type="agreement.sign",
        target=agreement,
        project=agreement.project_id,
        changes={"status": [AgreementStatus.DRAFT.value, agreement.status]},
        details={
            "signed_at": signed_at.isoformat(),
            "signing_order": agreement.signing_order,
            "party": party.capacity,
            "office": {c: user.pk for c, (user, _at) in office.items()},
            "scan_sha256": agreement.scan_sha256,
        },
    )
    if agreement.status == AgreementStatus.EFFECTIVE:
        hooks.notify("agreement.effective", agreements=[agreement], actor=actor)
    if agreement.is_main and agreement.status == AgreementStatus.PENDING:
        settle(project_id=agreement.project_id, today=signed_on, actor=actor)
        agreement.refresh_from_db()
    return agreement


# --- effectiveness ---------------------------------------------------------------------------


@transaction.atomic
def settle(*, project_id: int, today: dt.date | None = None, actor: Any = None) -> str:
    """Bring the project's pending agreements to their state: all effective at once when the
    signing rate has reached the policy's threshold within the signing period, all lapsed
    when the period has ended below it. What happened is kept on the project's series, so a
    later void (the rate falls) or a signing after the period keeps to it. Idempotent; run at
    each signing and daily."""
    today = today or timezone.localdate()
    rate = signing_rate(project_id)
    state = lock(series(project_id))
    pending = Agreement.objects.filter(project_id=project_id, status=AgreementStatus.PENDING)
    changed = False
    if not rate.conditional or state.effective_since is not None:
        to, day = AgreementStatus.EFFECTIVE, today
    elif state.lapsed_on is None and rate.reached and not _period_over(rate, today):
        to, day = AgreementStatus.EFFECTIVE, today
        state.effective_since = today
        state.save(update_fields=["effective_since"])
        changed = True
    elif state.lapsed_on is None and _period_over(rate, today):
        assert rate.period_end is not None  # _period_over needs it
        to, day = AgreementStatus.LAPSED, rate.period_end + dt.timedelta(days=1)
        state.lapsed_on = day
        state.save(update_fields=["lapsed_on"])
        changed = True
    else:
        return ""
    ids, numbers = [], []
    for pk, number in pending.order_by("sequence").values_list("pk", "number"):
        ids.append(pk)
        numbers.append(number)
    if not numbers and not changed:
        return ""
    # A plain UPDATE sends no signal: the dashboard's progress is told of the households.
    households = list(pending.values_list("household_id", flat=True))
    if to == AgreementStatus.EFFECTIVE:
        pending.update(status=to, effective_on=day)
        hooks.notify(
            "agreement.effective",
            agreements=list(Agreement.objects.filter(pk__in=ids).order_by("sequence")),
            actor=actor,
        )
    else:
        pending.update(status=to, lapsed_on=day)
    progress.touch(households)
    record(
        actor=actor,
        actor_name="" if actor is not None else "system",
        event_type="agreement.effective" if to == AgreementStatus.EFFECTIVE else "agreement.lapse",
        target_type="projects.project",
        target_id=str(project_id),
        project=project_id,
        details={
            "agreements": numbers,
            "signed": rate.signed,
            "households": rate.households,
            "rate": str(rate.percent),
            "threshold": str(rate.threshold),
            "period_end": str(rate.period_end) if rate.period_end else None,
            "on": day.isoformat(),
        },
    )
    return str(to)


def settle_if_due(project_id: int) -> None:
    """Settle the project when it has pending agreements: the pages call it before showing
    them, so that a lapse is shown on the day it happens even before the daily run."""
    if Agreement.objects.filter(project_id=project_id, status=AgreementStatus.PENDING).exists():
        settle(project_id=project_id)


# --- supplements and voiding -----------------------------------------------------------------


def _require_last_supplement(agreement: Agreement) -> None:
    """A supplement states its difference against the one before it: only the latest one of
    an agreement can be voided, else the next one's difference would no longer hold."""
    if agreement.parent_id is None:
        return
    later = (
        Agreement.objects.filter(parent_id=agreement.parent_id, sequence__gt=agreement.sequence)
        .exclude(status=AgreementStatus.VOID)
        .order_by("sequence")
        .first()
    )
    if later is not None:
        raise ValidationError(
            _("Supplement %(later)s was drafted after this one: void it first.")
            % {"later": later.number},
            code="later_supplement",
        )


@transaction.atomic
def void_request(*, actor: Any, agreement: Agreement, reason: str) -> Agreement:
    """A signing officer asks for the agreement to be voided, with the reason."""
    require_household(actor, agreement.household, Module.AGREEMENTS, Action.CHANGE)
    agreement = lock(agreement)
    if agreement.status == AgreementStatus.VOID:
        raise ValidationError(_("The agreement is already void."), code="void")
    if agreement.void_requested_at is not None:
        raise ValidationError(_("Voiding has already been asked for."), code="requested")
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("Give the reason for voiding."), "required")
    live = agreement.supplements.exclude(status=AgreementStatus.VOID).first()
    if live is not None:
        raise ValidationError(
            _("Supplement %(number)s corrects this agreement: void it first.")
            % {"number": live.number},
            code="supplements",
        )
    _require_last_supplement(agreement)
    hooks.check("agreement.void", agreement=agreement)
    agreement.void_reason = reason[:500]
    agreement.void_requested_by = actor
    agreement.void_requested_at = timezone.now()
    agreement.save(update_fields=["void_reason", "void_requested_by", "void_requested_at"])
    record(
        actor=actor,
        event_type="agreement.void_request",
        target=agreement,
        project=agreement.project_id,
        details={"reason": agreement.void_reason},
    )
    return agreement


def void_decide(*, actor: Any, agreement: Agreement, approve: bool, password: str) -> Agreement:
    """The project manager approves (or refuses) a request to void, with the password again.
    A void agreement keeps its number; the number is never given again. A wrong password is
    recorded (outside the refused transaction, so that the record stays)."""
    require(actor, Module.AGREEMENTS, Action.APPROVE, project=agreement.project_id)
    confirm_password(
        actor, password, target=agreement, project=agreement.project_id, action="agreement.void"
    )
    return _void_decide(actor=actor, agreement=agreement, approve=approve)


@transaction.atomic
def _void_decide(*, actor: Any, agreement: Agreement, approve: bool) -> Agreement:
    agreement = lock(agreement)
    if agreement.void_requested_at is None or agreement.status == AgreementStatus.VOID:
        raise ValidationError(_("No request to void this agreement is waiting."), code="none")
    live = agreement.supplements.exclude(status=AgreementStatus.VOID).first()
    if approve and live is not None:
        raise ValidationError(
            _("Supplement %(number)s corrects this agreement: void it first.")
            % {"number": live.number},
            code="supplements",
        )
    if agreement.void_requested_by_id == actor.pk:
        raise AccessDenied(
            _("Whoever asked for voiding cannot approve it."),
            module=Module.AGREEMENTS.value,
            action=Action.APPROVE.value,
            project_id=agreement.project_id,
        )
    old = agreement.status
    if approve:
        _require_last_supplement(agreement)
        hooks.check("agreement.void", agreement=agreement)
        agreement.status = AgreementStatus.VOID
        agreement.voided_by = actor
        agreement.voided_at = timezone.now()
        agreement.save(update_fields=["status", "voided_by", "voided_at"])
    else:
        reason = agreement.void_reason
        agreement.void_reason = ""
        agreement.void_requested_by = None
        agreement.void_requested_at = None
        agreement.save(update_fields=["void_reason", "void_requested_by", "void_requested_at"])
    record(
        actor=actor,
        event_type="agreement.void" if approve else "agreement.void_refused",
        target=agreement,
        project=agreement.project_id,
        changes={"status": [old, agreement.status]} if approve else None,
        details={"reason": agreement.void_reason if approve else reason},
    )
    if approve:
        hooks.notify("agreement.void", agreement=agreement, actor=actor)
    return agreement
