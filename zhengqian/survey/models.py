"""The data foundation of the survey module (调查建档): households and their members."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from zhengqian.core.idcard import parse_id_number

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
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

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
            # The household lists of a project, filtered by the work groups a user may reach.
            models.Index(fields=["project", "work_group"], name="household_project_group"),
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
