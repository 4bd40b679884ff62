"""The agreement's documents: the placeholder values from the calculation, the Word file from
the template, the PDF rendition from the Word file.

Every figure comes from the calculation the agreement is drafted from (its lines, totals and
stored inputs), formatted once here — in figures with thousands separators and in 人民币大写 —
so that the Word file, the PDF and the pages show the same text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from jinja2 import TemplateError

from zhengqian.agreements import placeholders
from zhengqian.agreements.models import AgreementKind
from zhengqian.compensation.models import CATEGORY_CHOICES, Calculation, CalculationLine
from zhengqian.core.money import amount_in_words

LANGUAGE = "zh-hans"  # the language of the legal document


def money(value: Decimal | str | None) -> str:
    return "" if value is None else f"{Decimal(value):,.2f}"


def signed_money(value: Decimal) -> str:
    return f"+{value:,.2f}" if value > 0 else f"−{-value:,.2f}" if value < 0 else "0.00"


def words(value: Decimal | str | None) -> str:
    """人民币大写 of an amount; a negative amount (a difference) reads 负…."""
    if value is None:
        return ""
    amount = Decimal(value)
    return ("负" + amount_in_words(-amount)) if amount < 0 else amount_in_words(amount)


def _absolute(value: Decimal | None) -> Decimal | None:
    return None if value is None else abs(value)


def _payer(balance: Decimal | None) -> str:
    """Who pays the property-exchange difference, as the agreement names the parties."""
    if balance is None or balance == 0:
        return ""
    return "乙方" if balance > 0 else "甲方"


def chinese_date(day: dt.date | None) -> str:
    return "" if day is None else f"{day.year}年{day.month}月{day.day}日"


def _line(line: CalculationLine) -> dict[str, str]:
    return {
        "position": str(line.position),
        "item": line.item,
        "name": line.name,
        "category": str(dict(CATEGORY_CHOICES).get(line.category, line.category)),
        "rule": line.rule,
        "amount": money(line.amount),
        "amount_words": words(line.amount),
    }


def context(
    *,
    calculation: Calculation,
    number: str,
    kind: str,
    drafted_on: dt.date,
    original: Any = None,
    catalogue: dict[str, placeholders.Spec] | None = None,
) -> dict[str, Any]:
    """Every placeholder's value for an agreement drafted from this calculation (and, for a
    supplement, correcting `original`: the agreement as last corrected). Items and category
    subtotals the catalogue offers but this calculation does not have are zero, so that one
    template serves every household."""
    with translation.override(LANGUAGE):
        values = _context(calculation, number, kind, drafted_on, original)
        if catalogue is not None:
            _zero_missing(values, catalogue)
        return values


def _zero_missing(values: dict[str, Any], catalogue: dict[str, placeholders.Spec]) -> None:
    categories = dict(CATEGORY_CHOICES)
    for code, spec in catalogue["items"].fields.items():
        values["items"].setdefault(
            code,
            {
                "position": "",
                "item": code,
                "name": str(spec.help),
                "category": "",
                "rule": "",
                "amount": money(Decimal("0")),
                "amount_words": words(Decimal("0")),
            },
        )
    for category in catalogue["totals"].fields:
        values["totals"].setdefault(
            category,
            {
                "name": str(categories.get(category, category)),
                "amount": money(Decimal("0")),
                "words": words(Decimal("0")),
            },
        )


def _context(
    calculation: Calculation, number: str, kind: str, drafted_on: dt.date, original: Any
) -> dict[str, Any]:
    household = calculation.household
    project = household.project
    policy = calculation.policy
    lines = list(calculation.lines.all())
    inputs_buildings = {b["id"]: b for b in calculation.inputs.get("buildings", [])}
    buildings = []
    for b in household.buildings.order_by("number"):
        stored = inputs_buildings.get(b.pk, {})
        buildings.append(
            {
                "number": b.number,
                "use": b.use,
                "structure": b.structure_type,
                "measured_area": str(stored.get("measured_area", b.measured_area)),
                "licensed_area": str(stored.get("licensed_area", "0.00")),
                "unlicensed_area": str(stored.get("unlicensed_area", "0.00")),
                "title_certificate_no": b.title_certificate_no,
            }
        )
    categories = dict(CATEGORY_CHOICES)
    values: dict[str, Any] = {
        "agreement": {
            "number": number,
            "kind": str(AgreementKind(kind).label),
            "drafted_on": chinese_date(drafted_on),
        },
        "project": {
            "code": project.code,
            "name": project.name,
            "location": project.location,
            "district": project.district.name,
        },
        "household": {
            "code": household.code,
            "kind": household.get_kind_display(),
            "head_name": household.head_name,
            "head_id_number": household.head_id_number,
            "phone": household.phone,
            "address": household.address,
        },
        "persons": [
            {
                "name": p.name,
                "relation": p.relation,
                "sex": p.get_sex_display(),
                "id_number": p.id_number,
            }
            for p in household.persons.order_by("id")
        ],
        "buildings": buildings,
        "lines": [_line(line) for line in lines],
        "items": {line.item: _line(line) for line in lines},
        "totals": {
            category: {
                "name": str(categories.get(category, category)),
                "amount": money(amount),
                "words": words(amount),
            }
            for category, amount in calculation.totals.items()
        },
        "total": money(calculation.total),
        "total_words": words(calculation.total),
        "mode": calculation.get_mode_display(),
        "exchange_area": str(calculation.exchange_area or ""),
        # The engine's balance is what the household pays (+) or receives (−): the document
        # states the amount and who pays it.
        "exchange_balance": money(_absolute(calculation.exchange_balance)),
        "exchange_balance_words": words(_absolute(calculation.exchange_balance)),
        "exchange_payer": _payer(calculation.exchange_balance),
        "voucher_value": money(calculation.voucher_value),
        "voucher_value_words": words(calculation.voucher_value),
        "voucher_validity_months": str(policy.voucher_validity_months),
        "calculation": {
            "version": str(calculation.number),
            "policy_version": str(policy.version),
            "policy_title": policy.title,
        },
        "original": {"number": "", "signed_on": "", "total": "", "total_words": ""},
        "difference": "",
        "difference_words": "",
        "changes": [],
    }
    if original is not None:
        difference = calculation.total - original.total
        values["original"] = {
            "number": original.number,
            "signed_on": chinese_date(original.signed_on),
            "total": money(original.total),
            "total_words": words(original.total),
        }
        values["difference"] = signed_money(difference)
        values["difference_words"] = words(difference)
        values["changes"] = changes(original.calculation, calculation)
    return values


def changes(old: Calculation, new: Calculation) -> list[dict[str, str]]:
    """The lines whose amount differs between two calculations (new, dropped, changed)."""
    before = {line.item: line for line in old.lines.all()}
    after = {line.item: line for line in new.lines.all()}
    rows = []
    for item in [*after, *(i for i in before if i not in after)]:
        a = after.get(item)
        b = before.get(item)
        old_amount = b.amount if b else Decimal("0.00")
        new_amount = a.amount if a else Decimal("0.00")
        if old_amount != new_amount:
            rows.append(
                {
                    "name": (a or b).name,  # type: ignore[union-attr]
                    "old": money(old_amount),
                    "new": money(new_amount),
                    "difference": signed_money(new_amount - old_amount),
                }
            )
    return rows


def render_docx(template: bytes, values: dict[str, Any]) -> bytes:
    """The Word file: the template rendered in the sandbox with strict placeholders."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(io.BytesIO(template))
    try:
        tpl.render(values, jinja_env=placeholders.environment(), autoescape=True)
    except TemplateError as exc:
        # The upload check makes this rare (a placeholder where docxtpl looks but the check
        # does not): the draft is refused, nothing is saved, the manager fixes the template.
        raise ValidationError(
            _("The template cannot be filled in (%(error)s): the project manager must correct it.")
            % {"error": exc.message or type(exc).__name__},
            code="template",
        ) from None
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def render(template: bytes, values: dict[str, Any], *, title: str) -> tuple[bytes, bytes]:
    """(Word, PDF) of one agreement."""
    from zhengqian.agreements.pdf import render_pdf

    docx = render_docx(template, values)
    return docx, render_pdf(docx, title=title)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
