"""The sample agreement templates and the PDF rendering of a filled-in agreement.

No database: the samples are built in memory, filled in by docxtpl with a hand-made context as
the agreement services would, and laid out by `render_pdf`; the PDF's text is read back with
pypdf.
"""

from __future__ import annotations

import ast
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Pt
from docxtpl import DocxTemplate
from pypdf import PdfReader

from zhengqian.agreements import placeholders
from zhengqian.agreements.pdf import docx_text, render_pdf
from zhengqian.agreements.samples import KINDS, sample_template
from zhengqian.core.money import amount_in_words

HEAD = "张建国"
NUMBER = "CN-2026-017-0042"


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def _line(position: int, item: str, name: str, rule: str, amount: Decimal) -> dict[str, Any]:
    return {
        "position": position,
        "item": item,
        "name": name,
        "category": "compensation",
        "rule": rule,
        "amount": _yuan(amount),
        "amount_words": amount_in_words(amount),
    }


def _context() -> dict[str, Any]:
    """What the agreement services hand to docxtpl: every catalogue name, figures formatted."""
    lines = [
        _line(
            1,
            "house_value",
            "被征收房屋价值补偿",
            "96.00 平方米 × 12,000.00 元/平方米",
            Decimal(1152000),
        ),
        _line(2, "moving", "搬迁费", "按户计发 2 次 × 1,500.00 元", Decimal(3000)),
        _line(
            3,
            "transition",
            "临时安置费",
            "96.00 平方米 × 18.00 元/月 × 6 个月",
            Decimal("10368.00"),
        ),
        _line(4, "reward", "按期签约奖励", "被征收房屋价值补偿 × 5%", Decimal(57600)),
    ]
    total = sum((Decimal(line["amount"].replace(",", "")) for line in lines), Decimal(0))
    original_total = Decimal(1152000) + Decimal(3000)
    return {
        "agreement": {"number": NUMBER, "kind": "货币补偿协议", "drafted_on": "2026年11月21日"},
        "project": {
            "code": "CN-2026-017",
            "name": "城南片区棚户区改造项目",
            "location": "城南区解放路以东、建设路以北",
            "district": "城南区",
        },
        "household": {
            "code": "CN-H-0042",
            "kind": "住宅",
            "head_name": HEAD,
            "head_id_number": "330102196501011234",
            "phone": "13800001234",
            "address": "城南区解放路18号2单元301室",
        },
        "persons": [
            {"name": HEAD, "relation": "户主", "sex": "男", "id_number": "330102196501011234"},
            {"name": "李秀英", "relation": "配偶", "sex": "女", "id_number": "330102196703021246"},
        ],
        "buildings": [
            {
                "number": "1",
                "use": "住宅",
                "structure": "砖混",
                "measured_area": "96.00",
                "licensed_area": "96.00",
                "unlicensed_area": "0.00",
                "title_certificate_no": "城房权证字第0012345号",
            },
            {
                "number": "2",
                "use": "附属用房",
                "structure": "砖木",
                "measured_area": "12.50",
                "licensed_area": "0.00",
                "unlicensed_area": "12.50",
                "title_certificate_no": "无",
            },
        ],
        "lines": lines,
        "items": {},
        "totals": {},
        "total": _yuan(total),
        "total_words": amount_in_words(total),
        "mode": "货币补偿",
        "exchange_area": "90.00",
        "exchange_balance": _yuan(Decimal(52000)),
        "exchange_balance_words": amount_in_words(Decimal(52000)),
        "exchange_payer": "甲方",
        "voucher_value": _yuan(total),
        "voucher_value_words": amount_in_words(total),
        "voucher_validity_months": 12,
        "calculation": {
            "version": 2,
            "policy_version": "2026-1",
            "policy_title": "城南区国有土地上房屋征收与补偿实施办法",
        },
        "original": {
            "number": "CN-2026-017-0007",
            "signed_on": "2026年10月8日",
            "total": _yuan(original_total),
            "total_words": amount_in_words(original_total),
        },
        "difference": "+" + _yuan(total - original_total),
        "difference_words": amount_in_words(total - original_total),
        "changes": [
            {"name": "临时安置费", "old": "0.00", "new": "10,368.00", "difference": "+10,368.00"},
            {"name": "按期签约奖励", "old": "0.00", "new": "57,600.00", "difference": "+57,600.00"},
        ],
    }


def _render(template: bytes, context: dict[str, Any]) -> bytes:
    tpl = DocxTemplate(io.BytesIO(template))
    tpl.render(context, jinja_env=placeholders.environment(), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _flat(text: str) -> str:
    """Text without white space: a Chinese sentence wrapped over two lines reads whole."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    return _context()


def _agreement_kinds() -> list[str]:
    """The values of AgreementKind, read from models.py without importing it (the app's models
    need the app registry and the database tables, which these tests do without)."""
    source = (Path(placeholders.__file__).parent / "models.py").read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and node.name == "AgreementKind":
            return [
                statement.value.elts[0].value  # type: ignore[attr-defined]
                for statement in node.body
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Tuple)
            ]
    raise AssertionError("AgreementKind not found")


def test_there_is_a_sample_for_every_agreement_kind() -> None:
    assert sorted(KINDS) == sorted(_agreement_kinds())
    with pytest.raises(ValueError):
        sample_template("lease")


MODE_PLACEHOLDERS = {
    "cash": set(),
    "exchange": {"exchange_area", "exchange_balance", "exchange_balance_words", "exchange_payer"},
    "voucher": {"voucher_value", "voucher_value_words", "voucher_validity_months"},
    "non_residential": {"mode"},
    "supplement": {"original", "changes", "difference", "difference_words"},
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_sample_uses_only_catalogued_placeholders(kind: str) -> None:
    source = placeholders.template_source(io.BytesIO(sample_template(kind)))
    used = placeholders.check_source(source, placeholders.catalogue(item_codes=[], categories=[]))
    assert {"agreement", "household", "project", "total", "total_words"} <= set(used)
    assert MODE_PLACEHOLDERS[kind] <= set(used)
    assert ("lines" in used) == (kind != "supplement")
    # The row loops were recognised: the rows holding {%tr …%} became plain {% … %} tags.
    loops = re.findall(r"\{%.*?%\}", source)
    if kind == "supplement":
        assert loops == ["{% for c in changes %}", "{% endfor %}"]
    else:
        assert loops == [
            "{% for b in buildings %}",
            "{% endfor %}",
            "{% for line in lines %}",
            "{% endfor %}",
        ]


@pytest.mark.parametrize("kind", KINDS)
def test_a_filled_in_sample_renders_to_a_pdf(kind: str, context: dict[str, Any]) -> None:
    rendered = _render(sample_template(kind), context)
    text = docx_text(rendered)
    assert "{{" not in text and "{%" not in text and "}}" not in text

    pdf = render_pdf(rendered, title=f"{NUMBER} {HEAD}")
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata is not None and reader.metadata.title == f"{NUMBER} {HEAD}"
    assert len(reader.pages) >= 2
    pdf_text = _pdf_text(pdf)
    assert "第 1 页" in pdf_text

    expected = [HEAD, NUMBER, context["total"], context["total_words"]]
    if kind == "supplement":
        expected += [context["original"]["number"], context["difference_words"]]
        expected += [change["new"] for change in context["changes"]]
    else:
        expected += [line["amount"] for line in context["lines"]]
        expected += [line["name"] for line in context["lines"]]
        expected += [building["title_certificate_no"] for building in context["buildings"]]
    if kind == "exchange":
        expected += [context["exchange_balance"], context["exchange_balance_words"]]
        expected += [f"由{context['exchange_payer']}在"]
    if kind == "voucher":
        expected += [context["voucher_value_words"]]
    for figure in expected:
        assert figure in text, figure
        assert _flat(figure) in _flat(pdf_text), figure
    # Short figures (the amounts in the table cells) come out on one line, unbroken.
    for figure in [HEAD, NUMBER, context["total"]]:
        assert figure in pdf_text, figure
    assert "本协议自双方签字盖章之日起生效；项目规定签约率生效条件的，自条件成就之日起生效。" in (
        _flat(pdf_text)
    )


def test_the_rendered_xml_escapes_markup_in_the_figures(context: dict[str, Any]) -> None:
    odd = dict(context, household=dict(context["household"], head_name="王<小明> & 李"))
    rendered = _render(sample_template("cash"), odd)
    assert "王<小明> & 李" in docx_text(rendered)
    assert "王<小明> & 李" in _pdf_text(render_pdf(rendered))


def _layout_document() -> bytes:
    """A document with what the renderer must handle beyond the samples: a title, alignment,
    an empty line, a table with cells merged across and down, a page break, markup characters,
    a line break, a tab and runs of different sizes in one paragraph."""
    document = Document()
    document.add_paragraph("布局测试", style="Title")
    document.add_paragraph("居中的一行").alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph("右对齐 A&B <c>").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph()
    table = document.add_table(rows=3, cols=3)
    table.style = document.styles["Table Grid"]
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.text = f"格{r}{c}"
    table.cell(0, 0).merge(table.cell(0, 1)).text = "横向合并"
    table.cell(1, 2).merge(table.cell(2, 2)).text = "纵向合并"
    mixed = document.add_paragraph()
    mixed.add_run("小号").font.size = Pt(8)
    mixed.add_run("大号加粗").bold = True
    mixed.runs[-1].font.size = Pt(20)
    mixed.add_run("换行").add_break()
    mixed.add_run("\t制表")
    document.add_paragraph("第一页末").add_run().add_break(WD_BREAK.PAGE)
    document.add_paragraph("第二页首 1,152,000.00")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_tables_merged_cells_and_page_breaks() -> None:
    docx = _layout_document()
    lines = docx_text(docx).splitlines()
    assert lines[:3] == ["布局测试", "居中的一行", "右对齐 A&B <c>"]
    order = [lines.index(text) for text in ("横向合并", "格02", "纵向合并", "格20", "第一页末")]
    assert order == sorted(order)

    pdf = render_pdf(docx, title="布局")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    first, second = (page.extract_text() for page in reader.pages)
    for text in ("布局测试", "居中的一行", "右对齐 A&B <c>", "横向合并", "纵向合并", "格21"):
        assert text in first, text
    assert "第一页末" in first and "第二页首" not in first
    assert "第二页首 1,152,000.00" in second and "第 2 页" in second


def test_an_empty_document_is_a_blank_page() -> None:
    out = io.BytesIO()
    Document().save(out)
    assert len(PdfReader(io.BytesIO(render_pdf(out.getvalue()))).pages) == 1
    assert docx_text(out.getvalue()) == ""


def test_a_row_taller_than_a_page_is_split_across_pages() -> None:
    """Even when Word is told to keep it on one page (cantSplit), as Word itself does."""
    from docx.oxml import OxmlElement

    document = Document()
    table = document.add_table(rows=2, cols=2)
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for i in range(90):
        table.cell(0, 0).add_paragraph(f"很长的单元格第{i}段")
    table.cell(1, 1).add_table(rows=1, cols=2).cell(0, 1).text = "嵌套表格"
    document.add_paragraph("表后")
    out = io.BytesIO()
    document.save(out)
    text = _pdf_text(render_pdf(out.getvalue()))
    for expected in ("很长的单元格第0段", "很长的单元格第89段", "嵌套表格", "表后", "第 2 页"):
        assert expected in text, expected
