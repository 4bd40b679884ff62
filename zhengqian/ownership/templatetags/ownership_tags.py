"""Readable names of what a change request corrects."""

from __future__ import annotations

from django import template

from zhengqian.ownership.models import ChangeRequest

register = template.Library()


@register.filter
def change_target(cr: ChangeRequest) -> str:
    from zhengqian.ownership.services import describe_change

    return describe_change(cr)


@register.filter
def paired_field(name: str) -> str:
    from zhengqian.ownership.services import paired_label

    return paired_label(name)


@register.simple_tag
def change_value(cr: ChangeRequest, field: str, value: object) -> str:
    from zhengqian.ownership.services import value_label

    return value_label(cr, field, value)
