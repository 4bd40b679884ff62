from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengqian.projects.procedures import ProjectKind, template_for


class District(models.Model):
    """An area with its own command and targets (片区 / 街道 / 指挥分部)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ProjectStatus(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    ACTIVE = "active", _("In progress")
    CLOSED = "closed", _("Closed")


class Project(models.Model):
    """One expropriation project: a plot, a road, a village."""

    code = models.CharField(_("project code"), max_length=30, unique=True)
    name = models.CharField(_("project name"), max_length=100)
    kind = models.CharField(_("project type"), max_length=20, choices=ProjectKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.PREPARING
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="projects", verbose_name=_("district")
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    target_households = models.PositiveIntegerField(_("target households"), default=0)
    target_building_area = models.DecimalField(
        _("target building area (m²)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    target_land_area = models.DecimalField(
        _("target land area (mu)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_signing_end = models.DateField(_("planned end of signing"), null=True, blank=True)
    planned_demolition_end = models.DateField(_("planned end of demolition"), null=True, blank=True)
    # Supervision (拿钱没拆): a house paid for must come down within this many days of the
    # first payment.
    demolish_within_days = models.PositiveSmallIntegerField(
        _("days to demolish after payment"), default=30
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_building_area__gte=0) & models.Q(target_land_area__gte=0),
                name="project_targets_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(planned_signing_end__isnull=True)
                | models.Q(planned_start__isnull=True)
                | models.Q(planned_signing_end__gte=models.F("planned_start")),
                name="project_signing_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class WorkGroup(models.Model):
    """The team that handles a set of households of a project (工作组)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="work_groups", verbose_name=_("project")
    )
    name = models.CharField(_("name"), max_length=60)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("group leader"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("work group")
        verbose_name_plural = _("work groups")
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="uniq_workgroup_name")
        ]

    def __str__(self) -> str:
        return self.name


class Milestone(models.Model):
    """One step of a project's legal procedure, with its planned and actual dates.

    The steps and their rules come from the template of the project's kind
    (zhengqian.projects.procedures); `order` keeps the template's order for display.
    """

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("project")
    )
    code = models.CharField(_("step"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"))
    required = models.BooleanField(_("required"), default=True)
    planned_date = models.DateField(_("planned date"), null=True, blank=True)
    actual_date = models.DateField(_("actual date"), null=True, blank=True)
    late = models.BooleanField(_("later than the law allows"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "order"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="uniq_milestone_step")
        ]

    def __str__(self) -> str:
        return str(self.name)

    @property
    def step(self):  # type: ignore[no-untyped-def]
        return next(s for s in template_for(self.project.kind) if s.code == self.code)

    @property
    def name(self) -> str:
        return str(self.step.name)
