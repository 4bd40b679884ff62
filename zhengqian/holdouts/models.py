"""Holdout clearance (拔钉清零): the case file of a household that has not signed when the
signing period ended, or has not vacated in time after its agreement took effect, with its
responsible team (攻坚清零小组) and the append-only log of the negotiations.

The holdout list itself is not stored: it is a query (holdouts.selectors.holdouts), so a
household leaves it by itself when it signs or is vacated. Nothing here changes the amounts of
the policy: an offer beyond the household's approved calculation names a collective decision.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Reason(models.TextChoices):
    UNSIGNED = "unsigned", _("Not signed when the signing period ended")
    NOT_VACATED = "not_vacated", _("Signed, not vacated by the deadline")
    # Opened before a deadline for a household the office expects to be difficult (重点难点户).
    AT_RISK = "at_risk", _("At risk (opened before the deadline)")


class CaseStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("case", "Open")
    CLEARED = "cleared", _("Cleared")


class Outcome(models.TextChoices):
    SIGNED = "signed", _("Signed")
    VACATED = "vacated", _("Vacated")
    COURT = "court", _("Enforced by the court")
    OTHER = "other", _("Other")


class Case(models.Model):
    """The case file of one holdout household, with its responsible team and analyses."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.PROTECT,
        related_name="holdout_cases",
        verbose_name=_("household"),
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    # The day the household became a holdout (None for a case opened early).
    since = models.DateField(_("holdout since"), null=True, blank=True)
    opened_on = models.DateField(_("opened on"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    team_name = models.CharField(_("team"), max_length=60)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("team leader"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name=_("team members")
    )
    family_analysis = models.TextField(_("family analysis"), blank=True)
    property_analysis = models.TextField(_("property analysis"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    closed_on = models.DateField(_("cleared on"), null=True, blank=True)
    outcome = models.CharField(_("how"), max_length=10, choices=Outcome.choices, blank=True)
    closing_note = models.CharField(_("note"), max_length=500, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("holdout case")
        verbose_name_plural = _("holdout cases")
        ordering = ["project", "-opened_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(status="open"),
                name="uniq_holdout_open_case",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", closed_on__isnull=True, outcome="")
                | models.Q(status="cleared", closed_on__isnull=False) & ~models.Q(outcome=""),
                name="holdout_case_closing_shape",
            ),
        ]
        # The project page's open cases.
        indexes = [models.Index(fields=["project", "status"], name="holdout_case_status")]

    def __str__(self) -> str:
        return f"{self.household} {self.get_reason_display()}"

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN


class Negotiation(models.Model):
    """One negotiation with the household (约谈): append-only, a correction is a new entry."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="negotiations", verbose_name=_("case")
    )
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("survey.Household", on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=100)
    household_participants = models.CharField(_("for the household"), max_length=300)
    office_participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("for the office")
    )
    offered = models.TextField(_("what was offered"))
    response = models.TextField(_("what the household said"))
    amount = models.DecimalField(
        _("amount offered (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # The approved calculation's total when the entry was made: what the amount was held to.
    policy_total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    decision = models.ForeignKey(
        "compensation.CollectiveDecision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("collective decision"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("negotiation")
        verbose_name_plural = _("negotiations")
        ordering = ["case", "-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="negotiation_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.held_on}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("A negotiation entry is never changed: add a new one."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValidationError(_("A negotiation entry is never deleted."))


class NegotiationFile(models.Model):
    """A file of a negotiation (minutes, a photo), stored under a name of our own."""

    negotiation = models.ForeignKey(
        Negotiation, on_delete=models.PROTECT, related_name="files", verbose_name=_("negotiation")
    )
    household = models.ForeignKey("survey.Household", on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("file"), upload_to="holdouts/%Y/%m/", max_length=200)
    name = models.CharField(_("name"), max_length=200)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("negotiation file")
        verbose_name_plural = _("negotiation files")
        ordering = ["negotiation", "pk"]

    def __str__(self) -> str:
        return self.name
