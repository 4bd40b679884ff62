"""Money helpers: rounding to the fen and amounts written in Chinese capitals (人民币大写).

Money is always :class:`~decimal.Decimal`. Floats are refused outright: a float such as ``0.1``
cannot hold the amount it seems to, and a compensation agreement must match the ledger to the fen.

:func:`amount_in_words` follows the People's Bank of China rules for writing amounts on bills and
settlement vouchers (《支付结算办法》 appendix 《正确填写票据和结算凭证的基本规定》). Where those
rules leave a choice, this module makes one and always the same:

* **整 after 角.** The rules require 整 after 元 and allow it after 角. We write it after 角 too
  (``1.50`` → 壹元伍角整), so nothing can be appended after the last unit. Never after 分.
* **零 before 角 or 分.** When the 元 digit is 0 and 角 is not, we write 零 before 角
  (``1680.32`` → 壹仟陆佰捌拾元零叁角贰分); when 角 is 0 and 分 is not, 零 before 分
  (``16409.02`` → 壹万陆仟肆佰零玖元零贰分). Amounts below one yuan start at the first non-zero
  unit, without 零元 (``0.05`` → 伍分).
* **零 inside the integer part.** A run of zeros between two written digits is written as a single
  零 (``1001`` → 壹仟零壹元整, ``100010`` → 壹拾万零壹拾元整, ``1010000000`` → 壹拾亿零壹仟万元整),
  with one exception the rules allow (rule 4 names the 万 digit): zeros that only trail a written
  万 before a non-zero 仟 digit are not written, because 万 already marks the boundary
  (``107000.53`` → 壹拾万柒仟元零伍角叁分). The same applies to the 万 inside a count of 亿.
* **壹拾.** A leading 1 in the 拾 position is written 壹拾 (``18`` → 壹拾捌元整), as the rules
  require for amounts, unlike everyday speech.
* **Negative amounts** are prefixed with 负; zero is 零元整.

Amounts up to 9 999 9999 9999 9999.99 (below 一亿亿, i.e. through the 万亿 range) are supported.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Final

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = [
    "MAX_AMOUNT_IN_WORDS",
    "amount_in_words",
    "to_fen",
    "words_to_amount",
]

FEN: Final = Decimal("0.01")

#: Largest absolute amount :func:`amount_in_words` writes; beyond it Chinese needs 亿亿 or 兆,
#: which no bill or agreement uses.
MAX_AMOUNT_IN_WORDS: Final = Decimal("9999999999999999.99")

_DIGITS: Final = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS: Final = ("仟", "佰", "拾", "")
_WAN: Final = 10_000
_YI: Final = 100_000_000

# Plain decimal notation only: exponents, underscores and thousands separators, all accepted by
# Decimal(), are more likely a typing or import mistake than an amount.
_AMOUNT_PATTERN: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)


def to_fen(value: Decimal | int | str) -> Decimal:
    """Return ``value`` as a Decimal rounded to the fen (0.01), half away from zero.

    This is 四舍五入 as accountants do it (``ROUND_HALF_UP`` in :mod:`decimal`): ``2.675`` →
    ``2.68``, ``-2.675`` → ``-2.68``. A zero result is always ``0.00``, never ``-0.00``.

    Strings may carry surrounding whitespace and a sign, nothing else.

    Raises:
        TypeError: for a float (money is never float), a bool, or any other type.
        ValidationError: code ``"invalid"`` for a string that is not a plain decimal number,
            or for a Decimal that is NaN or infinite.
    """
    # bool is an int subclass; True as an amount is a bug, not one yuan.
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(
            f"Money must be a Decimal, an int or a str, not {type(value).__name__}; "
            "floats cannot represent amounts exactly."
        )
    if isinstance(value, str):
        text = value.strip()
        if not _AMOUNT_PATTERN.fullmatch(text):
            raise ValidationError(
                _("“%(value)s” is not a valid amount of money."),
                code="invalid",
                params={"value": value},
            )
        number = Decimal(text)
    else:
        number = Decimal(value)
    if not number.is_finite():
        raise ValidationError(
            _("“%(value)s” is not a valid amount of money."),
            code="invalid",
            params={"value": value},
        )
    # The default context (28 digits) would refuse to quantize very large amounts; give it
    # exactly the precision the result needs instead of failing on legitimate input.
    with localcontext() as context:
        context.prec = max(28, number.adjusted() + 4)
        rounded = number.quantize(FEN, rounding=ROUND_HALF_UP)
    return abs(rounded) if rounded.is_zero() else rounded


def _four_digits_in_words(number: int) -> str:
    """Write 1..9999 with 仟佰拾, a single 零 for any run of inner zeros."""
    text: list[str] = []
    pending_zero = False
    for digit_char, unit in zip(f"{number:04d}", _SMALL_UNITS, strict=True):
        digit = int(digit_char)
        if digit == 0:
            pending_zero = bool(text)
            continue
        if pending_zero:
            text.append("零")
            pending_zero = False
        text.append(_DIGITS[digit] + unit)
    return "".join(text)


def _integer_in_words(number: int) -> str:
    """Write a positive integer below 10**16 by 亿 and 万 groups."""
    if number >= _YI:
        upper, lower = divmod(number, _YI)
        text = _integer_in_words(upper) + "亿"
        if lower:
            # Any zero between the 亿 count and the rest is written, including a zero 亿 digit
            # before a non-zero 仟万 digit: the rules' exception covers the 万 digit only.
            if lower < 10_000_000 or upper % 10 == 0:
                text += "零"
            text += _integer_in_words(lower)
        return text
    if number >= _WAN:
        upper, lower = divmod(number, _WAN)
        text = _integer_in_words(upper) + "万"
        if lower:
            if lower < 1000:
                text += "零"
            text += _four_digits_in_words(lower)
        return text
    return _four_digits_in_words(number)


def amount_in_words(amount: Decimal | int | str) -> str:
    """Write ``amount`` in Chinese capitals as required on bills and agreements.

    The amount is first rounded with :func:`to_fen`. See the module documentation for the rules
    and the choices made where the rules allow two forms. Examples::

        >>> amount_in_words("1867000000.00")
        '壹拾捌亿陆仟柒佰万元整'
        >>> amount_in_words("16409.02")
        '壹万陆仟肆佰零玖元零贰分'
        >>> amount_in_words("0.50")
        '伍角整'

    Raises:
        TypeError: as :func:`to_fen` (for floats).
        ValidationError: as :func:`to_fen`, or code ``"too_large"`` when the absolute amount is
            above :data:`MAX_AMOUNT_IN_WORDS`.
    """
    value = to_fen(amount)
    if abs(value) > MAX_AMOUNT_IN_WORDS:
        raise ValidationError(
            _("%(value)s is too large to be written in words; the limit is %(limit)s."),
            code="too_large",
            params={"value": value, "limit": MAX_AMOUNT_IN_WORDS},
        )
    sign = "负" if value < 0 else ""
    fen_total = int(abs(value) * 100)
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)

    if yuan == 0 and cents == 0:
        return "零元整"

    parts: list[str] = []
    if yuan:
        parts.append(_integer_in_words(yuan) + "元")
    if jiao:
        if yuan and yuan % 10 == 0:
            parts.append("零")
        parts.append(_DIGITS[jiao] + "角")
    if fen:
        if yuan and not jiao:
            parts.append("零")
        parts.append(_DIGITS[fen] + "分")
    else:
        parts.append("整")
    return sign + "".join(parts)


# The parser below deliberately shares nothing with the writer above, so that a test comparing
# the two checks the rules rather than the code against itself.

_DIGIT_VALUES: Final = {char: index for index, char in enumerate(_DIGITS) if index}
_UNIT_VALUES: Final = {"拾": 10, "佰": 100, "仟": 1000}
_WORDS_PATTERN: Final = re.compile(
    r"(?P<sign>负)?(?:人民币)?"
    r"(?:(?P<integer>[零壹贰叁肆伍陆柒捌玖拾佰仟万亿]+)元)?"
    r"(?:零?(?P<jiao>[壹贰叁肆伍陆柒捌玖])角)?"
    r"(?:零?(?P<fen>[壹贰叁肆伍陆柒捌玖])分)?"
    r"(?P<whole>[整正])?"
)


def _invalid_words(text: str) -> ValidationError:
    return ValidationError(
        _("“%(text)s” is not an amount written in Chinese capitals."),
        code="invalid",
        params={"text": text},
    )


def _parse_integer_words(text: str, original: str) -> int:
    """Read the part before 元 by accumulating each unit's place value."""
    if text == "零":
        return 0
    total = 0  # everything already multiplied by 亿
    below_yi = 0  # everything already multiplied by 万, below 亿
    section = 0  # below 万
    digit: int | None = None
    last_unit = 10_000  # units inside a section must strictly decrease: 仟 > 佰 > 拾
    seen_wan = seen_yi = False
    for char in text:
        if char in _DIGIT_VALUES:
            if digit is not None:
                raise _invalid_words(original)
            digit = _DIGIT_VALUES[char]
        elif char == "零":
            # 零 only marks skipped places; it carries no value but cannot stand before a unit.
            if digit is not None:
                raise _invalid_words(original)
        elif char in _UNIT_VALUES:
            unit = _UNIT_VALUES[char]
            if digit is None or unit >= last_unit:
                raise _invalid_words(original)
            section += digit * unit
            digit = None
            last_unit = unit
        elif char == "万":
            section += digit or 0
            if section == 0 or seen_wan:
                raise _invalid_words(original)
            below_yi += section * _WAN
            digit, section, last_unit, seen_wan = None, 0, 10_000, True
        else:  # 亿
            section += digit or 0
            if seen_yi or below_yi + section == 0:
                raise _invalid_words(original)
            total = (below_yi + section) * _YI
            digit, section, below_yi, last_unit = None, 0, 0, 10_000
            seen_wan, seen_yi = False, True
    return total + below_yi + section + (digit or 0)


def words_to_amount(text: str) -> Decimal:
    """Read an amount written in Chinese capitals back into a Decimal.

    Accepts what :func:`amount_in_words` writes and the other forms the rules allow: an optional
    人民币 prefix, 整 or 正 after 元 or 角 (or left out), and 零 where the rules make it optional.
    It is meant for checking generated documents, so it refuses anything it cannot read
    unambiguously rather than guess.

        >>> words_to_amount("壹万陆仟肆佰零玖元零贰分")
        Decimal('16409.02')

    Raises:
        ValidationError: code ``"invalid"`` for text that is not such an amount.
    """
    stripped = "".join(text.split())
    match = _WORDS_PATTERN.fullmatch(stripped)
    if not match or not stripped:
        raise _invalid_words(text)
    integer_text, jiao_text, fen_text = match["integer"], match["jiao"], match["fen"]
    if integer_text is None and jiao_text is None and fen_text is None:
        raise _invalid_words(text)
    # 整 closes an amount that stops at 元 or 角; after 分 it would invite tampering.
    if match["whole"] and fen_text:
        raise _invalid_words(text)
    yuan = _parse_integer_words(integer_text, text) if integer_text else 0
    jiao = _DIGIT_VALUES[jiao_text] if jiao_text else 0
    fen = _DIGIT_VALUES[fen_text] if fen_text else 0
    value = Decimal(yuan * 100 + jiao * 10 + fen) / 100
    value = value.quantize(FEN)
    if match["sign"]:
        if value.is_zero():
            raise _invalid_words(text)
        value = -value
    return value
