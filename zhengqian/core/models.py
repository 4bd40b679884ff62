from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from zhengqian.core.dictionaries import DictionaryKind
from zhengqian.core.draws import ordered


class DictionaryEntry(models.Model):
    """One entry of a data dictionary. Entries are deactivated, never deleted, because records
    keep their code."""

    kind = models.CharField(_("dictionary"), max_length=40, choices=DictionaryKind.choices)
    code = models.CharField(_("code"), max_length=40)
    label_zh = models.CharField(_("Chinese label"), max_length=60)
    label_en = models.CharField(_("English label"), max_length=80, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dictionary entry")
        verbose_name_plural = _("dictionary entries")
        ordering = ["kind", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="uniq_dictionary_code")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if translation.get_language() == "en" and self.label_en:
            return self.label_en
        return self.label_zh


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday")
    WORKDAY = "workday", _("Weekend day worked in exchange")


class CalendarYear(models.Model):
    """A year whose holidays are known (from the State Council's notice)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A public holiday, or a weekend day worked in exchange (调休上班)."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=40)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class StaleMark(models.Model):
    """A downstream record made stale by an upstream change, until it is redone.

    Written by the downstream modules' receivers of core.staleness.upstream_changed.
    """

    household = models.ForeignKey(
        "survey.Household", on_delete=models.CASCADE, related_name="stale_marks"
    )
    target_type = models.CharField(_("stale record type"), max_length=64)
    target_id = models.BigIntegerField(_("stale record id"))
    source = models.CharField(_("changed upstream"), max_length=64)
    source_id = models.CharField(_("upstream record id"), max_length=64)
    changes = models.JSONField(_("changes"), default=dict)
    created_at = models.DateTimeField(_("marked at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stale mark")
        verbose_name_plural = _("stale marks")
        indexes = [
            models.Index(fields=["target_type", "target_id", "resolved_at"], name="stale_target"),
            models.Index(fields=["household", "resolved_at"], name="stale_household"),
        ]

    def __str__(self) -> str:
        return f"{self.target_type}#{self.target_id} ← {self.source}"


class Draw(models.Model):
    """A verifiable random draw (core.draws): committed, then drawn once, then never changed.

    The database refuses deleting a draw, and changing one once it has been drawn.
    """

    purpose = models.CharField(_("purpose"), max_length=40)
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="draws",
        verbose_name=_("project"),
    )
    title = models.CharField(_("title"), max_length=200)
    # The ordered candidate list as published with the commitment: [[key, label], …].
    candidates = models.JSONField(_("candidates"))
    seed_hash = models.CharField(_("hash of the seed (SHA-256)"), max_length=64)
    # Secret until the draw; shown only once drawn_at is set.
    seed = models.CharField(_("seed"), max_length=64)
    witness_value = models.CharField(_("witnesses' value"), max_length=100, blank=True)
    witnesses = models.TextField(_("witnesses present"), blank=True)
    order = models.JSONField(_("drawn order"), null=True, blank=True)
    committed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("prepared by")
    )
    committed_at = models.DateTimeField(_("hash published at"))
    drawn_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drawn by"),
    )
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("draw")
        verbose_name_plural = _("draws")
        ordering = ["-committed_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def drawn(self) -> bool:
        return self.drawn_at is not None

    @property
    def revealed_seed(self) -> str:
        return self.seed if self.drawn else ""

    def labels_in_order(self) -> list[str]:
        return ordered([label for _key, label in self.candidates], self.order or [])

    def keys_in_order(self) -> list[str]:
        return ordered([key for key, _label in self.candidates], self.order or [])


class BackgroundBatch(models.Model):
    """What every batch run in the worker keeps besides its own status and counts: the records
    left out with the reason, the error that stopped it, who started it and when it ended."""

    # {record (e.g. a household code): reason} for those left out; the others go on.
    skipped = models.JSONField(_("left out"), default=dict)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        abstract = True
