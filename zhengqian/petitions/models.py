"""Petitions (信访), administrative reconsiderations and lawsuits (行政复议、行政诉讼).

A petition goes received → assigned → acknowledged → answered → satisfaction recorded →
closed; its deadlines are calendar days counted from the day after receipt (信访工作条例:
acknowledge within 15 days, answer within 60 days), set per project by PetitionSettings and
fixed on the petition when it is recorded. A case of reconsideration or litigation has its
hearings and its outcome. The register of collective decisions is
zhengqian.compensation.models.CollectiveDecision, written by this app's services.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DEFAULT_ACKNOWLEDGE_DAYS = 15
DEFAULT_ANSWER_DAYS = 60


class PetitionSettings(models.Model):
    """A project's petition deadlines, in calendar days after the day of receipt."""

    project = models.OneToOneField(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="petition_settings",
        verbose_name=_("project"),
    )
    acknowledge_days = models.PositiveSmallIntegerField(
        _("acknowledge within (days)"),
        default=DEFAULT_ACKNOWLEDGE_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    answer_days = models.PositiveSmallIntegerField(
        _("answer within (days)"),
        default=DEFAULT_ANSWER_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("petition deadlines")
        verbose_name_plural = _("petition deadlines")

    def __str__(self) -> str:
        return f"{self.project} {self.acknowledge_days}/{self.answer_days}"


class Channel(models.TextChoices):
    VISIT = "visit", _("Visit (走访)")
    LETTER = "letter", _("Letter (来信)")
    ONLINE = "online", _("Online platform (网上信访)")
    HOTLINE = "hotline", _("Hotline (热线)")
    DISCIPLINE = "discipline", _("Transferred by the discipline commission (纪委转办)")


class PetitionStatus(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("petition", "Received")
    ASSIGNED = "assigned", _("Assigned")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ANSWERED = "answered", _("Answered")
    RATED = "rated", _("Satisfaction recorded")
    CLOSED = "closed", pgettext_lazy("petition", "Closed")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    NOT_SATISFIED = "not_satisfied", _("Not satisfied")


class Overdue(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Not acknowledged in time")
    ANSWER = "answer", _("Not answered in time")


class Petition(models.Model):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="petitions",
        verbose_name=_("household"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    petitioner_name = models.CharField(_("petitioner"), max_length=60)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    received_on = models.DateField(pgettext_lazy("petition", "received on"))
    request = models.TextField(_("request"))
    attachment = models.FileField(
        _("attachment"), upload_to="petitions/received/%Y/%m/", max_length=200, blank=True
    )
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    acknowledge_by = models.DateField(_("acknowledge by"))
    answer_by = models.DateField(_("answer by"))
    status = models.CharField(
        _("status"), max_length=16, choices=PetitionStatus.choices, default=PetitionStatus.RECEIVED
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    assigned_on = models.DateField(_("assigned on"), null=True, blank=True)
    acknowledged_on = models.DateField(_("acknowledged on"), null=True, blank=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    reply = models.TextField(_("reply"), blank=True)
    reply_document = models.FileField(
        _("reply document"), upload_to="petitions/replies/%Y/%m/", max_length=200, blank=True
    )
    reply_sha256 = models.CharField(max_length=64, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=16, choices=Satisfaction.choices, blank=True
    )
    satisfaction_on = models.DateField(_("satisfaction recorded on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    repeat_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repeats",
        verbose_name=_("repeat of"),
    )
    # How many earlier petitions of the same person the project had when this one came.
    earlier_count = models.PositiveSmallIntegerField(_("earlier petitions"), default=0)
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)
    escalated_for = models.CharField(
        _("escalated for"), max_length=16, choices=Overdue.choices, blank=True
    )
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalated to"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        ordering = ["project", "-received_on", "-pk"]
        indexes = [
            models.Index(fields=["project", "status"], name="petition_status"),
            models.Index(fields=["project", "id_number"], name="petition_person"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.received_on}"

    @property
    def is_escalated(self) -> bool:
        return self.escalated_on is not None


class CaseKind(models.TextChoices):
    RECONSIDERATION = "reconsideration", _("Administrative reconsideration (行政复议)")
    LITIGATION = "litigation", _("Administrative litigation (行政诉讼)")


class CaseSubject(models.TextChoices):
    DECISION = "decision", _("Compensation decision")
    VALUATION = "valuation", _("Valuation")
    AGREEMENT = "agreement", _("Agreement")
    OTHER = "other", _("Other")


class Outcome(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    REVOKED = "revoked", _("Revoked")
    CHANGED = "changed", _("Changed the amount")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SETTLED = "settled", _("Settled")


class LawCase(models.Model):
    """An administrative reconsideration or lawsuit against the office's act."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    household = models.ForeignKey(
        "survey.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="law_cases",
        verbose_name=_("household"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CaseKind.choices)
    body = models.CharField(_("court or reconsideration body"), max_length=100)
    case_number = models.CharField(_("case number"), max_length=60)
    applicant = models.CharField(_("applicant or plaintiff"), max_length=100)
    respondent = models.CharField(_("respondent"), max_length=100)
    subject = models.CharField(_("subject"), max_length=16, choices=CaseSubject.choices)
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agreement"),
    )
    valuation = models.ForeignKey(
        "valuation.Valuation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("valuation"),
    )
    subject_reference = models.CharField(_("reference of the act"), max_length=200, blank=True)
    decision = models.ForeignKey(
        "compensation.CollectiveDecision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="law_cases",
        verbose_name=_("collective decision"),
    )
    filed_on = models.DateField(_("filed on"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_on = models.DateField(_("outcome on"), null=True, blank=True)
    outcome_note = models.CharField(_("outcome note"), max_length=500, blank=True)
    outcome_document = models.FileField(
        _("outcome document"), upload_to="petitions/cases/%Y/%m/", max_length=200, blank=True
    )
    outcome_sha256 = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reconsideration or lawsuit")
        verbose_name_plural = _("reconsiderations and lawsuits")
        ordering = ["project", "-filed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind", "case_number"], name="uniq_lawcase_number"
            ),
        ]

    def __str__(self) -> str:
        return self.case_number


class Hearing(models.Model):
    case = models.ForeignKey(
        LawCase, on_delete=models.CASCADE, related_name="hearings", verbose_name=_("case")
    )
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=200)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hearing")
        verbose_name_plural = _("hearings")
        ordering = ["case", "held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.case} {self.held_on}"
