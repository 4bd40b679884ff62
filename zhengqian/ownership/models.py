"""Ownership confirmation (确权确户): legal and unlicensed area per building, resettlement
population per person, reviewed and then locked; corrections after locking are change requests."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ConfirmationStatus(models.TextChoices):
    DRAFT = "draft", _("Being confirmed")
    SUBMITTED = "submitted", _("Submitted for review")
    RETURNED = "returned", _("Returned")
    LOCKED = "locked", _("Confirmed and locked")

    @property
    def editable(self) -> bool:
        return self in (ConfirmationStatus.DRAFT, ConfirmationStatus.RETURNED)


class Confirmation(models.Model):
    """The confirmation of one household, as a whole: prepared, reviewed, locked."""

    household = models.OneToOneField(
        "survey.Household",
        on_delete=models.CASCADE,
        related_name="confirmation",
        verbose_name=_("household"),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ConfirmationStatus.choices,
        default=ConfirmationStatus.DRAFT,
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ownership confirmation")
        verbose_name_plural = _("ownership confirmations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ConfirmationStatus.values),
                name="confirmation_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="confirmation_status")]

    def __str__(self) -> str:
        return f"{self.household} · {self.get_status_display()}"


class ConfirmationTransition(models.Model):
    """Append-only log of the confirmation's workflow steps (from, to, who, why, when)."""

    confirmation = models.ForeignKey(
        Confirmation, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=16, choices=ConfirmationStatus.choices)
    to_status = models.CharField(max_length=16, choices=ConfirmationStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("confirmation step")
        ordering = ["confirmation", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class BuildingConfirmation(models.Model):
    """What the confirmation decided about one building: its legal and unlicensed area."""

    building = models.OneToOneField(
        "survey.Building",
        on_delete=models.CASCADE,
        related_name="confirmation",
        verbose_name=_("building"),
    )
    licensed_area = models.DecimalField(
        _("licensed area (m²)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    unlicensed_area = models.DecimalField(
        _("unlicensed area (m²)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    # A code of the data dictionary kind "unlicensed_treatment"; empty when nothing is unlicensed.
    unlicensed_treatment = models.CharField(
        _("treatment of the unlicensed area"), max_length=40, blank=True
    )
    basis = models.TextField(_("basis"), blank=True)

    class Meta:
        verbose_name = _("building confirmation")
        verbose_name_plural = _("building confirmations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(licensed_area__gte=0) & models.Q(unlicensed_area__gte=0),
                name="building_confirmation_areas",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.building} {self.licensed_area}+{self.unlicensed_area}"


class PersonConfirmation(models.Model):
    """Whether a person counts as resettlement population (可安置人口), and why."""

    person = models.OneToOneField(
        "survey.Person",
        on_delete=models.CASCADE,
        related_name="confirmation",
        verbose_name=_("person"),
    )
    eligible = models.BooleanField(_("counts as resettlement population"))
    # A code of the data dictionary kind "resettlement_reason".
    reason = models.CharField(_("reason"), max_length=40)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("person confirmation")
        verbose_name_plural = _("person confirmations")

    def __str__(self) -> str:
        return f"{self.person} {self.eligible}"


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved and applied")
    REJECTED = "rejected", _("Rejected")


class ChangeRequest(models.Model):
    """A correction of locked data: reason and evidence, approved by the project manager.

    `target` names the record ("survey.building", "ownership.buildingconfirmation",
    "survey.person", "ownership.personconfirmation"), `field` the field; the old value is taken
    when the request is made and checked again when it is applied.
    """

    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.CASCADE,
        related_name="change_requests",
        verbose_name=_("household"),
    )
    target_type = models.CharField(_("record type"), max_length=64)
    target_id = models.BigIntegerField(_("record id"))
    field = models.CharField(_("field"), max_length=64)
    old_value = models.JSONField(_("old value"), null=True)
    new_value = models.JSONField(_("new value"), null=True)
    # Fields of the same confirmation that must change together with the main one so that it
    # stays consistent ({field: [old, new]}): a re-measured building needs its new licensed and
    # unlicensed split, an eligibility change its new reason. Applied in the same transaction.
    paired_changes = models.JSONField(_("changed together"), default=dict, blank=True)
    reason = models.TextField(_("reason"))
    evidence = models.FileField(
        _("evidence"), upload_to="ownership/changes/%Y/%m/", blank=True, max_length=200
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["household", "status"], name="change_household_status")]
        constraints = [
            # Two pending corrections of one field would race; the second must wait.
            models.UniqueConstraint(
                fields=["target_type", "target_id", "field"],
                condition=models.Q(status=ChangeStatus.PENDING),
                name="uniq_pending_change_per_field",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ChangeStatus.values),
                name="change_request_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_type}#{self.target_id}.{self.field}"
