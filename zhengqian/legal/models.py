"""The legal path of a household that signed no agreement (DESIGN.md §3): a proceeding per
household and path, with the steps recorded on it.

The proceeding freezes the figures of the approved calculation the decision is made on, as an
agreement does; the steps are an append-only log, one row per step of the path's template
(legal.paths), each with its date, document number and document file.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengqian.legal.paths import LegalPath


class Proceeding(models.Model):
    """One household's legal path: a compensation decision, a compensation and resettlement
    decision, or a ruling, and what follows it up to enforcement."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.PROTECT,
        related_name="legal_proceedings",
        verbose_name=_("household"),
    )
    path = models.CharField(_("legal path"), max_length=24, choices=LegalPath.choices)
    calculation = models.ForeignKey(
        "compensation.Calculation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("calculation"),
    )
    # Frozen from the calculation when the proceeding is opened.
    total = models.DecimalField(_("compensation total"), max_digits=14, decimal_places=2)
    mode = models.CharField(_("resettlement mode"), max_length=16)
    signing_end = models.DateField(_("end of the signing period"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    # The day enforcement was carried out: the proceeding is finished.
    closed_on = models.DateField(_("finished on"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal proceeding")
        verbose_name_plural = _("legal proceedings")
        ordering = ["project", "household", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "path"],
                condition=models.Q(closed_on__isnull=True),
                name="uniq_live_proceeding",
            ),
            models.CheckConstraint(
                condition=models.Q(path__in=LegalPath.values), name="proceeding_path_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_path_display()}"


class ProceedingStep(models.Model):
    """A step of the proceeding as it happened: recorded once, never changed."""

    proceeding = models.ForeignKey(
        Proceeding, on_delete=models.CASCADE, related_name="steps", verbose_name=_("proceeding")
    )
    code = models.CharField(_("step"), max_length=32)
    done_on = models.DateField(_("date"))
    document_no = models.CharField(_("document number (文号)"), max_length=100, blank=True)
    document = models.FileField(_("document"), upload_to="legal/%Y/%m/", max_length=200, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Recorded after the step's last date (the note says why).
    late = models.BooleanField(_("late"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("proceeding step")
        verbose_name_plural = _("proceeding steps")
        ordering = ["proceeding", "done_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proceeding", "code"], name="uniq_proceeding_step"),
        ]

    def __str__(self) -> str:
        return f"{self.proceeding} {self.code} {self.done_on}"
