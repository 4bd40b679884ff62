"""Agreements (协议) and their signing (DESIGN.md §2, §4).

An agreement carries one approved calculation to the household: its Word file is generated from
the project's unified template of its type, its PDF rendition from that Word file, and both keep
their SHA-256. Numbers come from the project's series without gaps and are never reused; the
signing order number (签约顺序号) is given at signing, in the order of signing. A signed agreement
is never changed: a correction is a supplementary agreement, a mistake is voided.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengqian.core.models import BackgroundBatch


class AgreementKind(models.TextChoices):
    CASH = "cash", _("Cash compensation agreement (货币补偿)")
    EXCHANGE = "exchange", _("Property exchange agreement (产权调换)")
    VOUCHER = "voucher", _("Housing voucher agreement (房票安置)")
    NON_RESIDENTIAL = "non_residential", _("Non-residential agreement")
    SUPPLEMENT = "supplement", _("Supplementary agreement (补充协议)")


class AgreementTemplate(models.Model):
    """One version of a project's unified template (统一协议模板) of one kind: a Word file with
    placeholders. A new upload is a new version; a version used by a signed agreement is kept
    unchanged for ever (the file is never replaced, the row never deleted)."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="agreement_templates",
        verbose_name=_("project"),
    )
    kind = models.CharField(_("agreement type"), max_length=20, choices=AgreementKind.choices)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("Word file"), upload_to="agreements/templates/%Y/", max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    placeholders = models.JSONField(_("placeholders used"), default=list)
    active = models.BooleanField(_("in use for new agreements"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agreement template")
        verbose_name_plural = _("agreement templates")
        ordering = ["project", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind", "version"], name="uniq_agreement_template_version"
            ),
            models.UniqueConstraint(
                fields=["project", "kind"],
                condition=models.Q(active=True),
                name="uniq_agreement_template_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


DEFAULT_PATTERN = "{project}-{year}-{seq:6}"


class AgreementSeries(models.Model):
    """A project's numbering: the pattern and the next numbers. Both counters only grow, by one
    row update inside the drafting or signing transaction, so numbers have no gaps and are
    never given twice, whatever the concurrency."""

    project = models.OneToOneField(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="agreement_series",
        verbose_name=_("project"),
    )
    pattern = models.CharField(_("number pattern"), max_length=60, default=DEFAULT_PATTERN)
    next_number = models.PositiveIntegerField(_("next agreement number"), default=1)
    next_order = models.PositiveIntegerField(_("next signing order number"), default=1)
    # Where the policy makes agreements take effect at a signing rate: the day the rate was
    # reached within the signing period (from then on every signed agreement is in force), or
    # the day after the period ended below it (from then on none can be signed).
    effective_since = models.DateField(_("signing rate reached on"), null=True, blank=True)
    lapsed_on = models.DateField(_("agreements lapsed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("agreement numbering")
        verbose_name_plural = _("agreement numbering")

    def __str__(self) -> str:
        return f"{self.project} {self.pattern}"


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("agreement", "Drafted")
    PENDING = "pending", _("Signed, not yet effective")
    EFFECTIVE = "effective", _("Effective")
    LAPSED = "lapsed", _("Lapsed")
    VOID = "void", _("Void")

    @property
    def signed(self) -> bool:
        return self in (AgreementStatus.PENDING, AgreementStatus.EFFECTIVE, AgreementStatus.LAPSED)


class Agreement(models.Model):
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="agreements",
        verbose_name=_("project"),
    )
    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("household"),
    )
    calculation = models.ForeignKey(
        "compensation.Calculation",
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("calculation"),
    )
    template = models.ForeignKey(
        AgreementTemplate,
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("template"),
    )
    kind = models.CharField(_("agreement type"), max_length=20, choices=AgreementKind.choices)
    # The agreement a supplement corrects (always a main agreement).
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supplements",
        verbose_name=_("supplement to"),
    )
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("agreement number"), max_length=80)
    status = models.CharField(
        _("status"), max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    # The figures as drafted (also in the files): what payments are made against.
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    difference = models.DecimalField(
        _("difference to the corrected agreement"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )
    docx = models.FileField(_("Word file"), upload_to="agreements/%Y/%m/", max_length=200)
    docx_sha256 = models.CharField(max_length=64)
    pdf = models.FileField(_("PDF"), upload_to="agreements/%Y/%m/", max_length=200)
    pdf_sha256 = models.CharField(max_length=64)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drafted_at = models.DateTimeField(_("drafted at"), auto_now_add=True)
    # Signing.
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_on = models.DateField(_("signing date"), null=True, blank=True)
    signing_order = models.PositiveIntegerField(_("signing order number"), null=True, blank=True)
    scan = models.FileField(
        _("scan of the signed agreement"),
        upload_to="agreements/signed/%Y/%m/",
        max_length=200,
        blank=True,
    )
    scan_sha256 = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    effective_on = models.DateField(_("effective from"), null=True, blank=True)
    lapsed_on = models.DateField(_("lapsed on"), null=True, blank=True)
    # Voiding: asked for with a reason, approved by the project manager.
    void_reason = models.CharField(_("reason for voiding"), max_length=500, blank=True)
    void_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_requested_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["project", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["project", "sequence"], name="uniq_agreement_sequence"),
            models.UniqueConstraint(fields=["project", "number"], name="uniq_agreement_number"),
            models.UniqueConstraint(
                fields=["project", "signing_order"],
                condition=models.Q(signing_order__isnull=False),
                name="uniq_agreement_signing_order",
            ),
            # One live main agreement per household.
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(parent__isnull=True) & ~models.Q(status="void"),
                name="uniq_agreement_live_main",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AgreementStatus.values),
                name="agreement_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True, difference__isnull=True)
                | models.Q(parent__isnull=False, difference__isnull=False, kind="supplement"),
                name="agreement_supplement_shape",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status"], name="agreement_project_status"),
            # The amounts agreed of a project summed from the index alone (the funds summary).
            models.Index(
                fields=["project", "status", "parent", "total", "difference"],
                name="agreement_amounts",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_signed(self) -> bool:
        return AgreementStatus(self.status).signed

    @property
    def is_main(self) -> bool:
        return self.parent_id is None


class PartyCapacity(models.TextChoices):
    HEAD = "head", _("Head of household")
    REPRESENTATIVE = "representative", _("Representative with power of attorney")


class HouseholdSignatory(models.Model):
    """Who signed for the household: the head, or a representative with a power of attorney."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatories")
    capacity = models.CharField(_("signs as"), max_length=20, choices=PartyCapacity.choices)
    name = models.CharField(_("name"), max_length=60)
    id_number = models.CharField(_("ID number"), max_length=18)
    power_of_attorney = models.FileField(
        _("power of attorney"), upload_to="agreements/attorney/%Y/%m/", max_length=200, blank=True
    )

    class Meta:
        verbose_name = _("household signatory")
        verbose_name_plural = _("household signatories")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity="head") | ~models.Q(power_of_attorney=""),
                name="signatory_representative_has_attorney",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OfficeCapacity(models.TextChoices):
    """The four office signatures (四方签字)."""

    GROUP_LEADER = "group_leader", _("Work group leader")
    CADRE = "cadre", _("Village or community cadre")
    HANDLER = "handler", _("Handler")
    REVIEWER = "reviewer", _("Reviewer")


class OfficeSignature(models.Model):
    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="office_signatures"
    )
    capacity = models.CharField(_("signs as"), max_length=20, choices=OfficeCapacity.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("office signature")
        verbose_name_plural = _("office signatures")
        ordering = ["agreement", "capacity"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "capacity"], name="uniq_office_signature_capacity"
            ),
            # The same person cannot sign twice in different capacities.
            models.UniqueConstraint(
                fields=["agreement", "user"], name="uniq_office_signature_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_capacity_display()} {self.user}"


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Drafting")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DraftBatch(BackgroundBatch):
    """Agreements drafted in the background for a set of households (before a signing day):
    each household's agreement is an ordinary draft; the progress is kept here."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="agreement_batches",
        verbose_name=_("project"),
    )
    calculation_ids = models.JSONField(_("calculations"))
    status = models.CharField(
        _("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("agreements to draft"), default=0)
    done = models.PositiveIntegerField(_("agreements drafted"), default=0)

    class Meta:
        verbose_name = _("batch of agreement drafts")
        verbose_name_plural = _("batches of agreement drafts")
        ordering = ["project", "-created_at"]

    def __str__(self) -> str:
        return f"{self.project} {self.done}/{self.total}"
