"""The data foundation of the survey module (调查建档): households and their members."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from zhengqian.core.idcard import parse_id_number
from zhengqian.core.imports import ImportJob, ImportStatus

ID_NUMBER_LENGTH = 18
DIVISION_CODE_LENGTH = 6

division_code_validator = RegexValidator(
    r"^[0-9]{6}$", _("An administrative division code has six digits."), code="division_code"
)


class HouseholdKind(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential (住宅)")
    NON_RESIDENTIAL = "non_residential", _("Non-residential (非住宅)")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


def _normalised_id_number(raw: str, field: str) -> str:
    """The 18-character form of an ID number, or a ValidationError keyed by the field."""
    try:
        return parse_id_number(raw).number
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from None


class Household(models.Model):
    """One party whose property is taken: a family, or an enterprise or shop (非住宅)."""

    # No index of its own: the (project, work_group) index and the (project, code) unique
    # constraint both start with the project and serve every lookup by project alone.
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="households",
        db_index=False,
        verbose_name=_("project"),
    )
    work_group = models.ForeignKey(
        "projects.WorkGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="households",
        verbose_name=_("work group"),
    )
    code = models.CharField(_("household code"), max_length=30)
    kind = models.CharField(
        _("type"), max_length=20, choices=HouseholdKind.choices, default=HouseholdKind.RESIDENTIAL
    )
    head_name = models.CharField(_("head of household"), max_length=60)
    head_id_number = models.CharField(
        _("ID number of the head"), max_length=ID_NUMBER_LENGTH, blank=True
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    division_code = models.CharField(
        _("administrative division code"),
        max_length=DIVISION_CODE_LENGTH,
        validators=[division_code_validator],
        help_text=_("The six-digit code (GB/T 2260) of the county where the property lies."),
    )
    address = models.CharField(_("address"), max_length=200)
    # A code of the data dictionary kind "land_type", not a foreign key: entries are deactivated,
    # never deleted, and a record keeps the code it was filed with.
    land_type = models.CharField(_("land type"), max_length=40, blank=True)
    # Non-residential parties (enterprises, shops, offices).
    business_licence = models.CharField(
        _("business licence number"),
        max_length=18,
        blank=True,
        help_text=_("Unified social credit code (统一社会信用代码) of an enterprise or shop."),
    )
    tenants = models.TextField(
        _("tenants"), blank=True, help_text=_("Tenants (承租户) using the property, one per line.")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["project", "code"]
        constraints = [
            # Also the index for looking a household up by its code within a project.
            models.UniqueConstraint(fields=["project", "code"], name="uniq_household_code"),
            models.CheckConstraint(
                condition=models.Q(kind__in=HouseholdKind.values), name="household_kind_valid"
            ),
            # Digits only is left to the field's validator: a REGEXP check would need a function
            # that only Django's own SQLite connections define, and break the sqlite3 shell.
            models.CheckConstraint(
                condition=models.Q(Exact(Length("division_code"), DIVISION_CODE_LENGTH)),
                name="household_division_code_length",
            ),
            models.CheckConstraint(
                condition=models.Q(head_id_number="")
                | models.Q(Exact(Length("head_id_number"), ID_NUMBER_LENGTH)),
                name="household_head_id_number_length",
            ),
        ]
        indexes = [
            # The household lists of a project, filtered by the work groups a user may reach and
            # shown in code order: the first page reads its 50 rows instead of sorting the group.
            models.Index(
                fields=["project", "work_group", "code"], name="household_project_group_code"
            ),
            # Finding the same head in other households and projects (杜绝二次补偿).
            models.Index(fields=["head_id_number"], name="household_head_id"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.head_name}"

    def clean(self) -> None:
        super().clean()
        group = self.work_group if self.work_group_id is not None else None
        if (
            group is not None
            and self.project_id is not None
            and group.project_id != self.project_id
        ):
            raise ValidationError(
                {"work_group": _("The work group must belong to the household's project.")}
            )
        if self.head_id_number:
            self.head_id_number = _normalised_id_number(self.head_id_number, "head_id_number")


class Person(models.Model):
    """A member of a household; may count as resettlement population (可安置人口)."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="persons", verbose_name=_("household")
    )
    name = models.CharField(_("name"), max_length=60)
    id_number = models.CharField(_("ID number"), max_length=ID_NUMBER_LENGTH, blank=True)
    # A code of the data dictionary kind "relation" ("head" for the head of household).
    relation = models.CharField(_("relation to the head"), max_length=40)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    # A code of the data dictionary kind "hukou_type".
    hukou_type = models.CharField(_("household registration type"), max_length=40, blank=True)
    registered_here = models.BooleanField(
        _("registered at this address"),
        default=True,
        help_text=_("Whether the person's household registration (户籍) is at the property."),
    )
    hukou_place = models.CharField(_("place of household registration"), max_length=200, blank=True)
    # A code of the data dictionary kind "special_status" (low income, disabled …), or empty.
    special_status = models.CharField(_("special status"), max_length=40, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["household", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(sex__in=Sex.values), name="person_sex_valid"),
            models.CheckConstraint(
                condition=models.Q(id_number="")
                | models.Q(Exact(Length("id_number"), ID_NUMBER_LENGTH)),
                name="person_id_number_length",
            ),
            models.CheckConstraint(
                condition=models.Q(birth_date__isnull=True)
                | models.Q(birth_date__gte=dt.date(1900, 1, 1)),
                name="person_birth_date_plausible",
            ),
            # A household has one head; the compensation and the agreement are in that name.
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(relation="head"),
                name="uniq_household_head",
            ),
        ]
        indexes = [
            # Finding the same person in other households and projects (杜绝二次补偿).
            models.Index(fields=["id_number"], name="person_id_number"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if not self.id_number:
            return
        self.id_number = _normalised_id_number(self.id_number, "id_number")
        parsed = parse_id_number(self.id_number)
        errors: dict[str, ValidationError] = {}
        if self.sex and self.sex != parsed.sex:
            errors["sex"] = ValidationError(
                _("The ID number belongs to a person of the other sex."), code="sex_mismatch"
            )
        if self.birth_date is not None and self.birth_date != parsed.birth_date:
            errors["birth_date"] = ValidationError(
                _("The ID number gives the date of birth %(date)s."),
                code="birth_date_mismatch",
                params={"date": parsed.birth_date.isoformat()},
            )
        if errors:
            raise ValidationError(errors)


AREA_MAX_DIGITS = 10


class Building(models.Model):
    """One structure of a household, as measured by the survey."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("household")
    )
    number = models.CharField(_("building number"), max_length=20)
    # Codes of the data dictionary kinds "structure_type" and "building_use".
    structure_type = models.CharField(_("structure type"), max_length=40)
    use = models.CharField(_("use"), max_length=40)
    floors = models.PositiveSmallIntegerField(
        _("floors"), default=1, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    year_built = models.PositiveSmallIntegerField(
        _("year built"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1800), MaxValueValidator(2100)],
    )
    measured_area = models.DecimalField(
        _("measured area (m²)"),
        max_digits=AREA_MAX_DIGITS,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    title_certificate_no = models.CharField(
        _("title certificate number"),
        max_length=60,
        blank=True,
        help_text=_("不动产权证号; empty when the building has none."),
    )
    # When the structure was put up, where known: one built after the announcement gets no
    # compensation (抢建), and is flagged.
    built_on = models.DateField(_("built on"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["household", "number"]
        constraints = [
            models.UniqueConstraint(fields=["household", "number"], name="uniq_building_number"),
            models.CheckConstraint(
                condition=models.Q(measured_area__gte=0), name="building_area_not_negative"
            ),
            models.CheckConstraint(condition=models.Q(floors__gte=1), name="building_floors_min"),
        ]
        indexes = [
            # Finding the same title certificate in other households (杜绝二次补偿).
            models.Index(fields=["title_certificate_no"], name="building_title_no"),
        ]

    def __str__(self) -> str:
        return f"{self.household.code}-{self.number}"


class Ancillary(models.Model):
    """An ancillary structure or crop (附属物 / 青苗): walls, wells, trees …"""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="ancillaries", verbose_name=_("household")
    )
    # A code of the data dictionary kind "ancillary_type".
    kind = models.CharField(_("type"), max_length=40)
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=AREA_MAX_DIGITS,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    unit = models.CharField(_("unit"), max_length=10)
    built_on = models.DateField(_("built or planted on"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("ancillary")
        verbose_name_plural = _("ancillaries")
        ordering = ["household", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="ancillary_quantity_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity}{self.unit}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never comes from the user: only the checked extension does.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return (
        f"survey/{instance.household.project_id}/{instance.household_id}/{uuid.uuid4().hex}.{ext}"
    )


class Attachment(models.Model):
    """A survey form, photo, certificate or drawing, of a household or one of its buildings."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("household")
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("building"),
    )
    # A code of the data dictionary kind "document_kind".
    kind = models.CharField(_("document kind"), max_length=40)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("checksum"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["household", "-uploaded_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def previewable(self) -> bool:
        return self.content_type in ("image/jpeg", "image/png", "application/pdf")


# The states of an import job, shared by every module's import (zhengqian.core.imports).
SurveyImportStatus = ImportStatus


def survey_import_path(instance: SurveyImport, filename: str) -> str:
    # The stored name never comes from the user; the original name is kept in a field.
    return f"survey/imports/{instance.project_id}/{uuid.uuid4().hex}.xlsx"


class SurveyImport(ImportJob):
    """One uploaded survey workbook: its check, and its import once the user confirms it.

    The report (errors and what would be imported) is kept here so that the page, the error
    download and the confirmation all see the same check; the confirmation checks the stored
    file again against the project as it is then.
    """

    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.CASCADE,
        related_name="survey_imports",
        db_index=False,
        verbose_name=_("project"),
    )
    file = models.FileField(_("file"), upload_to=survey_import_path, max_length=200)

    class Meta(ImportJob.Meta):
        verbose_name = _("survey import")
        verbose_name_plural = _("survey imports")
        indexes = [
            # The import page lists a user's recent imports of a project.
            models.Index(
                fields=["project", "created_by", "-created_at"], name="survey_import_recent"
            ),
        ]
