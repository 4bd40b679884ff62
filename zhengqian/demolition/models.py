"""Vacating, demolition and debris clearance (腾空验收、拆除、渣土清运) of each household's site,
and the dust control of demolition sites (扬尘巡查) with its rectification orders.

Compensation comes before moving (先补偿后搬迁): vacating and demolition are recorded only for a
household whose agreement is in force; demolition only after vacating was accepted, clearance
only after demolition. Each step is one record per household, with its photos.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Vacating(models.Model):
    """The acceptance of a vacated house (腾空验收): keys handed over, utilities closed, signed
    by the household and the office."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    household = models.OneToOneField(
        "survey.Household",
        on_delete=models.PROTECT,
        related_name="vacating",
        verbose_name=_("household"),
    )
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.PROTECT, related_name="+"
    )
    accepted_on = models.DateField(_("accepted on"))
    keys_handed_over = models.BooleanField(_("keys handed over"))
    water_closed = models.BooleanField(_("water closed"))
    power_closed = models.BooleanField(_("electricity closed"))
    gas_closed = models.BooleanField(_("gas closed or none"))
    household_signatory = models.CharField(_("signed for the household by"), max_length=60)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("accepted for the office by"),
    )
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("witness"),
    )
    form_scan = models.FileField(
        _("signed acceptance form"), upload_to="demolition/vacating/%Y/%m/", max_length=200
    )
    form_sha256 = models.CharField(max_length=64)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("vacating acceptance")
        verbose_name_plural = _("vacating acceptances")
        ordering = ["project", "accepted_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    keys_handed_over=True, water_closed=True, power_closed=True, gas_closed=True
                ),
                name="vacating_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.accepted_on}"


class Demolition(models.Model):
    """The demolition of the vacated house, by its contractor."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    household = models.OneToOneField(
        "survey.Household",
        on_delete=models.PROTECT,
        related_name="demolition",
        verbose_name=_("household"),
    )
    contractor = models.CharField(_("demolition contractor"), max_length=100)
    demolished_on = models.DateField(_("demolished on"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("demolition")
        verbose_name_plural = _("demolitions")
        ordering = ["project", "demolished_on"]

    def __str__(self) -> str:
        return f"{self.household} {self.demolished_on}"


class Clearance(models.Model):
    """Debris clearance (渣土清运) after the demolition."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    household = models.OneToOneField(
        "survey.Household",
        on_delete=models.PROTECT,
        related_name="clearance",
        verbose_name=_("household"),
    )
    haulier = models.CharField(_("haulier"), max_length=100)
    cleared_on = models.DateField(_("cleared on"))
    volume = models.DecimalField(
        _("volume (m³)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    disposal_site = models.CharField(_("disposal site"), max_length=200)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("debris clearance")
        verbose_name_plural = _("debris clearances")
        ordering = ["project", "cleared_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(volume__isnull=True) | models.Q(volume__gt=0),
                name="clearance_volume_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.cleared_on}"


class Checkpoint(models.TextChoices):
    """The dust-control checklist of a demolition site (扬尘防治 “六个百分之百”)."""

    HOARDING = "hoarding", _("Site enclosed by hoarding (围挡)")
    COVERED = "covered", _("Debris and bare soil covered (覆盖)")
    WET = "wet", _("Wet work and spraying while demolishing (湿法作业)")
    WASHING = "washing", _("Vehicles washed before leaving (车辆冲洗)")
    CLOSED_HAULAGE = "closed_haulage", _("Debris carried in closed trucks (密闭运输)")
    ROADS = "roads", _("Access roads hardened and clean (道路硬化保洁)")


class Inspection(models.Model):
    """A dust inspection of one household's demolition site: each checkpoint passed or failed."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.PROTECT,
        related_name="dust_inspections",
        verbose_name=_("site"),
    )
    inspected_on = models.DateField(_("inspected on"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("inspector"),
    )
    # {checkpoint: true (passed) / false (failed)} for every checkpoint.
    findings = models.JSONField(_("findings"))
    failed = models.PositiveSmallIntegerField(_("checkpoints failed"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dust inspection")
        verbose_name_plural = _("dust inspections")
        ordering = ["project", "-inspected_on", "-pk"]
        indexes = [models.Index(fields=["project", "inspected_on"], name="inspection_day")]

    def __str__(self) -> str:
        return f"{self.household} {self.inspected_on}"


class Rectification(models.Model):
    """An order to put right what an inspection found, with its deadline, and its closing."""

    inspection = models.ForeignKey(
        Inspection,
        on_delete=models.PROTECT,
        related_name="rectifications",
        verbose_name=_("inspection"),
    )
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("survey.Household", on_delete=models.PROTECT, related_name="+")
    checkpoint = models.CharField(_("checkpoint"), max_length=20, choices=Checkpoint.choices)
    problem = models.CharField(_("problem found"), max_length=300)
    deadline = models.DateField(_("to be put right by"))
    closed_on = models.DateField(_("put right on"), null=True, blank=True)
    closing_note = models.CharField(_("what was done"), max_length=300, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rectification order")
        verbose_name_plural = _("rectification orders")
        ordering = ["project", "deadline", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "checkpoint"], name="uniq_rectification_checkpoint"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "closed_on", "deadline"], name="rectification_open"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_checkpoint_display()}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class Step(models.TextChoices):
    VACATING = "vacating", _("Vacating acceptance")
    DEMOLITION = "demolition", _("Demolition")
    CLEARANCE = "clearance", _("Debris clearance")
    INSPECTION = "inspection", _("Dust inspection")
    RECTIFICATION = "rectification", _("Rectification")


class SitePhoto(models.Model):
    """A photo of a site step; the file's SHA-256 is kept."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey(
        "survey.Household", on_delete=models.PROTECT, related_name="site_photos"
    )
    step = models.CharField(_("step"), max_length=16, choices=Step.choices)
    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, null=True, blank=True, related_name="photos"
    )
    rectification = models.ForeignKey(
        Rectification, on_delete=models.PROTECT, null=True, blank=True, related_name="photos"
    )
    file = models.FileField(_("photo"), upload_to="demolition/photos/%Y/%m/", max_length=200)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("site photo")
        verbose_name_plural = _("site photos")
        ordering = ["household", "step", "pk"]

    def __str__(self) -> str:
        return f"{self.household} {self.step}"
