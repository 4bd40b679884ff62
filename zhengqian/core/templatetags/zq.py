from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from zhengqian.core.masking import mask_id_number, mask_name
from zhengqian.core.money import amount_in_words

register = template.Library()


@register.simple_tag
def has_cell(cells: set[tuple[str, str, str]], role: str, module: str, action: str) -> bool:
    return (role, module, action) in cells


@register.filter
def rmb_words(value: Decimal | int | str | None) -> str:
    return "" if value is None else amount_in_words(value)


@register.filter
def money(value: Decimal | int | str | None) -> str:
    """An amount with thousands separators and two decimals: 1,152,000.00."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:  # not an amount (a dash, a note): shown as it is
        return str(value)


@register.filter
def masked_id(value: str | None) -> str:
    return mask_id_number(value or "")


@register.filter
def masked_name(value: str | None) -> str:
    return mask_name(value or "")


@register.filter
def event_label(event_type: str) -> str:
    from zhengqian.audit.labels import event_label as label

    return label(event_type)


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key) if mapping else None
