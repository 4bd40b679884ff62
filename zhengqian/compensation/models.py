"""Compensation policy (补偿方案) and calculation (核算单) records.

A policy belongs to a project and is versioned: drafted, checked against example households,
published (frozen), and superseded by a newer version for calculations made after it. Its items
are data evaluated by zhengqian.compensation.engine; nothing a user types is run as code.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengqian.compensation.engine import Category, Mode
from zhengqian.core.models import BackgroundBatch


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", pgettext_lazy("policy", "Published")


class EntitlementBasis(models.TextChoices):
    LICENSED = "licensed", _("Licensed area")
    LEGAL = "legal", _("Licensed and recognised unlicensed area")
    PER_PERSON = "per_person", _("Area per eligible person")


class Policy(models.Model):
    """One version of a project's compensation policy."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="policies",
        verbose_name=_("project"),
    )
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT
    )
    notes = models.TextField(_("notes"), blank=True)
    # Property exchange (产权调换).
    entitlement_basis = models.CharField(
        _("entitled area"),
        max_length=16,
        choices=EntitlementBasis.choices,
        default=EntitlementBasis.LICENSED,
    )
    area_per_person = models.DecimalField(
        _("area per eligible person (m²)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    entitled_price = models.DecimalField(
        _("price within the entitlement (元/m²)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    above_price = models.DecimalField(
        _("price above the entitlement (元/m²)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    below_price = models.DecimalField(
        _("price of the entitlement not used (元/m²)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    # Housing voucher (房票).
    voucher_premium = models.DecimalField(
        _("voucher premium (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    voucher_validity_months = models.PositiveSmallIntegerField(
        _("voucher validity (months)"), default=12
    )
    # Review: above this total, or with an exception, the leader approves.
    leader_threshold = models.DecimalField(
        _("leader approval above (元)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    # Agreements (旧城区改建): signed agreements take effect only once this share of the
    # project's households has signed within the signing period; 0: effective when signed.
    effect_threshold = models.DecimalField(
        _("agreements take effect at a signing rate of (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("0: each agreement takes effect when it is signed."),
    )
    signing_period_end = models.DateField(_("end of the signing period"), null=True, blank=True)
    # Payments (资金拨付): this share of an agreement is paid once it takes effect, the rest
    # once vacating is accepted; each instalment within the days given of its condition.
    payment_first_percent = models.DecimalField(
        _("paid when the agreement takes effect (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("100.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("The rest is paid once vacating is accepted; 100: all at once."),
    )
    payment_due_days = models.PositiveSmallIntegerField(
        _("days to pay an instalment after its condition"), default=15
    )
    # Holdouts (拔钉清零): a household signed and not vacated this many days after its
    # agreement took effect is on the holdout list.
    vacate_within_days = models.PositiveSmallIntegerField(
        _("days to vacate after the agreement takes effect"), default=30
    )
    # Resettlement flats (安置房): the flat combinations a household may choose fit its entitled
    # area within these tolerances (上靠 above, 下靠 below); the number of flats grows by one
    # per `flat_step_area` of entitlement, up to `max_flats`.
    fit_above = models.DecimalField(
        _("a choice may exceed the entitlement by (m², 上靠)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("15.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    fit_below = models.DecimalField(
        _("a choice may fall short of the entitlement by (m², 下靠)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("15.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    flat_step_area = models.DecimalField(
        _("entitled area per flat (m²)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("90.00"),
        validators=[MinValueValidator(Decimal("1"))],
        help_text=_("A household may choose one flat per this much entitled area (at least one)."),
    )
    max_flats = models.PositiveSmallIntegerField(_("most flats per household"), default=2)
    # Transition fees (过渡费): monthly, per m² of entitled area (at least the minimum), from
    # the month of moving out until `transition_after_handover_months` after the flats are
    # handed over; multiplied by `transition_late_factor` for the months after the promised
    # handover date.
    transition_rate = models.DecimalField(
        _("transition fee (元/m² per month)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    transition_minimum = models.DecimalField(
        _("least transition fee per month (元)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    transition_after_handover_months = models.PositiveSmallIntegerField(
        _("transition fee paid for months after handover"), default=6
    )
    transition_late_factor = models.DecimalField(
        _("transition fee factor when handover is late"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("2.00"),
        validators=[MinValueValidator(Decimal("1"))],
    )
    # Housing vouchers (房票): cashing the unused balance, and paying developers.
    voucher_cash_allowed = models.BooleanField(
        _("the unused balance of a voucher may be cashed"), default=True
    )
    voucher_cash_full_percent = models.DecimalField(
        # xgettext:no-python-format
        _("cashed at face value up to (% of the face value)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    voucher_cash_rate = models.DecimalField(
        _("the rest of the balance cashed at (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("90.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    voucher_cash_forfeits_premium = models.BooleanField(
        _("cashing forfeits the voucher premium"), default=True
    )
    voucher_developer_first_percent = models.DecimalField(
        _("paid to the developer when the purchase contract is filed (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("50.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("The rest is paid when the flat's title is registered to the household."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("compensation policy")
        verbose_name_plural = _("compensation policies")
        ordering = ["project", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="uniq_policy_version"),
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(status="draft"),
                name="uniq_policy_draft",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PolicyStatus.values), name="policy_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · v{self.version}"

    @property
    def frozen(self) -> bool:
        return self.status == PolicyStatus.PUBLISHED


CATEGORY_CHOICES = [
    (Category.HOUSE_VALUE, _("House value")),
    (Category.DECORATION, _("Decoration")),
    (Category.ANCILLARIES, _("Ancillaries")),
    (Category.MOVING, _("Moving fee")),
    (Category.TRANSITION, _("Transition fee")),
    (Category.BUSINESS_LOSS, _("Business stoppage loss")),
    (Category.INCENTIVE, _("Incentive")),
    (Category.SUBSIDY, _("Subsidy")),
    (Category.LAND, _("Land compensation")),
    (Category.RESETTLEMENT_SUBSIDY, _("Resettlement subsidy")),
]
MODE_CHOICES = [
    (Mode.CASH, _("Cash compensation (货币补偿)")),
    (Mode.EXCHANGE, _("Property exchange (产权调换)")),
    (Mode.VOUCHER, _("Housing voucher (房票)")),
]


class PolicyItem(models.Model):
    """One item of a policy: category, rule (engine data), conditions, limits."""

    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="items", verbose_name=_("policy")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=24, choices=CATEGORY_CHOICES)
    rule = models.JSONField(_("rule"))
    modes = models.JSONField(_("resettlement modes"), default=list, blank=True)
    kinds = models.JSONField(_("household kinds"), default=list, blank=True)
    minimum = models.DecimalField(
        _("minimum"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    maximum = models.DecimalField(
        _("maximum"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("policy item")
        verbose_name_plural = _("policy items")
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "code"], name="uniq_policy_item_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CalculationStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    POLICY_REVIEW = "policy_review", _("Waiting for the policy review")
    ACCOUNTING_REVIEW = "accounting_review", _("Waiting for the accounting review")
    LEADER_REVIEW = "leader_review", _("Waiting for the leader")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")
    SUPERSEDED = "superseded", _("Superseded")

    @property
    def editable(self) -> bool:
        return self in (CalculationStatus.DRAFT, CalculationStatus.RETURNED)

    @property
    def in_review(self) -> bool:
        return self in (
            CalculationStatus.POLICY_REVIEW,
            CalculationStatus.ACCOUNTING_REVIEW,
            CalculationStatus.LEADER_REVIEW,
        )


class CollectiveDecision(models.Model):
    """A collective decision (会议纪要) that allows a line to depart from the policy."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="collective_decisions",
        verbose_name=_("project"),
    )
    meeting_date = models.DateField(_("meeting date"))
    participants = models.TextField(_("participants"))
    decision = models.TextField(_("decision"))
    document = models.FileField(
        _("minutes"), upload_to="compensation/decisions/%Y/%m/", max_length=200
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("collective decision")
        verbose_name_plural = _("collective decisions")
        ordering = ["project", "-meeting_date"]

    def __str__(self) -> str:
        return f"{self.meeting_date} {self.decision[:40]}"


class Calculation(models.Model):
    """One household's itemised compensation, under one policy version and one mode."""

    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.CASCADE,
        related_name="calculations",
        verbose_name=_("household"),
    )
    number = models.PositiveIntegerField(_("version"))
    policy = models.ForeignKey(
        Policy, on_delete=models.PROTECT, related_name="calculations", verbose_name=_("policy")
    )
    mode = models.CharField(_("resettlement mode"), max_length=16, choices=MODE_CHOICES)
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=CalculationStatus.choices,
        default=CalculationStatus.DRAFT,
    )
    # Everything the lines were computed from, with its source, as it was: recalculating from
    # these inputs and the policy version gives the same lines to the fen.
    inputs = models.JSONField(_("inputs"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    totals = models.JSONField(_("totals by category"), default=dict)
    # Property exchange: the new flats' area and the difference paid (+) or received (−).
    exchange_area = models.DecimalField(
        _("area of the new flats (m²)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    exchange_balance = models.DecimalField(
        _("difference to settle"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    voucher_value = models.DecimalField(
        _("voucher face value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    needs_leader = models.BooleanField(_("needs the leader's approval"), default=False)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("calculated at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calculation")
        verbose_name_plural = _("calculations")
        ordering = ["household", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["household", "number"], name="uniq_calculation_number"),
            models.CheckConstraint(
                condition=models.Q(status__in=CalculationStatus.values),
                name="calculation_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="calculation_status")]

    def __str__(self) -> str:
        return f"{self.household} #{self.number} {self.total}"


class CalculationLine(models.Model):
    calculation = models.ForeignKey(
        Calculation, on_delete=models.CASCADE, related_name="lines", verbose_name=_("calculation")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    item = models.CharField(_("item"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=24, choices=CATEGORY_CHOICES)
    rule = models.CharField(_("rule"), max_length=300)
    inputs = models.JSONField(_("inputs"), default=list)
    policy_amount = models.DecimalField(_("amount by the policy"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    limited = models.CharField(_("limit applied"), max_length=10, blank=True)
    # A line departing from the policy: only with a collective decision.
    exception = models.ForeignKey(
        CollectiveDecision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
        verbose_name=_("collective decision"),
    )

    class Meta:
        verbose_name = _("calculation line")
        verbose_name_plural = _("calculation lines")
        ordering = ["calculation", "position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount=models.F("policy_amount"))
                | models.Q(exception__isnull=False),
                name="calculation_line_exception_has_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.amount}"


class CalculationTransition(models.Model):
    """Append-only log of a calculation's review chain."""

    calculation = models.ForeignKey(
        Calculation, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=24, choices=CalculationStatus.choices)
    to_status = models.CharField(max_length=24, choices=CalculationStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("review step")
        ordering = ["calculation", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Calculating")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CalculationBatch(BackgroundBatch):
    """A batch calculation of a project's households (or a filtered set), run in the background
    with its progress; each household's result is an ordinary calculation."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="calculation_batches",
        verbose_name=_("project"),
    )
    # The resettlement mode for all, or "latest": each household's mode of its last calculation.
    mode = models.CharField(_("resettlement mode"), max_length=16)
    household_ids = models.JSONField(_("households"))
    # The expected dates of signing and vacating, for the items counted in days to them.
    signing_on = models.DateField(_("expected signing date"), null=True, blank=True)
    vacating_on = models.DateField(_("expected vacating date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("households to calculate"), default=0)
    done = models.PositiveIntegerField(_("households calculated"), default=0)

    class Meta:
        verbose_name = _("batch calculation")
        verbose_name_plural = _("batch calculations")
        ordering = ["project", "-created_at"]

    def __str__(self) -> str:
        return f"{self.project} {self.done}/{self.total}"
