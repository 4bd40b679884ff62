"""Valuation (评估作业): appraisal firms, the choice of a project's firm, per-household valuations,
their publication and reports, and the objections to them (复核, 鉴定).

DESIGN.md §3: the firm is chosen by the owners by negotiation, else by majority vote or by random
draw; a household may apply for a re-assessment (复核) by the firm within 10 days of receiving its
report, answered within 10 days, then for an expert appraisal (鉴定), 10 days each again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# Money: 14 digits (to 999,999,999,999.99 yuan); unit prices: 12; areas and quantities: 10.
_NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


class QualificationGrade(models.TextChoices):
    GRADE_1 = "1", _("Grade 1 (一级)")
    GRADE_2 = "2", _("Grade 2 (二级)")
    GRADE_3 = "3", _("Grade 3 (三级)")


class AppraisalFirm(models.Model):
    """A real-estate appraisal firm (房地产价格评估机构) in the register."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    grade = models.CharField(
        _("qualification grade"), max_length=2, choices=QualificationGrade.choices
    )
    certificate_no = models.CharField(_("qualification certificate number"), max_length=60)
    valid_until = models.DateField(_("qualification valid until"))
    contact_person = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("appraisal firm")
        verbose_name_plural = _("appraisal firms")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["certificate_no"], name="uniq_firm_certificate"),
            models.CheckConstraint(
                condition=models.Q(grade__in=QualificationGrade.values), name="firm_grade_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def qualified_on(self, day: dt.date) -> bool:
        return self.valid_until >= day


class Valuer(models.Model):
    """A user who works for an appraisal firm (估价师); linked to exactly one firm."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="valuer",
        verbose_name=_("user"),
    )
    firm = models.ForeignKey(
        AppraisalFirm, on_delete=models.PROTECT, related_name="valuers", verbose_name=_("firm")
    )
    registration_no = models.CharField(_("registered valuer number"), max_length=60, blank=True)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("valuer")
        verbose_name_plural = _("valuers")
        ordering = ["firm", "user__full_name"]

    def __str__(self) -> str:
        return f"{self.user} ({self.firm})"


class SelectionMethod(models.TextChoices):
    NEGOTIATION = "negotiation", _("Negotiation (协商选定)")
    VOTE = "vote", _("Majority vote (多数决定)")
    DRAW = "draw", _("Random draw (随机选定)")


class SelectionStatus(models.TextChoices):
    OPEN = "open", _("Under way")
    DECIDED = "decided", _("Firm chosen")
    FAILED = "failed", _("Not valid")


class FirmSelection(models.Model):
    """How a project's appraisal firm was chosen (DESIGN.md §3, 条例 art. 20)."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="firm_selections",
        verbose_name=_("project"),
    )
    method = models.CharField(_("method"), max_length=16, choices=SelectionMethod.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=SelectionStatus.choices, default=SelectionStatus.OPEN
    )
    firm = models.ForeignKey(
        AppraisalFirm,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="selections",
        verbose_name=_("chosen firm"),
    )
    record = models.TextField(
        _("record"), blank=True, help_text=_("The record of the negotiation, vote or draw.")
    )
    document = models.FileField(
        _("document"), upload_to="valuation/selections/%Y/%m/", blank=True, max_length=200
    )
    reports_due_on = models.DateField(
        _("reports due on"),
        null=True,
        blank=True,
        help_text=_("The date by which the firm is to issue the household reports."),
    )
    households_total = models.PositiveIntegerField(_("households entitled to vote"), default=0)
    votes_cast = models.PositiveIntegerField(_("votes cast"), default=0)
    outcome = models.TextField(_("outcome"), blank=True)
    draw = models.OneToOneField(
        "core.Draw",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="firm_selection",
        verbose_name=_("draw"),
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("firm selection")
        verbose_name_plural = _("firm selections")
        ordering = ["project", "-created_at"]
        constraints = [
            # A project has one appraisal firm, and one selection under way at a time.
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(status="decided"),
                name="uniq_project_decided_firm",
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(status="open"),
                name="uniq_project_open_selection",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="decided") | models.Q(firm__isnull=False),
                name="selection_decided_has_firm",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.get_method_display()}"


class SelectionCandidate(models.Model):
    selection = models.ForeignKey(
        FirmSelection, on_delete=models.CASCADE, related_name="candidates"
    )
    firm = models.ForeignKey(AppraisalFirm, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        verbose_name = _("candidate firm")
        ordering = ["selection", "position"]
        constraints = [
            models.UniqueConstraint(fields=["selection", "firm"], name="uniq_selection_firm"),
            models.UniqueConstraint(
                fields=["selection", "position"], name="uniq_selection_position"
            ),
        ]

    def __str__(self) -> str:
        return str(self.firm)


class FirmVote(models.Model):
    """One household's vote in a majority vote: at most one per household."""

    selection = models.ForeignKey(FirmSelection, on_delete=models.CASCADE, related_name="votes")
    household = models.ForeignKey("survey.Household", on_delete=models.CASCADE, related_name="+")
    firm = models.ForeignKey(AppraisalFirm, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("vote")
        constraints = [
            models.UniqueConstraint(
                fields=["selection", "household"], name="uniq_vote_per_household"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} → {self.firm_id}"


class ValuationStatus(models.TextChoices):
    DRAFT = "draft", _("Being entered")
    CONFIRMED = "confirmed", _("Confirmed by the valuer")
    ISSUED = "issued", _("Report issued")


def report_path(instance: Valuation, filename: str) -> str:
    return f"valuation/reports/{instance.household.project_id}/{uuid.uuid4().hex}.pdf"


class Valuation(models.Model):
    """The appraisal of one household: its buildings, decoration, ancillaries, business loss."""

    household = models.OneToOneField(
        "survey.Household",
        on_delete=models.CASCADE,
        related_name="valuation",
        verbose_name=_("household"),
    )
    firm = models.ForeignKey(
        AppraisalFirm, on_delete=models.PROTECT, related_name="valuations", verbose_name=_("firm")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ValuationStatus.choices, default=ValuationStatus.DRAFT
    )
    report_no = models.CharField(_("report number"), max_length=60, blank=True)
    valuation_date = models.DateField(
        _("valuation date"),
        null=True,
        blank=True,
        help_text=_("价值时点: the date the expropriation decision was announced."),
    )
    business_loss = models.DecimalField(
        _("business stoppage loss"),
        default=Decimal("0.00"),
        validators=_NOT_NEGATIVE,
        max_digits=14,
        decimal_places=2,
    )
    business_loss_basis = models.CharField(
        _("basis of the business stoppage loss"), max_length=300, blank=True
    )
    buildings_total = models.DecimalField(
        _("value of the buildings"), default=Decimal("0.00"), max_digits=14, decimal_places=2
    )
    decoration_total = models.DecimalField(
        _("decoration"), default=Decimal("0.00"), max_digits=14, decimal_places=2
    )
    ancillaries_total = models.DecimalField(
        _("ancillaries"), default=Decimal("0.00"), max_digits=14, decimal_places=2
    )
    total = models.DecimalField(
        _("total value"), default=Decimal("0.00"), max_digits=14, decimal_places=2
    )
    # Raised by one every time an issued valuation's figures change (after an objection).
    version = models.PositiveIntegerField(_("version"), default=1)
    # The version the issued report shows; a report older than the figures is issued again.
    report_version = models.PositiveIntegerField(_("version of the issued report"), default=0)
    reopened_by = models.ForeignKey(
        "valuation.Objection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reopened by objection"),
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    publication = models.ForeignKey(
        "valuation.Publication",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published in"),
    )
    report_file = models.FileField(_("report"), upload_to=report_path, blank=True, max_length=200)
    report_generated = models.BooleanField(_("report generated by the system"), default=False)
    report_sha256 = models.CharField(_("checksum of the report"), max_length=64, blank=True)
    issued_on = models.DateField(_("report issued on"), null=True, blank=True)
    first_issued_on = models.DateField(_("first report issued on"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    delivered_on = models.DateField(_("report received by the household on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("valuation")
        verbose_name_plural = _("valuations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ValuationStatus.values),
                name="valuation_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(business_loss__gte=0), name="valuation_business_loss"
            ),
            models.UniqueConstraint(
                fields=["firm", "report_no"],
                condition=~models.Q(report_no=""),
                name="uniq_valuation_report_no",
            ),
        ]
        indexes = [models.Index(fields=["firm", "status"], name="valuation_firm_status")]

    def __str__(self) -> str:
        return f"{self.household} · {self.total}"


class BuildingValuation(models.Model):
    """The assessed unit price and value of one building; value = area × unit price, to the fen."""

    valuation = models.ForeignKey(
        Valuation, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("valuation")
    )
    building = models.OneToOneField(
        "survey.Building",
        on_delete=models.CASCADE,
        related_name="valuation",
        verbose_name=_("building"),
    )
    area = models.DecimalField(
        _("assessed area (m²)"), validators=_NOT_NEGATIVE, max_digits=10, decimal_places=2
    )
    unit_price = models.DecimalField(
        _("unit price (元/m²)"), validators=_NOT_NEGATIVE, max_digits=12, decimal_places=2
    )
    value = models.DecimalField(
        _("value"), validators=_NOT_NEGATIVE, max_digits=14, decimal_places=2
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("building valuation")
        verbose_name_plural = _("building valuations")
        ordering = ["valuation", "building__number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(area__gte=0, unit_price__gte=0, value__gte=0),
                name="building_valuation_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.building} {self.value}"


class DecorationItem(models.Model):
    """One decoration (装修) item valued, of a building or of the household as a whole."""

    valuation = models.ForeignKey(
        Valuation,
        on_delete=models.CASCADE,
        related_name="decorations",
        verbose_name=_("valuation"),
    )
    building = models.ForeignKey(
        "survey.Building",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )
    description = models.CharField(_("item"), max_length=200)
    amount = models.DecimalField(
        _("amount"), validators=_NOT_NEGATIVE, max_digits=14, decimal_places=2
    )

    class Meta:
        verbose_name = _("decoration item")
        verbose_name_plural = _("decoration items")
        ordering = ["valuation", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="decoration_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"


class AncillaryValuation(models.Model):
    """One ancillary valued per item: quantity × unit price = value, to the fen."""

    valuation = models.ForeignKey(
        Valuation,
        on_delete=models.CASCADE,
        related_name="ancillaries",
        verbose_name=_("valuation"),
    )
    ancillary = models.OneToOneField(
        "survey.Ancillary",
        on_delete=models.CASCADE,
        related_name="valuation",
        verbose_name=_("ancillary"),
    )
    quantity = models.DecimalField(
        _("quantity"), validators=_NOT_NEGATIVE, max_digits=10, decimal_places=2
    )
    unit_price = models.DecimalField(
        _("unit price"), validators=_NOT_NEGATIVE, max_digits=12, decimal_places=2
    )
    value = models.DecimalField(
        _("value"), validators=_NOT_NEGATIVE, max_digits=14, decimal_places=2
    )

    class Meta:
        verbose_name = _("ancillary valuation")
        verbose_name_plural = _("ancillary valuations")
        ordering = ["valuation", "ancillary_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0, unit_price__gte=0, value__gte=0),
                name="ancillary_valuation_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ancillary} {self.value}"


class Publication(models.Model):
    """A publication of the preliminary valuation results of a project (评估结果公示)."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="valuation_publications",
        verbose_name=_("project"),
    )
    number = models.PositiveIntegerField(_("number"))
    published_on = models.DateField(_("published on"))
    until = models.DateField(_("published until"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The published list as it was: [{code, head (masked), buildings area, total, firm}, …].
    rows = models.JSONField(_("published list"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("valuation publication")
        verbose_name_plural = _("valuation publications")
        ordering = ["project", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="uniq_publication_number"),
        ]

    def __str__(self) -> str:
        return f"{self.project} #{self.number}"


class ObjectionKind(models.TextChoices):
    REVIEW = "review", _("Re-assessment by the firm (复核)")
    APPRAISAL = "appraisal", _("Expert appraisal (鉴定)")


class ObjectionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the answer")
    ANSWERED = "answered", _("Answered")


class ObjectionOutcome(models.TextChoices):
    UPHELD = "upheld", _("Original value upheld (维持)")
    REVISED = "revised", _("Value changed (调整)")


class Objection(models.Model):
    """A household's objection to its valuation: 复核 by the firm, then 鉴定 by the experts."""

    valuation = models.ForeignKey(
        Valuation, on_delete=models.CASCADE, related_name="objections", verbose_name=_("valuation")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ObjectionKind.choices)
    applied_on = models.DateField(_("applied on"))
    apply_deadline = models.DateField(_("last day to apply"))
    answer_deadline = models.DateField(_("last day to answer"))
    grounds = models.TextField(_("grounds"))
    application = models.FileField(
        _("application"), upload_to="valuation/objections/%Y/%m/", blank=True, max_length=200
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    total_before = models.DecimalField(_("value before"), max_digits=14, decimal_places=2)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ObjectionStatus.choices,
        default=ObjectionStatus.PENDING,
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ObjectionOutcome.choices, blank=True
    )
    answer = models.TextField(_("answer"), blank=True)
    answer_document = models.FileField(
        _("answer document"),
        upload_to="valuation/objections/%Y/%m/",
        blank=True,
        max_length=200,
    )
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    total_after = models.DecimalField(
        _("value after"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    delivered_on = models.DateField(_("answer received by the household on"), null=True, blank=True)

    class Meta:
        verbose_name = _("valuation objection")
        verbose_name_plural = _("valuation objections")
        ordering = ["valuation", "applied_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["valuation", "kind"], name="uniq_objection_kind"),
            models.CheckConstraint(
                condition=models.Q(applied_on__lte=models.F("apply_deadline")),
                name="objection_applied_in_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.valuation.household} · {self.get_kind_display()}"

    @property
    def answered_late(self) -> bool:
        return self.answered_on is not None and self.answered_on > self.answer_deadline


from zhengqian.valuation.models_import import ValuationImport  # noqa: E402,F401
