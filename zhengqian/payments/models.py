"""Funds and payments (资金拨付): what the project has and receives, and what it pays each
household against its agreements (DESIGN.md §1, §4).

The money must reach the right household, exactly once:
- an effective agreement gets a payment plan from its policy; its instalments add up to the
  agreement's amount to the fen;
- an instalment whose condition is met is requested by a handler, approved by a finance officer
  (password again) and then recorded as paid; one instalment has at most one live payment,
  which the database enforces;
- a failed or returned transfer reopens the instalment;
- every movement of money is a ledger entry (append-only) with its source document.

HouseholdAccount is the maintained summary of one household's agreement chain (the main
agreement and its supplements): committed, paid, the first payment, the next due date and the
site steps. The supervision lists (拿钱没拆 …) and the funds summary are single indexed queries
over it, whatever the number of households.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ZERO = Decimal("0.00")


class FundKind(models.TextChoices):
    BUDGET = "budget", _("Budget allocation (财政拨款)")
    LOAN = "loan", _("Policy-bank loan (政策性银行贷款)")
    BOND = "bond", _("Special-purpose bond (专项债券)")
    LAND_REVENUE = "land_revenue", _("Land sale revenue (土地出让收入)")
    OTHER = "other", _("Other")


class FundingSource(models.Model):
    """One source of the project's money, with the amount planned from it."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="funding_sources",
        verbose_name=_("project"),
    )
    kind = models.CharField(_("type"), max_length=20, choices=FundKind.choices)
    name = models.CharField(_("name"), max_length=100)
    planned = models.DecimalField(
        _("amount planned (元)"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(ZERO)],
    )
    reference = models.CharField(_("approval document number"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")
        ordering = ["project", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="uniq_funding_source_name"),
            models.CheckConstraint(condition=models.Q(planned__gte=0), name="funding_planned_gte0"),
        ]

    def __str__(self) -> str:
        return self.name


class FundReceipt(models.Model):
    """Money that arrived in the project's account from a source (资金到位)."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    source = models.ForeignKey(
        FundingSource,
        on_delete=models.PROTECT,
        related_name="receipts",
        verbose_name=_("funding source"),
    )
    amount = models.DecimalField(_("amount (元)"), max_digits=16, decimal_places=2)
    received_on = models.DateField(_("received on"))
    document_no = models.CharField(_("voucher number"), max_length=60)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("funds received")
        verbose_name_plural = _("funds received")
        ordering = ["project", "received_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="fund_receipt_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.amount}"


class Condition(models.TextChoices):
    """When an instalment may be paid."""

    EFFECTIVE = "effective", _("When the agreement takes effect")
    VACATED = "vacated", _("When vacating is accepted")
    # An item of resettlement (a month of transition fee, a flats' difference, a voucher's
    # balance bought back): payable from its own date.
    DATED = "dated", _("From its date")


class PlanKind(models.TextChoices):
    """What a plan pays: an agreement (the main agreement or a supplement), or an item of
    resettlement that the resettlement module schedules against the household's account."""

    AGREEMENT = "agreement", _("Agreement")
    TRANSITION = "transition", _("Transition fee (过渡费)")
    DIFFERENCE = "difference", _("Difference for the resettlement flats (房屋差价)")
    VOUCHER_CASH = "voucher_cash", _("Housing voucher balance cashed (房票余额兑现)")
    # Paid to the developer who sold the household a flat against its voucher, in stages.
    DEVELOPER = "developer", _("Housing voucher settled with a developer (房票结算)")


class HouseholdAccount(models.Model):
    """The maintained money summary of one household's agreement chain (main agreement and
    supplements), kept in the same transaction as every change it sums."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.PROTECT,
        related_name="payment_accounts",
        verbose_name=_("household"),
    )
    agreement = models.OneToOneField(
        "agreements.Agreement",
        on_delete=models.PROTECT,
        related_name="payment_account",
        verbose_name=_("agreement"),
    )
    # The amount of the agreement as last corrected (main total plus the supplements'
    # differences) once it is effective; what the instalments add up to.
    committed = models.DecimalField(
        _("amount agreed"), max_digits=14, decimal_places=2, default=ZERO
    )
    paid = models.DecimalField(_("paid"), max_digits=14, decimal_places=2, default=ZERO)
    # Requested or approved, not yet paid: counted against what is still owed.
    in_process = models.DecimalField(_("being paid"), max_digits=14, decimal_places=2, default=ZERO)
    first_paid_on = models.DateField(_("first paid on"), null=True, blank=True)
    last_paid_on = models.DateField(_("last paid on"), null=True, blank=True)
    next_due_on = models.DateField(_("next instalment due on"), null=True, blank=True)
    vacated_on = models.DateField(_("vacating accepted on"), null=True, blank=True)
    demolished_on = models.DateField(_("demolished on"), null=True, blank=True)
    void = models.BooleanField(_("agreement void"), default=False)

    class Meta:
        verbose_name = _("household payment account")
        verbose_name_plural = _("household payment accounts")
        ordering = ["project", "household"]
        constraints = [
            models.CheckConstraint(condition=models.Q(paid__gte=0), name="account_paid_gte0"),
            models.CheckConstraint(
                condition=models.Q(paid__lte=models.F("committed")),
                name="account_paid_lte_committed",
            ),
            models.CheckConstraint(
                condition=models.Q(in_process__gte=0), name="account_in_process_gte0"
            ),
        ]
        # Covering indexes: each supervision count and the funds summary is read from an index
        # alone, whatever the number of households.
        indexes = [
            # 拿钱没拆 (not demolished, first paid before a day) and demolished, not fully paid.
            models.Index(
                fields=["project", "void", "demolished_on", "first_paid_on", "paid", "committed"],
                name="account_site_money",
            ),
            models.Index(fields=["project", "void", "next_due_on"], name="account_next_due"),
            # The funds summary: what the accounts pay in cash, have paid and are paying.
            models.Index(
                fields=["project", "void", "committed", "paid", "in_process"],
                name="account_money",
            ),
            models.Index(fields=["household"], name="account_household"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement} {self.paid}/{self.committed}"

    @property
    def owed(self) -> Decimal:
        return self.committed - self.paid


class PaymentPlan(models.Model):
    """The instalments of one agreement (a main agreement or a supplement), made from the
    policy when it is effective."""

    account = models.ForeignKey(
        HouseholdAccount, on_delete=models.PROTECT, related_name="plans", verbose_name=_("account")
    )
    kind = models.CharField(
        _("type"), max_length=16, choices=PlanKind.choices, default=PlanKind.AGREEMENT
    )
    # The agreement paid (kind "agreement" only; empty for the items of resettlement).
    agreement = models.OneToOneField(
        "agreements.Agreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment_plan",
        verbose_name=_("agreement"),
    )
    # What an item of resettlement is for, unique per account and kind: the month of a
    # transition fee ("2026-05"), the selection round of a flats' difference, a voucher's number.
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        help_text=_("The agreement's total, or a supplement's difference."),
    )
    first_percent = models.DecimalField(
        _("paid when effective (%)"), max_digits=5, decimal_places=2
    )
    due_days = models.PositiveSmallIntegerField(_("days to pay after the condition"))
    # Empty when the agreement was brought in force by the daily settlement, not by a person.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment plan")
        verbose_name_plural = _("payment plans")
        ordering = ["account", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="agreement", agreement__isnull=False)
                | (~models.Q(kind="agreement") & models.Q(agreement__isnull=True, amount__gt=0)),
                name="payment_plan_shape",
            ),
            # An item of resettlement is scheduled once (running the generation twice adds
            # nothing).
            models.UniqueConstraint(
                fields=["account", "kind", "reference"],
                condition=~models.Q(kind="agreement"),
                name="uniq_payment_plan_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement} {self.amount}"


class Instalment(models.Model):
    """One instalment of a plan. `amount` is what is to be paid; a later supplement that lowers
    the agreement reduces unpaid instalments (kept in `reduction`)."""

    plan = models.ForeignKey(
        PaymentPlan, on_delete=models.PROTECT, related_name="instalments", verbose_name=_("plan")
    )
    account = models.ForeignKey(
        HouseholdAccount, on_delete=models.PROTECT, related_name="instalments"
    )
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(_("instalment"))
    condition = models.CharField(_("condition"), max_length=16, choices=Condition.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    reduction = models.DecimalField(
        _("reduced by a supplement"), max_digits=14, decimal_places=2, default=ZERO
    )
    met_on = models.DateField(_("condition met on"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["account", "plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="uniq_instalment_position"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="instalment_gte0"),
            models.CheckConstraint(
                condition=models.Q(reduction__gte=0), name="instalment_reduction_gte0"
            ),
            models.CheckConstraint(
                condition=models.Q(met_on__isnull=False) | models.Q(due_on__isnull=True),
                name="instalment_due_after_met",
            ),
        ]
        indexes = [models.Index(fields=["project", "due_on"], name="instalment_due")]

    def __str__(self) -> str:
        return f"{self.plan.agreement} #{self.position}"

    @property
    def is_paid(self) -> bool:
        return self.paid_on is not None


class PaymentStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", pgettext_lazy("payment", "Approved")
    PAID = "paid", _("Paid")
    REFUSED = "refused", pgettext_lazy("payment", "Refused")
    FAILED = "failed", _("Failed or returned")

    @property
    def live(self) -> bool:
        return self in (PaymentStatus.REQUESTED, PaymentStatus.APPROVED, PaymentStatus.PAID)


LIVE = [PaymentStatus.REQUESTED, PaymentStatus.APPROVED, PaymentStatus.PAID]


class Payment(models.Model):
    """A payment of one instalment: requested, approved, paid (with the bank's details and the
    voucher), the household's receipt; or refused, or failed/returned (the instalment reopens).
    """

    instalment = models.ForeignKey(
        Instalment, on_delete=models.PROTECT, related_name="payments", verbose_name=_("instalment")
    )
    account = models.ForeignKey(HouseholdAccount, on_delete=models.PROTECT, related_name="payments")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("survey.Household", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    refused_reason = models.CharField(_("reason for refusing"), max_length=300, blank=True)
    # The disbursement.
    payee = models.CharField(_("payee"), max_length=100, blank=True)
    bank = models.CharField(_("bank"), max_length=100, blank=True)
    account_no = models.CharField(_("account number"), max_length=40, blank=True)
    voucher_no = models.CharField(_("voucher number"), max_length=60, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_recorded_at = models.DateTimeField(null=True, blank=True)
    # The household's signed receipt.
    receipt = models.FileField(
        _("signed receipt"), upload_to="payments/receipts/%Y/%m/", max_length=200, blank=True
    )
    receipt_sha256 = models.CharField(max_length=64, blank=True)
    receipt_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    receipt_confirmed_at = models.DateTimeField(null=True, blank=True)
    # A failed or returned transfer.
    failed_reason = models.CharField(_("reason of the failure"), max_length=300, blank=True)
    failed_on = models.DateField(_("failed or returned on"), null=True, blank=True)
    failed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["project", "-requested_at"]
        constraints = [
            # Never paid twice: one live payment per instalment.
            models.UniqueConstraint(
                fields=["instalment"],
                condition=models.Q(status__in=["requested", "approved", "paid"]),
                name="uniq_payment_live_instalment",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=models.Q(status__in=PaymentStatus.values), name="payment_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="paid") | models.Q(paid_on__isnull=False),
                name="payment_paid_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status"], name="payment_project_status"),
            models.Index(fields=["household"], name="payment_household"),
        ]

    def __str__(self) -> str:
        return f"{self.instalment} {self.amount}"


class IdentityKind(models.TextChoices):
    PERSON = "person", _("ID number")
    CERTIFICATE = "certificate", _("Title certificate")


class PaidIdentity(models.Model):
    """The ID numbers and title certificates of a household that has been paid, to find the same
    person or certificate paid in another household or project (二次补偿). `duplicate` is set on
    every row of a value paid in more than one household."""

    kind = models.CharField(max_length=16, choices=IdentityKind.choices)
    value = models.CharField(max_length=60)
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("survey.Household", on_delete=models.CASCADE, related_name="+")
    duplicate = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("paid identity")
        verbose_name_plural = _("paid identities")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value", "household"], name="uniq_paid_identity"
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "value"], name="paid_identity_value"),
            models.Index(fields=["project", "duplicate"], name="paid_identity_duplicate"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.household_id}"


class ReceivableStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("receivable", "Open")
    RECEIVED = "received", pgettext_lazy("receivable", "Received")
    CANCELLED = "cancelled", pgettext_lazy("receivable", "Cancelled")


class Receivable(models.Model):
    """Money a household owes the office (应收款), e.g. the difference for resettlement flats
    larger or dearer than its old home: due from a date, received by finance with a voucher
    number, which books it in the ledger."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.PROTECT,
        related_name="receivables",
        verbose_name=_("household"),
    )
    kind = models.CharField(_("type"), max_length=16, choices=PlanKind.choices)
    reference = models.CharField(_("reference"), max_length=60)
    description = models.CharField(_("description"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ReceivableStatus.choices,
        default=ReceivableStatus.OPEN,
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    voucher_no = models.CharField(_("voucher number"), max_length=60, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("amount receivable")
        verbose_name_plural = _("amounts receivable")
        ordering = ["project", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="receivable_positive"),
            models.CheckConstraint(
                condition=models.Q(status__in=ReceivableStatus.values),
                name="receivable_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="received") | models.Q(received_on__isnull=False),
                name="receivable_received_has_date",
            ),
            models.UniqueConstraint(
                fields=["household", "kind", "reference"],
                condition=~models.Q(status="cancelled"),
                name="uniq_receivable_live",
            ),
        ]
        indexes = [models.Index(fields=["project", "status"], name="receivable_project_status")]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"


class EntryKind(models.TextChoices):
    RECEIPT = "receipt", _("Funds received")
    DISBURSEMENT = "disbursement", _("Payment to a household")
    RETURN = "return", _("Payment failed or returned")
    COLLECTION = "collection", _("Received from a household")


class LedgerEntry(models.Model):
    """One movement of money (资金台账), append-only: funds in, a payment out, a payment back.
    `amount` is signed from the project's account: received +, paid −, returned +."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household"),
    )
    kind = models.CharField(_("movement"), max_length=16, choices=EntryKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    occurred_on = models.DateField(_("date"))
    document_no = models.CharField(_("voucher number"), max_length=60)
    # The entry's summary (摘要), written in the office's language as on a voucher.
    description = models.CharField(_("ledger summary"), max_length=300)
    receipt = models.ForeignKey(
        FundReceipt, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    receivable = models.ForeignKey(
        Receivable, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agreement_number = models.CharField(_("agreement number"), max_length=80, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["project", "occurred_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="receipt", amount__gt=0, receipt__isnull=False)
                | models.Q(kind="disbursement", amount__lt=0, payment__isnull=False)
                | models.Q(kind="return", amount__gt=0, payment__isnull=False)
                | models.Q(kind="collection", amount__gt=0, receivable__isnull=False),
                name="ledger_entry_shape",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "occurred_on"], name="ledger_project_day"),
            models.Index(fields=["household"], name="ledger_household"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.amount}"
