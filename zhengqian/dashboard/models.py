"""Progress summaries that dashboards and reports read instead of the modules' records.

Each household's progress is derived from the modules' own records (DESIGN.md §4), never typed in;
`HouseholdProgress` keeps that derivation, one row per household, and is recomputed inside the
transaction of every write that can change it (zhengqian.dashboard.progress). Every change of a
household's row is added to, or taken from, two kinds of counters:

- `ProgressCell`: per project, work group, household kind and resettlement mode, the number of
  households at each stage, their area and their money. A leader's dashboard over any number of
  households sums a few thousand cells at most, so its time does not grow with households.
- `ProgressDay`: per project, work group and day, how many households reached a stage that day
  (the signing curve, the trend since last week, the daily report).

`PlanPoint` is the plan a project's progress is read against (e.g. 70 % signed by end of June).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# The stages of a household's way, in order (DESIGN.md §4); each is a boolean on
# HouseholdProgress and a counter on ProgressCell.
STAGES = (
    "surveyed",
    "confirmed",
    "valued",
    "calculated",
    "approved",
    "signed",
    "paid",
    "vacated",
    "demolished",
)
# Counters of a cell besides the stages.
COUNTS = ("households", *STAGES, "holdouts")
SUMS = ("area", "area_signed", "area_demolished", "amount_agreed", "amount_paid")
# Stages with a date, counted per day.
DAY_STAGES = ("signed", "paid", "vacated", "demolished")


def _money(label: Any = "") -> models.DecimalField:
    return models.DecimalField(
        label or None, max_digits=16, decimal_places=2, default=Decimal("0.00")
    )


def _area(label: Any = "") -> models.DecimalField:
    return models.DecimalField(
        label or None, max_digits=14, decimal_places=2, default=Decimal("0.00")
    )


class HouseholdProgress(models.Model):
    """Where one household stands, derived from the modules' records.

    surveyed: registered with at least one building; confirmed: ownership confirmation locked;
    valued: valuation report issued; calculated: a calculation that is not superseded exists;
    approved: that calculation approved; signed: a main agreement signed (pending or effective);
    paid: its account paid in full; vacated: vacating accepted; demolished: demolition recorded;
    holdout: an open holdout case.
    """

    household = models.OneToOneField(
        "survey.Household",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="progress",
        verbose_name=_("household"),
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    district_id = models.BigIntegerField(_("district id"))
    # 0 when the household has no work group (a plain integer so that cells can be unique on it).
    group_id = models.BigIntegerField(_("work group id"), default=0)
    kind = models.CharField(_("household kind"), max_length=20)
    # cash / exchange / voucher from the signed agreement, else the latest calculation; "" if none.
    mode = models.CharField(_("resettlement mode"), max_length=16, blank=True)
    surveyed = models.BooleanField(default=False)
    confirmed = models.BooleanField(default=False)
    valued = models.BooleanField(default=False)
    calculated = models.BooleanField(default=False)
    approved = models.BooleanField(default=False)
    signed = models.BooleanField(default=False)
    paid = models.BooleanField(default=False)
    vacated = models.BooleanField(default=False)
    demolished = models.BooleanField(default=False)
    holdout = models.BooleanField(default=False)
    signed_on = models.DateField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    vacated_on = models.DateField(null=True, blank=True)
    demolished_on = models.DateField(null=True, blank=True)
    area = _area(_("area (m²)"))
    amount_agreed = _money(_("amount agreed"))
    amount_paid = _money(_("amount paid"))
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("household progress")
        verbose_name_plural = _("household progress")
        indexes = [
            models.Index(fields=["project", "group_id"], name="progress_project_group"),
            models.Index(fields=["project", "signed"], name="progress_project_signed"),
            models.Index(fields=["project", "demolished"], name="progress_project_demolished"),
            models.Index(fields=["district_id", "signed"], name="progress_district_signed"),
        ]

    def __str__(self) -> str:
        return f"progress of household {self.pk}"


class ProgressCell(models.Model):
    """Counters of the households of one project, work group, household kind and mode."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    district_id = models.BigIntegerField(_("district id"))
    group_id = models.BigIntegerField(_("work group id"), default=0)
    kind = models.CharField(_("household kind"), max_length=20)
    mode = models.CharField(_("resettlement mode"), max_length=16, blank=True)
    households = models.IntegerField(default=0)
    surveyed = models.IntegerField(default=0)
    confirmed = models.IntegerField(default=0)
    valued = models.IntegerField(default=0)
    calculated = models.IntegerField(default=0)
    approved = models.IntegerField(default=0)
    signed = models.IntegerField(default=0)
    paid = models.IntegerField(default=0)
    vacated = models.IntegerField(default=0)
    demolished = models.IntegerField(default=0)
    holdouts = models.IntegerField(default=0)
    area = _area()
    area_signed = _area()
    area_demolished = _area()
    amount_agreed = _money()
    amount_paid = _money()

    class Meta:
        verbose_name = _("progress counters")
        verbose_name_plural = _("progress counters")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "group_id", "kind", "mode"], name="uniq_progress_cell"
            ),
        ]
        indexes = [models.Index(fields=["district_id"], name="cell_district")]

    def __str__(self) -> str:
        return f"cell {self.project_id}/{self.group_id}/{self.kind}/{self.mode}"


class ProgressDay(models.Model):
    """How many households of a project's work group reached a dated stage on one day."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    district_id = models.BigIntegerField(_("district id"))
    group_id = models.BigIntegerField(_("work group id"), default=0)
    day = models.DateField(_("day"))
    signed = models.IntegerField(default=0)
    paid = models.IntegerField(default=0)
    vacated = models.IntegerField(default=0)
    demolished = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("progress of a day")
        verbose_name_plural = _("progress by day")
        constraints = [
            models.UniqueConstraint(fields=["project", "group_id", "day"], name="uniq_progress_day")
        ]
        indexes = [models.Index(fields=["day"], name="progress_day_day")]

    def __str__(self) -> str:
        return f"day {self.day} of {self.project_id}/{self.group_id}"


class PlanMeasure(models.TextChoices):
    SIGNED = "signed", _("Signed")
    DEMOLISHED = "demolished", _("Demolished")


class PlanPoint(models.Model):
    """One point of a project's plan: `percent` of its households at `measure` by `due_on`."""

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="plan_points",
        verbose_name=_("project"),
    )
    measure = models.CharField(_("measure"), max_length=16, choices=PlanMeasure.choices)
    due_on = models.DateField(_("by"))
    percent = models.DecimalField(
        _("percent of households"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan point")
        verbose_name_plural = _("plan points")
        ordering = ["project", "measure", "due_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "measure", "due_on"], name="uniq_plan_point"
            ),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0) & models.Q(percent__lte=100),
                name="plan_point_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.percent}% by {self.due_on}"
