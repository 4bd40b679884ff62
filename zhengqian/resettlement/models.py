"""Resettlement (安置): the housing stock, choosing flats in order or by lottery, housing
vouchers (房票) and transition fees (过渡费) (DESIGN.md §1, §6; source documents 001, 002, 004).

- The housing stock is estates, buildings and flats with their status; an estate keeps its
  planned (promised) and actual handover dates, which drive the transition fees.
- A household with an effective property-exchange agreement has an entitled area and a number
  of flats (from its calculation and the policy); it chooses flats in a selection round, in the
  order of signing or of a verifiable lottery. A flat is allocated to exactly one household
  (a database constraint on the live choices).
- A household with an effective voucher agreement gets a voucher: spent at participating
  developers, its balance cashed or lapsed; lost and reissued under a new number.
- Transition fees are generated month by month as payable items of the payments module.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ZERO = Decimal("0.00")


# --- housing stock ---------------------------------------------------------------------------


class Estate(models.Model):
    """A resettlement estate (安置小区) of a project."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="estates",
        verbose_name=_("project"),
    )
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # The handover promised to the households (transition fees are multiplied after it).
    planned_handover = models.DateField(_("planned handover date"))
    actual_handover = models.DateField(_("actual handover date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("resettlement estate")
        verbose_name_plural = _("resettlement estates")
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="uniq_estate_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    estate = models.ForeignKey(
        Estate, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("estate")
    )
    name = models.CharField(_("building"), max_length=40)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["estate", "name"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "name"], name="uniq_building_name"),
        ]

    def __str__(self) -> str:
        return f"{self.estate} {self.name}"


class FlatStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("flat", "Planned")
    CONSTRUCTION = "construction", _("Under construction")
    READY = "ready", _("Ready")
    ALLOCATED = "allocated", _("Allocated")
    HANDED_OVER = "handed_over", _("Handed over")


class Flat(models.Model):
    """One resettlement flat (安置房源)."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    estate = models.ForeignKey(
        Estate, on_delete=models.CASCADE, related_name="flats", verbose_name=_("estate")
    )
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="flats", verbose_name=_("building")
    )
    unit_no = models.CharField(_("unit number"), max_length=20)
    floor = models.SmallIntegerField(_("floor"))
    layout = models.CharField(_("layout"), max_length=40, blank=True)
    area = models.DecimalField(
        _("floor area (m²)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("1"))],
    )
    orientation = models.CharField(_("orientation"), max_length=20, blank=True)
    # The price of the area beyond the entitlement (元/m²); empty: the policy's price.
    price_basis = models.DecimalField(
        _("price basis (元/m²)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=FlatStatus.choices, default=FlatStatus.PLANNED
    )
    # Set with the live choice of the flat (kept in the same transaction).
    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resettlement_flats",
        verbose_name=_("allocated to"),
    )
    handed_over_on = models.DateField(_("handed over on"), null=True, blank=True)

    class Meta:
        verbose_name = _("resettlement flat")
        verbose_name_plural = _("resettlement flats")
        ordering = ["estate", "building", "unit_no"]
        constraints = [
            models.UniqueConstraint(fields=["building", "unit_no"], name="uniq_flat_unit"),
            models.CheckConstraint(
                condition=models.Q(status__in=FlatStatus.values), name="flat_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(household__isnull=True)
                | models.Q(status__in=["allocated", "handed_over"]),
                name="flat_allocated_has_status",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status"], name="flat_project_status"),
            models.Index(fields=["household"], name="flat_household"),
        ]

    def __str__(self) -> str:
        return f"{self.building} {self.unit_no}"


class StockImport(models.Model):
    """An Excel import of flats: validated first, imported whole or not at all."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    file = models.FileField(_("file"), upload_to="resettlement/imports/%Y/%m/", max_length=200)
    file_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    errors = models.JSONField(_("errors"), default=list)
    imported = models.BooleanField(_("imported"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import of flats")
        verbose_name_plural = _("imports of flats")
        ordering = ["project", "-uploaded_at"]

    def __str__(self) -> str:
        return self.file_name


# --- choosing flats --------------------------------------------------------------------------


class OrderBy(models.TextChoices):
    SIGNING = "signing", _("Signing order (先签约先选房)")
    LOTTERY = "lottery", _("Lottery (抽签)")


class RoundStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("round", "Being prepared")
    COMMITTED = "committed", _("Lottery announced")
    ORDERED = "ordered", _("Order fixed")
    OPEN = "open", _("Choosing")
    CLOSED = "closed", pgettext_lazy("round", "Closed")
    PUBLISHED = "published", pgettext_lazy("round", "Published")


class SelectionRound(models.Model):
    """A selection round (选房批次): a batch of households choosing among a batch of flats, in
    the order of signing or of a lottery committed before it is drawn."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="selection_rounds",
        verbose_name=_("project"),
    )
    name = models.CharField(_("name"), max_length=100)
    order_by = models.CharField(_("order"), max_length=16, choices=OrderBy.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    scheduled_on = models.DateField(_("selection day"))
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    # How many households choose at the same time in the hall (one desk each).
    desks = models.PositiveSmallIntegerField(
        _("desks"), default=1, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    flats = models.ManyToManyField(Flat, related_name="rounds", verbose_name=_("flats offered"))
    # The lottery: the seed's hash published before the draw, the seed revealed at it, the
    # witnesses' value added in the hall, the notary who watched.
    seed_hash = models.CharField(_("SHA-256 of the seed"), max_length=64, blank=True)
    seed = models.CharField(_("seed"), max_length=64, blank=True)
    witness_value = models.CharField(_("witnesses' value"), max_length=60, blank=True)
    notary = models.CharField(_("notary"), max_length=100, blank=True)
    notary_office = models.CharField(_("notary office"), max_length=100, blank=True)
    committed_at = models.DateTimeField(_("lottery announced at"), null=True, blank=True)
    ordered_at = models.DateTimeField(_("order fixed at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("selection round")
        verbose_name_plural = _("selection rounds")
        ordering = ["project", "scheduled_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="uniq_round_name"),
            models.CheckConstraint(
                condition=models.Q(status__in=RoundStatus.values), name="round_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EntryStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CHOSEN = "chosen", _("Chosen")
    ABSENT = "absent", _("Absent")
    MISSED = "missed", _("Did not choose")


class RoundEntry(models.Model):
    """A household in a round. `drawn` is its place by signing order or lottery (immutable once
    the order is fixed); `position` its place now: an absent household is moved to the end."""

    round = models.ForeignKey(
        SelectionRound, on_delete=models.CASCADE, related_name="entries", verbose_name=_("round")
    )
    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.PROTECT,
        related_name="selection_entries",
        verbose_name=_("household"),
    )
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.PROTECT, related_name="+"
    )
    # Taken from the calculation and the policy when the household is added.
    entitled_area = models.DecimalField(_("entitled area (m²)"), max_digits=10, decimal_places=2)
    flats_allowed = models.PositiveSmallIntegerField(_("flats allowed"))
    drawn = models.PositiveIntegerField(_("drawn place"), null=True, blank=True)
    position = models.PositiveIntegerField(_("place"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=EntryStatus.choices, default=EntryStatus.WAITING
    )
    absences = models.PositiveSmallIntegerField(_("times absent"), default=0)
    chosen_at = models.DateTimeField(_("chosen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("household in a round")
        verbose_name_plural = _("households in a round")
        ordering = ["round", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "household"], name="uniq_round_household"),
            models.UniqueConstraint(
                fields=["round", "position"],
                condition=models.Q(position__isnull=False),
                name="uniq_round_position",
            ),
            models.UniqueConstraint(
                fields=["round", "drawn"],
                condition=models.Q(drawn__isnull=False),
                name="uniq_round_drawn",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=EntryStatus.values), name="round_entry_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} #{self.position} {self.household}"


class Choice(models.Model):
    """A flat chosen by a household (选房确认). A flat has at most one live choice: the
    database refuses a second one, whatever the concurrency."""

    round = models.ForeignKey(
        SelectionRound, on_delete=models.PROTECT, related_name="choices", verbose_name=_("round")
    )
    entry = models.ForeignKey(RoundEntry, on_delete=models.PROTECT, related_name="choices")
    household = models.ForeignKey(
        "survey.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    flat = models.ForeignKey(
        Flat, on_delete=models.PROTECT, related_name="choices", verbose_name=_("flat")
    )
    area = models.DecimalField(_("floor area (m²)"), max_digits=8, decimal_places=2)
    chosen_at = models.DateTimeField(_("chosen at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # A choice is cancelled only with a reason (e.g. a mistake corrected on the day).
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("flat chosen")
        verbose_name_plural = _("flats chosen")
        ordering = ["round", "chosen_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["flat"],
                condition=models.Q(cancelled_at__isnull=True),
                name="uniq_choice_live_flat",
            ),
        ]
        indexes = [models.Index(fields=["household"], name="choice_household")]

    def __str__(self) -> str:
        return f"{self.household} → {self.flat}"


class Settlement(models.Model):
    """The difference of a household's chosen flats against its agreement (房屋差价结算),
    settled through the payments module: paid to the household or received from it."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    household = models.OneToOneField(
        "survey.Household",
        on_delete=models.PROTECT,
        related_name="flat_settlement",
        verbose_name=_("household"),
    )
    round = models.ForeignKey(SelectionRound, on_delete=models.PROTECT, related_name="+")
    area = models.DecimalField(_("area of the flats chosen (m²)"), max_digits=10, decimal_places=2)
    flats_price = models.DecimalField(_("price of the flats"), max_digits=14, decimal_places=2)
    # Positive: the household pays; negative: the household is paid.
    balance = models.DecimalField(_("difference"), max_digits=14, decimal_places=2)
    # What the payments module scheduled or asked for (whichever applies).
    instalment = models.ForeignKey(
        "payments.Instalment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    receivable = models.ForeignKey(
        "payments.Receivable", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    inputs = models.JSONField(_("inputs"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("settled at"), auto_now_add=True)

    class Meta:
        verbose_name = _("settlement of the flats")
        verbose_name_plural = _("settlements of the flats")

    def __str__(self) -> str:
        return f"{self.household} {self.balance}"


# --- housing vouchers ------------------------------------------------------------------------


class Developer(models.Model):
    """A developer taking housing vouchers (参与房票安置的开发企业) in a project."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="voucher_developers",
        verbose_name=_("project"),
    )
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18)
    bank = models.CharField(_("bank"), max_length=100)
    account_no = models.CharField(_("account number"), max_length=40)
    active = models.BooleanField(_("taking vouchers"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("developer")
        verbose_name_plural = _("developers")
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "credit_code"], name="uniq_developer_credit_code"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VoucherStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    PARTLY_USED = "partly_used", _("Partly used")
    USED = "used", _("Used in full")
    CASHED = "cashed", _("Balance cashed")
    LAPSED = "lapsed", _("Lapsed")
    CANCELLED = "cancelled", _("Cancelled (lost, reissued)")


class Voucher(models.Model):
    """A housing voucher (房票). `used` and `cashed` are maintained in the same transaction as
    each use and cashing; the database keeps used + cashed within the face value."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="vouchers",
        verbose_name=_("project"),
    )
    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.PROTECT,
        related_name="vouchers",
        verbose_name=_("household"),
    )
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.PROTECT, related_name="vouchers"
    )
    number = models.CharField(_("voucher number"), max_length=40)
    face_value = models.DecimalField(_("face value"), max_digits=14, decimal_places=2)
    # The part of the face value that is the voucher premium (forfeited when cashed).
    premium = models.DecimalField(_("premium"), max_digits=14, decimal_places=2, default=ZERO)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))
    holder_name = models.CharField(_("holder"), max_length=60)
    holder_id_number = models.CharField(_("holder's ID number"), max_length=18)
    status = models.CharField(
        _("status"), max_length=16, choices=VoucherStatus.choices, default=VoucherStatus.ISSUED
    )
    used = models.DecimalField(_("used"), max_digits=14, decimal_places=2, default=ZERO)
    cashed = models.DecimalField(
        _("balance cashed (face value)"), max_digits=14, decimal_places=2, default=ZERO
    )
    cash_paid = models.DecimalField(
        _("paid for the balance"), max_digits=14, decimal_places=2, default=ZERO
    )
    lapsed_on = models.DateField(_("lapsed on"), null=True, blank=True)
    # Lost and reissued: the old number is cancelled; the new voucher names it.
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("reissue of"),
    )
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("housing voucher")
        verbose_name_plural = _("housing vouchers")
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="uniq_voucher_number"),
            # One live voucher per agreement (a reissue cancels the old one first).
            models.UniqueConstraint(
                fields=["agreement"],
                condition=~models.Q(status="cancelled"),
                name="uniq_voucher_live_agreement",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=VoucherStatus.values), name="voucher_status_valid"
            ),
            models.CheckConstraint(condition=models.Q(face_value__gt=0), name="voucher_positive"),
            models.CheckConstraint(
                condition=models.Q(used__gte=0, cashed__gte=0)
                & models.Q(used__lte=models.F("face_value") - models.F("cashed")),
                name="voucher_within_face_value",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status", "valid_until"], name="voucher_expiry"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def balance(self) -> Decimal:
        return self.face_value - self.used - self.cashed


class VoucherUse(models.Model):
    """A voucher spent on a flat bought from a participating developer (purchase contract)."""

    voucher = models.ForeignKey(
        Voucher, on_delete=models.PROTECT, related_name="uses", verbose_name=_("voucher")
    )
    developer = models.ForeignKey(
        Developer, on_delete=models.PROTECT, related_name="uses", verbose_name=_("developer")
    )
    contract_no = models.CharField(_("purchase contract number"), max_length=60)
    flat = models.CharField(_("flat bought"), max_length=200)
    flat_area = models.DecimalField(
        _("floor area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    contract_price = models.DecimalField(_("contract price"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("voucher amount used"), max_digits=14, decimal_places=2)
    used_on = models.DateField(_("used on"))
    # Stage 2 of the developer's settlement: the flat's title registered to the household.
    registered_on = models.DateField(_("title registered on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("voucher use")
        verbose_name_plural = _("voucher uses")
        ordering = ["voucher", "used_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="voucher_use_positive"),
            models.CheckConstraint(
                condition=models.Q(amount__lte=models.F("contract_price")),
                name="voucher_use_within_price",
            ),
            models.UniqueConstraint(
                fields=["developer", "contract_no"], name="uniq_voucher_use_contract"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voucher} {self.amount}"


class DeveloperStage(models.TextChoices):
    FILED = "filed", _("Purchase contract filed")
    REGISTERED = "registered", _("Title registered")


class DeveloperPayment(models.Model):
    """A stage of a use's settlement with the developer, paid through the payments module (an
    instalment of a plan of kind "developer" on the household's account)."""

    use = models.ForeignKey(VoucherUse, on_delete=models.PROTECT, related_name="settlements")
    stage = models.CharField(_("stage"), max_length=16, choices=DeveloperStage.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    instalment = models.OneToOneField(
        "payments.Instalment", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("developer settlement")
        verbose_name_plural = _("developer settlements")
        ordering = ["use", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["use", "stage"], name="uniq_developer_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.use} {self.stage} {self.amount}"


# --- transition fees -------------------------------------------------------------------------


class TransitionMonth(models.Model):
    """One month of a household's transition fee (过渡费), generated once (idempotent) and
    scheduled as a payable item of the payments module."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.PROTECT,
        related_name="transition_months",
        verbose_name=_("household"),
    )
    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="+", verbose_name=_("estate")
    )
    month = models.DateField(_("month"))  # the first day of the month
    area = models.DecimalField(_("entitled area (m²)"), max_digits=10, decimal_places=2)
    base = models.DecimalField(_("monthly fee"), max_digits=12, decimal_places=2)
    factor = models.DecimalField(_("factor"), max_digits=4, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    late = models.BooleanField(_("handover late"), default=False)
    instalment = models.OneToOneField(
        "payments.Instalment", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("generated at"), auto_now_add=True)

    class Meta:
        verbose_name = _("transition fee month")
        verbose_name_plural = _("transition fee months")
        ordering = ["project", "household", "month"]
        constraints = [
            models.UniqueConstraint(fields=["household", "month"], name="uniq_transition_month"),
        ]
        indexes = [models.Index(fields=["project", "month"], name="transition_project_month")]

    def __str__(self) -> str:
        return f"{self.household} {self.month:%Y-%m} {self.amount}"
