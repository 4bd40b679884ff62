"""Citizen identity numbers of the People's Republic of China (GB 11643-1999).

An 18-character number is made of a 6-digit administrative region code (GB/T 2260), the birth
date as YYYYMMDD, a 3-digit sequence whose last digit is odd for men and even for women, and a
check character computed with ISO 7064 MOD 11-2 (0-9 or X).

Numbers issued before 1999 have 15 digits (region, YYMMDD, sequence, no check character). They are
accepted and converted to the 18-character form, which is the form every record stores.

Only the province part of the region code is checked: county codes change every year and old
numbers keep the codes of their time, so a full code list would refuse genuine numbers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = [
    "PROVINCE_CODES",
    "IdNumber",
    "check_digit",
    "is_valid_id_number",
    "make_id_number",
    "parse_id_number",
]

_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS: Final = "10X98765432"

#: First two digits of the region code: the provinces of GB/T 2260, with 71 (Taiwan), 81 (Hong
#: Kong) and 82 (Macao), plus 83, which residence permits for Taiwan residents use (830000).
#: 91 is not a GB/T 2260 code and foreigners' permanent residence cards have another structure,
#: so it is refused.
PROVINCE_CODES: Final = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip

_EARLIEST_BIRTH_YEAR: Final = 1900
# Birth dates on the card are Beijing dates wherever the server runs.
_CHINA: Final = ZoneInfo("Asia/Shanghai")
_DIGITS_17: Final = re.compile(r"[0-9]{17}")


def check_digit(first17: str) -> str:
    """Return the check character (0-9 or X) for the first 17 digits of an ID number.

    Raises:
        ValueError: if ``first17`` is not exactly 17 ASCII digits.
    """
    if not _DIGITS_17.fullmatch(first17):
        raise ValueError(f"Expected 17 digits, got {first17!r}.")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


@dataclass(frozen=True)
class IdNumber:
    """A validated ID number in its 18-character form and what it tells about its holder."""

    number: str
    region_code: str
    birth_date: date
    sex: str  # "M" or "F"

    def age_on(self, day: date) -> int:
        """Age in completed years on ``day``; the birthday itself counts as reached.

        Someone born on 29 February becomes a year older on 1 March in common years, because
        that is the first day on which a full year has passed.

        Raises:
            ValueError: if ``day`` is before the birth date.
        """
        if day < self.birth_date:
            raise ValueError(f"{day.isoformat()} is before the birth date.")
        birthday_not_reached = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(birthday_not_reached)


def _normalize(raw: str) -> str:
    # People type ID numbers with Chinese input methods, which produce full-width digits and Ｘ,
    # and paste them with spaces; NFKC folds the former, split() drops every kind of space.
    return "".join(unicodedata.normalize("NFKC", raw).split()).upper()


def _birth_date(text: str) -> date | None:
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """Validate an ID number and return it parsed, in its 18-character form.

    Spaces anywhere are ignored and a lowercase x is read as X. Checks run in this order and the
    first failure raises :class:`~django.core.exceptions.ValidationError` with its code:

    * ``"length"``: not 18 (or 15) characters;
    * ``"characters"``: other than 17 digits and a digit or X (15 digits for the old form);
    * ``"region"``: the first two digits are not a province code (see :data:`PROVINCE_CODES`);
    * ``"birth_date"``: not a real date, before 1900, or after ``today``;
    * ``"check_digit"``: the 18th character is not the one the first 17 digits give.

    ``today`` defaults to the current date in China.
    """
    number = _normalize(raw)
    if len(number) not in (15, 18):
        raise ValidationError(
            _("An ID number has 18 characters (or 15 for the old form); this one has %(count)d."),
            code="length",
            params={"count": len(number)},
        )
    if len(number) == 15:
        if not (number.isascii() and number.isdigit()):
            raise ValidationError(
                _("An ID number of the old 15-character form has digits only."),
                code="characters",
            )
        # Old numbers were issued to people born in the 20th century only.
        first17 = number[:6] + "19" + number[6:]
        number = first17 + check_digit(first17)
        converted = True
    else:
        if not _DIGITS_17.fullmatch(number[:17]) or number[17] not in "0123456789X":
            raise ValidationError(
                _("An ID number has 17 digits followed by a digit or the letter X."),
                code="characters",
            )
        converted = False

    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(
            _("The ID number starts with %(code)s, which is not a province code."),
            code="region",
            params={"code": number[:2]},
        )

    if today is None:
        today = datetime.now(_CHINA).date()
    birth_date = _birth_date(number[6:14])
    if birth_date is None:
        raise ValidationError(
            _("The birth date in the ID number, %(digits)s, is not a real date."),
            code="birth_date",
            params={"digits": number[6:14]},
        )
    if birth_date.year < _EARLIEST_BIRTH_YEAR:
        raise ValidationError(
            _("The birth date in the ID number, %(date)s, is before 1900."),
            code="birth_date",
            params={"date": birth_date.isoformat()},
        )
    if birth_date > today:
        raise ValidationError(
            _("The birth date in the ID number, %(date)s, is in the future."),
            code="birth_date",
            params={"date": birth_date.isoformat()},
        )

    if not converted:
        expected = check_digit(number[:17])
        if number[17] != expected:
            raise ValidationError(
                _(
                    "The last character of the ID number should be %(expected)s, not %(actual)s; "
                    "a digit may have been mistyped."
                ),
                code="check_digit",
                params={"expected": expected, "actual": number[17]},
            )

    return IdNumber(
        number=number,
        region_code=number[:6],
        birth_date=birth_date,
        sex="M" if int(number[16]) % 2 else "F",
    )


def is_valid_id_number(raw: str, *, today: date | None = None) -> bool:
    """Whether :func:`parse_id_number` accepts ``raw``."""
    try:
        parse_id_number(raw, today=today)
    except ValidationError:
        return False
    return True


def make_id_number(region_code: str, birth_date: date, sequence: int) -> str:
    """Build a valid 18-character ID number, for demo and test data.

    The holder is a man when ``sequence`` is odd and a woman when it is even, as on real cards.

    Raises:
        ValueError: if ``region_code`` is not 6 digits starting with a province code,
            ``birth_date`` is before 1900, or ``sequence`` is outside 0..999.
    """
    if not re.fullmatch(r"[0-9]{6}", region_code) or region_code[:2] not in PROVINCE_CODES:
        raise ValueError(f"{region_code!r} is not a region code of a province.")
    if birth_date.year < _EARLIEST_BIRTH_YEAR:
        raise ValueError(f"Birth date {birth_date.isoformat()} is before 1900.")
    if not 0 <= sequence <= 999:
        raise ValueError(f"Sequence {sequence} is outside 0..999.")
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)
