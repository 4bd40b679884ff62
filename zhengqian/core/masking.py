"""Masking of personal data for screens, exports and logs.

Each function shows the parts people use to recognise a record (the start and end of a number, the
surname) and hides the rest. Short or unusual values never come out less masked than a normal one:
when a value is too short to hide enough of it, fewer characters are shown, down to none.
Empty values and ``None`` give ``""`` so templates need no special case.
"""

from __future__ import annotations

from typing import Final

__all__ = ["mask_bank_account", "mask_id_number", "mask_name", "mask_phone"]

_MASK: Final = "*"
# Fewer hidden characters than this and the masked value is too easy to guess.
_MIN_HIDDEN: Final = 4


def _compact(value: str | None, separators: str = "") -> str:
    if not value:
        return ""
    text = "".join(value.split())
    for separator in separators:
        text = text.replace(separator, "")
    return text


def _visible_counts(length: int, head: int, tail: int) -> tuple[int, int]:
    """How many leading and trailing characters to show so that enough stay hidden."""
    if length - head - tail >= _MIN_HIDDEN:
        return head, tail
    side = max(0, (length - _MIN_HIDDEN) // 2)
    return min(head, side), min(tail, side)


def _mask_middle(text: str, head: int, tail: int) -> str:
    shown_head, shown_tail = _visible_counts(len(text), head, tail)
    hidden = len(text) - shown_head - shown_tail
    return text[:shown_head] + _MASK * hidden + text[len(text) - shown_tail :]


def mask_id_number(value: str | None) -> str:
    """Show the first 4 and last 4 characters of an ID number: ``3301**********1234``.

    The first 4 give province and city, the last 4 let a clerk match the card in hand; the birth
    date in between stays hidden. Spaces are dropped. Inputs shorter than 12 characters show
    fewer characters so that at least 4 stay hidden (``12345678`` → ``12****78``).
    """
    return _mask_middle(_compact(value), 4, 4)


def mask_phone(value: str | None) -> str:
    """Show the first 3 and last 4 digits of a phone number: ``138****5678``.

    Spaces and hyphens are dropped. Numbers shorter than 11 characters show fewer characters so
    that at least 4 stay hidden.
    """
    return _mask_middle(_compact(value, "-"), 3, 4)


def mask_bank_account(value: str | None) -> str:
    """Show the first 4 and last 4 digits of an account: ``6222 **** **** 0123``.

    The middle is always written as two groups of four stars whatever its length, so the mask
    does not reveal the length of the account either. Spaces and hyphens are dropped. Accounts
    shorter than 12 characters show fewer digits so that at least 4 are hidden.
    """
    text = _compact(value, "-")
    if not text:
        return ""
    shown_head, shown_tail = _visible_counts(len(text), 4, 4)
    groups = [text[:shown_head], _MASK * 4, _MASK * 4, text[len(text) - shown_tail :]]
    return " ".join(group for group in groups if group)


def mask_name(value: str | None) -> str:
    """Show the first and, for names of three or more characters, the last character.

    ``张三丰`` → ``张*丰``, ``张三`` → ``张*``, ``欧阳娜娜`` → ``欧**娜``. A one-character name is
    fully hidden (``*``), since showing it would show all of it. Surrounding spaces are dropped.
    """
    text = value.strip() if value else ""
    if len(text) <= 1:
        return _MASK * len(text)
    if len(text) == 2:
        return text[0] + _MASK
    return text[0] + _MASK * (len(text) - 2) + text[-1]
