"""The placeholders an agreement template may use, and the check of an uploaded template.

A template is a Word file with docxtpl (Jinja) placeholders: `{{ household.head_name }}`,
`{% for line in lines %}…{% endfor %}`. The catalogue below is everything the system offers; an
uploaded template is parsed (never run) and every name and attribute it uses is looked up in the
catalogue, loop variables included, so that an unknown placeholder is refused with its name
before anyone drafts with it. Rendering then runs in Jinja's sandbox with strict undefined
values, as a second guard.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment


@dataclass(frozen=True)
class Spec:
    """One placeholder: a scalar (fields empty), an object (fields), a list of objects
    (many=True, fields of each element) or a mapping by code (keys = the known codes)."""

    help: Promise | str
    fields: dict[str, Spec] = field(default_factory=dict)
    many: bool = False
    keyed: bool = False


def _s(help_text: Promise | str) -> Spec:
    return Spec(help_text)


AMOUNT = _("amount in figures, e.g. 1,152,000.00")
WORDS = _("amount in words (人民币大写)")

_LINE = {
    "position": _s(_("position")),
    "item": _s(_("item code")),
    "name": _s(_("item name")),
    "category": _s(_("category")),
    "rule": _s(_("how it was calculated")),
    "amount": _s(AMOUNT),
    "amount_words": _s(WORDS),
}
_CHANGE = {
    "name": _s(_("item name")),
    "old": _s(_("amount in the corrected agreement")),
    "new": _s(_("amount now")),
    "difference": _s(_("difference (+ more, − less)")),
}


def catalogue(
    item_codes: Iterable[str] | Mapping[str, str] = (), categories: Iterable[str] = ()
) -> dict[str, Spec]:
    """Everything a template may use. `items` and `totals` are keyed by the policy's item codes
    (given with their names, or alone) and the categories; the known keys are those of the
    project's policies."""
    names = dict(item_codes) if isinstance(item_codes, Mapping) else {c: c for c in item_codes}
    return {
        "agreement": Spec(
            _("the agreement"),
            {
                "number": _s(_("agreement number")),
                "kind": _s(_("agreement type")),
                "drafted_on": _s(_("date drafted, e.g. 2026年11月21日")),
            },
        ),
        "project": Spec(
            _("the project"),
            {
                "code": _s(_("project code")),
                "name": _s(_("project name")),
                "location": _s(_("location")),
                "district": _s(_("district")),
            },
        ),
        "household": Spec(
            _("the household"),
            {
                "code": _s(_("household code")),
                "kind": _s(_("residential or non-residential")),
                "head_name": _s(_("head of household")),
                "head_id_number": _s(_("head's ID number")),
                "phone": _s(_("phone")),
                "address": _s(_("address")),
            },
        ),
        "persons": Spec(
            _("household members, in a loop: {% for p in persons %}"),
            {
                "name": _s(_("name")),
                "relation": _s(_("relation to the head")),
                "sex": _s(_("sex")),
                "id_number": _s(_("ID number")),
            },
            many=True,
        ),
        "buildings": Spec(
            _("buildings, in a loop: {% for b in buildings %}"),
            {
                "number": _s(_("building number")),
                "use": _s(_("use")),
                "structure": _s(_("structure type")),
                "measured_area": _s(_("measured area (m²)")),
                "licensed_area": _s(_("licensed area (m²)")),
                "unlicensed_area": _s(_("recognised unlicensed area (m²)")),
                "title_certificate_no": _s(_("title certificate number")),
            },
            many=True,
        ),
        "lines": Spec(_("calculation lines, in a loop: {% for line in lines %}"), _LINE, many=True),
        "items": Spec(
            _("one calculation line by its item code, e.g. items.moving.amount"),
            {code: Spec(name, _LINE) for code, name in names.items()},
            keyed=True,
        ),
        "totals": Spec(
            _("subtotal of a category, e.g. totals.house_value.amount"),
            {
                c: Spec(c, {"name": _s(_("category")), "amount": _s(AMOUNT), "words": _s(WORDS)})
                for c in categories
            },
            keyed=True,
        ),
        "total": _s(_("total compensation, in figures")),
        "total_words": _s(_("total compensation, in words")),
        "mode": _s(_("resettlement mode")),
        "exchange_area": _s(_("area of the new flats (m²), property exchange")),
        "exchange_balance": _s(_("difference to settle for the new flats (without sign)")),
        "exchange_balance_words": _s(_("difference to settle, in words")),
        "exchange_payer": _s(
            _("who pays the difference: 乙方 (the household) or 甲方 (the office)")
        ),
        "voucher_value": _s(_("housing voucher face value")),
        "voucher_value_words": _s(_("housing voucher face value, in words")),
        "voucher_validity_months": _s(_("housing voucher validity (months)")),
        "calculation": Spec(
            _("the calculation"),
            {
                "version": _s(_("calculation version")),
                "policy_version": _s(_("policy version")),
                "policy_title": _s(_("policy title")),
            },
        ),
        "original": Spec(
            _("supplementary agreements: the agreement corrected"),
            {
                "number": _s(_("agreement number")),
                "signed_on": _s(_("signing date")),
                "total": _s(_("total, in figures")),
                "total_words": _s(_("total, in words")),
            },
        ),
        "difference": _s(_("supplementary agreements: the difference of the totals")),
        "difference_words": _s(_("supplementary agreements: the difference, in words")),
        "changes": Spec(
            _("supplementary agreements: changed lines, in a loop: {% for c in changes %}"),
            _CHANGE,
            many=True,
        ),
    }


def listing(specs: dict[str, Spec], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(placeholder, description) for the page that lists what a template may use."""
    for name, spec in specs.items():
        path = f"{prefix}{name}"
        if spec.keyed:
            yield f"{path}.<code>", str(spec.help)
            sample = next(iter(spec.fields.values()), None)
            if sample is not None:
                yield from listing(sample.fields, f"{path}.<code>.")
        elif spec.many:
            yield path, str(spec.help)
            yield from listing(spec.fields, "… .")
        elif spec.fields:
            yield from listing(spec.fields, f"{path}.")
        else:
            yield path, str(spec.help)


def environment() -> SandboxedEnvironment:
    """The Jinja environment of agreement templates: sandboxed, strict, XML-escaping."""
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


class TemplateProblem(ValueError):
    def __init__(self, message: str, names: list[str] | None = None) -> None:
        super().__init__(message)
        self.names = names or []


def template_source(file: IO[bytes] | str) -> str:
    """The Jinja source of a Word template (body, headers and footers), as docxtpl sees it."""
    from docx import Document
    from docx.opc.oxml import parse_xml
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(file)
    doc = Document(file)  # type: ignore[arg-type]
    xml = tpl.patch_xml(tpl.xml_to_string(doc.element.body))
    for rel in doc.part.rels.values():
        if rel.reltype in (tpl.HEADER_URI, tpl.FOOTER_URI, FOOTNOTES_URI) and rel.target_part.blob:
            xml += tpl.patch_xml(tpl.xml_to_string(parse_xml(rel.target_part.blob)))
    # docxtpl fills the document's properties too (title, subject, comments …).
    props = doc.core_properties
    for name in PROPERTIES:
        xml += str(getattr(props, name, "") or "")
    return xml


def in_headers_or_footers(file: IO[bytes] | str) -> bool:
    """Whether the template has placeholders in a header or footer, which the PDF rendition
    does not show (the agreement number there would be missing from the archived PDF)."""
    from docx import Document
    from docxtpl import DocxTemplate

    doc = Document(file)  # type: ignore[arg-type]
    for rel in doc.part.rels.values():
        if rel.reltype in (DocxTemplate.HEADER_URI, DocxTemplate.FOOTER_URI):
            blob = rel.target_part.blob or b""
            if b"{{" in blob or b"{%" in blob:
                return True
    return False


FOOTNOTES_URI = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
PROPERTIES = ("author", "category", "comments", "keywords", "subject", "title")


class _Unknown:
    """Anything set inside the template ({% set %}): not checked further."""


_ANY = _Unknown()


def _resolve(node: nodes.Node, scope: dict[str, Any], unknown: list[str]) -> Any:
    """The Spec (or dict of specs) an expression stands for, None for a scalar or unknown; an
    unknown name or attribute is added to `unknown` with its dotted path."""
    if isinstance(node, nodes.Name):
        if node.name in scope:
            return scope[node.name]
        unknown.append(node.name)
        return None
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        base = _resolve(node.node, scope, unknown)
        if isinstance(node, nodes.Getattr):
            attr: Any = node.attr
        elif isinstance(node.arg, nodes.Const):
            attr = node.arg.value
        else:
            _walk(node.arg, scope, unknown)
            return None
        if base is None or base is _ANY:
            return base
        fields = base.fields if isinstance(base, Spec) else base
        if isinstance(base, Spec) and base.many:
            return None  # attribute of the list itself (e.g. |length): not an element field
        if attr in fields:
            return fields[attr]
        unknown.append(f"{_path(node.node)}.{attr}")
        return None
    _walk(node, scope, unknown)
    return None


def _path(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_path(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_path(node.node)}.{node.arg.value}"
    return "…"


def _targets(node: nodes.Node) -> list[str]:
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Tuple):
        return [n for item in node.items for n in _targets(item)]
    return []


def _walk(node: nodes.Node, scope: dict[str, Any], unknown: list[str]) -> None:
    if isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
        _resolve(node, scope, unknown)
        return
    if isinstance(node, nodes.For):
        iterated = _resolve(node.iter, scope, unknown)
        inner = dict(scope)
        names = _targets(node.target)
        element: Any = _ANY
        if isinstance(iterated, Spec) and iterated.many:
            element = iterated.fields
        for name in names:
            inner[name] = element if len(names) == 1 else _ANY
        inner["loop"] = _ANY
        if node.test is not None:
            _walk(node.test, inner, unknown)
        for child in node.body:
            _walk(child, inner, unknown)
        for child in node.else_:
            _walk(child, scope, unknown)
        return
    if isinstance(node, nodes.Assign | nodes.AssignBlock):
        if isinstance(node, nodes.Assign):
            _walk(node.node, scope, unknown)
        else:
            for child in node.body:
                _walk(child, scope, unknown)
        for name in _targets(node.target):
            scope[name] = _ANY
        return
    for child in node.iter_child_nodes():
        _walk(child, scope, unknown)


def check_source(source: str, specs: dict[str, Spec]) -> list[str]:
    """The placeholders the template uses (sorted), or TemplateProblem naming the unknown ones
    or the syntax error."""
    env = environment()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(
            str(_("The template has a placeholder error: %(error)s") % {"error": exc.message})
        ) from None
    unknown: list[str] = []
    _walk(tree, dict(specs), unknown)
    if unknown:
        names = sorted(dict.fromkeys(unknown))
        raise TemplateProblem(
            str(
                _("Unknown placeholders: %(names)s. Use only the placeholders listed.")
                % {"names": "、".join(names)}
            ),
            names,
        )
    used = set()
    for node in tree.find_all(nodes.Name):
        if node.name in specs:
            used.add(node.name)
    return sorted(used)
