"""Sample unified agreement templates (统一协议模板), one for each kind of agreement.

A project office uploads its own Word templates; these samples are the starting point it can
download, adapt and upload again, and the templates the tests render. Each is built here with
python-docx rather than kept as a binary file, so that its text can be read and reviewed in the
source. They use only the placeholders of :func:`zhengqian.agreements.placeholders.catalogue`
that every project has (no `items.<code>` or `totals.<category>`, whose keys depend on the
policy), and docxtpl's row loops (`{%tr for … %}` alone in a row of its own) for the buildings,
the calculation lines and, in a supplementary agreement, the changed lines.

The text is formal Chinese contract language: it is the document itself, not the interface, and
is therefore not translated. Styles carry the East Asian font 宋体 (SimSun) so that Word shows
the Chinese text in a proper face; the page is A4 with the margins usual for official documents.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.styles import CT_Style
from docx.section import Section
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

__all__ = ["KINDS", "sample_template"]

#: The kinds a sample exists for: the values of `AgreementKind` (models.py). Kept as plain
#: strings so that this module can be used without the app's models being loaded.
KINDS: tuple[str, ...] = ("cash", "exchange", "voucher", "non_residential", "supplement")

_TITLES = {
    "cash": "国有土地上房屋征收货币补偿协议",
    "exchange": "国有土地上房屋征收产权调换协议",
    "voucher": "国有土地上房屋征收房票安置协议",
    "non_residential": "非住宅房屋征收补偿协议",
    "supplement": "房屋征收补偿补充协议",
}

_BODY_FONT = "宋体"
_LATIN_FONT = "Times New Roman"
_BODY_SIZE = Pt(12)  # 小四
_TABLE_SIZE = Pt(10.5)  # 五号
_HEADER_FILL = "D9D9D9"
#: Text width of the A4 page with the margins below: 210 − 28 − 26 mm.
_TEXT_WIDTH_MM = 156


#: Clause numbers: 第一条 … 第十九条.
_NUMERALS = ("〇", *"一二三四五六七八九", "十", *(f"十{d}" for d in "一二三四五六七八九"))


@dataclass(frozen=True)
class _Column:
    heading: str
    cell: str
    width_mm: float
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER


# --- document set-up --------------------------------------------------------------------------


def _set_fonts(rpr_owner: CT_Style, east_asia: str = _BODY_FONT) -> None:
    """Explicit fonts on a style (theme fonts removed, since Word lets them win)."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    fonts.set(qn("w:ascii"), _LATIN_FONT)
    fonts.set(qn("w:hAnsi"), _LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), _LATIN_FONT)


def _new_document(title: str) -> DocumentObject:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(30), Mm(25)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(12)

    styles = document.styles
    normal = styles["Normal"]
    _set_fonts(normal.element)
    normal.font.size = _BODY_SIZE
    normal.font.color.rgb = RGBColor(0, 0, 0)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(lang)
    fmt = normal.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    fmt.line_spacing = 1.5

    heading = styles["Title"]
    _set_fonts(heading.element)
    heading.font.size = Pt(18)  # 小二
    heading.font.bold = True
    heading.font.color.rgb = RGBColor(0, 0, 0)
    ppr = heading.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)
    heading.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.space_before = Pt(6)
    heading.paragraph_format.space_after = Pt(12)
    heading.paragraph_format.line_spacing = 1.2

    clause = styles["Heading 1"]
    _set_fonts(clause.element)
    clause.font.size = _BODY_SIZE
    clause.font.bold = True
    clause.font.color.rgb = RGBColor(0, 0, 0)
    clause.paragraph_format.space_before = Pt(6)
    clause.paragraph_format.space_after = Pt(0)
    clause.paragraph_format.line_spacing = 1.5
    clause.paragraph_format.keep_with_next = True

    properties = document.core_properties
    properties.title = title
    properties.subject = "统一协议模板"
    properties.author = "房屋征收部门"
    # docxtpl renders the core properties as well: no Jinja braces here.
    properties.comments = (
        "占位符见系统中的协议模板占位符列表；表格中以 %tr 开头的行是循环标记，请勿删除。"
    )
    _page_number_footer(section)
    return document


def _page_number_footer(section: Section) -> None:
    """第 N 页 in the footer, N being Word's PAGE field."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("第 ").font.size = Pt(9)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    paragraph.add_run(" 页").font.size = Pt(9)


# --- building blocks --------------------------------------------------------------------------


class _Writer:
    def __init__(self, title: str) -> None:
        self.document = _new_document(title)
        self.clauses = 0
        self.document.add_paragraph(title, style="Title")

    def line(
        self,
        text: str = "",
        *,
        align: WD_ALIGN_PARAGRAPH | None = None,
        indent: bool = False,
        bold_label: str = "",
    ) -> Paragraph:
        paragraph = self.document.add_paragraph()
        if bold_label:
            paragraph.add_run(bold_label).bold = True
        if text:
            paragraph.add_run(text)
        if align is not None:
            paragraph.alignment = align
        if indent:
            paragraph.paragraph_format.first_line_indent = Pt(24)  # two characters
        return paragraph

    def clause(self, heading: str, *paragraphs: str, keep_with_next: bool = False) -> None:
        """A numbered clause (第一条 …); `keep_with_next` keeps its text on the page of what
        follows (the last clause with the signatures)."""
        self.clauses += 1
        self.document.add_paragraph(f"第{_NUMERALS[self.clauses]}条　{heading}", style="Heading 1")
        for text in paragraphs:
            self.line(text, indent=True).paragraph_format.keep_with_next = keep_with_next or None

    def table(
        self,
        columns: Sequence[_Column],
        loop: str,
        total: tuple[str, str] | None = None,
    ) -> Table:
        """A table with a heading row, the docxtpl row loop `loop` (e.g. "b in buildings")
        over one row of cells, and optionally a total row (label merged over all columns but
        the last, then the amount)."""
        table = self.document.add_table(rows=0, cols=len(columns))
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        heading = table.add_row()
        _repeat_as_header(heading)
        for cell, column in zip(heading.cells, columns, strict=True):
            _write_cell(cell, column.heading, WD_ALIGN_PARAGRAPH.CENTER, bold=True)
            _shade(cell, _HEADER_FILL)
        _write_cell(table.add_row().cells[0], f"{{%tr for {loop} %}}", WD_ALIGN_PARAGRAPH.LEFT)
        row = table.add_row()
        for cell, column in zip(row.cells, columns, strict=True):
            _write_cell(cell, column.cell, column.align)
        _write_cell(table.add_row().cells[0], "{%tr endfor %}", WD_ALIGN_PARAGRAPH.LEFT)
        if total is not None:
            cells = table.add_row().cells
            label = cells[0].merge(cells[-2]) if len(cells) > 2 else cells[0]
            _write_cell(label, total[0], WD_ALIGN_PARAGRAPH.CENTER, bold=True)
            _write_cell(cells[-1], total[1], columns[-1].align, bold=True)
        _set_widths(table, [column.width_mm for column in columns])
        return table

    def signatures(self) -> None:
        """The signature block: 甲方 on the left, 乙方 on the right, in a borderless table,
        after 以下无正文 and on the same page as the last clause."""
        end = self.line("（以下无正文）", indent=True)
        end.paragraph_format.keep_with_next = True
        end.paragraph_format.space_after = Pt(12)
        table = self.document.add_table(rows=1, cols=2)
        _no_borders(table)
        # Kept on one page, both parties side by side.
        table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        left = [
            "甲方（盖章）：",
            "",
            "经办人：",
            "审核人：",
            "工作组组长：",
            "村（社区）干部：",
            "日期：　　　　年　　月　　日",
        ]
        right = [
            "乙方（签字）：",
            "",
            "",
            "",
            "",
            "",
            "日期：　　　　年　　月　　日",
        ]
        for cell, texts in zip(table.rows[0].cells, (left, right), strict=True):
            cell.paragraphs[0].text = texts[0]
            for text in texts[1:]:
                cell.add_paragraph(text)
        _set_widths(table, [_TEXT_WIDTH_MM / 2, _TEXT_WIDTH_MM / 2])

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


def _write_cell(cell: _Cell, text: str, align: WD_ALIGN_PARAGRAPH, *, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    paragraph.paragraph_format.line_spacing = 1.0
    run = paragraph.add_run(text)
    run.font.size = _TABLE_SIZE
    run.bold = bold or None


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _repeat_as_header(row: _Row) -> None:
    trpr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    trpr.append(header)


def _set_widths(table: Table, widths_mm: Sequence[float]) -> None:
    """Column widths in the grid (read by the PDF renderer and LibreOffice) and on every
    cell (read by Word)."""
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for tc in row._tr.tc_lst:
            span = tc.grid_span
            start = sum(tc2.grid_span for tc2 in row._tr.tc_lst[: row._tr.tc_lst.index(tc)])
            tc.width = Mm(sum(widths_mm[start : start + span]))


def _no_borders(table: Table) -> None:
    tblpr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    # In its place in the schema's sequence, which Word checks.
    tblpr.insert_element_before(
        borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption"
    )


# --- the agreements ---------------------------------------------------------------------------

_BUILDINGS = (
    _Column("幢号", "{{ b.number }}", 11),
    _Column("用途", "{{ b.use }}", 19),
    _Column("结构", "{{ b.structure }}", 16),
    _Column("测绘面积\n（平方米）", "{{ b.measured_area }}", 26, WD_ALIGN_PARAGRAPH.RIGHT),
    _Column("证载面积\n（平方米）", "{{ b.licensed_area }}", 26, WD_ALIGN_PARAGRAPH.RIGHT),
    _Column("认定无证面积\n（平方米）", "{{ b.unlicensed_area }}", 26, WD_ALIGN_PARAGRAPH.RIGHT),
    _Column("权属证书号", "{{ b.title_certificate_no }}", 32),
)
_LINES = (
    _Column("序号", "{{ line.position }}", 14),
    _Column("补偿项目", "{{ line.name }}", 38),
    _Column("计算依据", "{{ line.rule }}", 68, WD_ALIGN_PARAGRAPH.LEFT),
    _Column("金额（元）", "{{ line.amount }}", 36, WD_ALIGN_PARAGRAPH.RIGHT),
)
_CHANGES = (
    _Column("补偿项目", "{{ c.name }}", 44),
    _Column("原协议金额（元）", "{{ c.old }}", 37, WD_ALIGN_PARAGRAPH.RIGHT),
    _Column("调整后金额（元）", "{{ c.new }}", 37, WD_ALIGN_PARAGRAPH.RIGHT),
    _Column("差额（元）", "{{ c.difference }}", 38, WD_ALIGN_PARAGRAPH.RIGHT),
)

_EFFECT = "本协议自双方签字盖章之日起生效；项目规定签约率生效条件的，自条件成就之日起生效。"
_DISPUTE = (
    "双方在履行本协议过程中发生争议的，应当协商解决；协商不成的，任何一方均可依法向"
    "被征收房屋所在地有管辖权的人民法院提起诉讼。乙方在法定期限内不申请行政复议或者不提起"
    "行政诉讼，又不履行本协议约定的搬迁义务的，甲方可依法申请人民法院强制执行。"
)


def _parties(writer: _Writer, *, business: bool = False) -> None:
    writer.line("{{ agreement.number }}", align=WD_ALIGN_PARAGRAPH.RIGHT, bold_label="协议编号：")
    writer.line()
    writer.line("{{ project.name }}征收实施单位", bold_label="甲方（征收部门）：")
    writer.line("{{ household.head_name }}", bold_label="乙方（被征收人）：")
    id_label = "统一社会信用代码或身份证号：" if business else "身份证号："
    writer.line("{{ household.head_id_number }}", bold_label=id_label)
    writer.line("{{ household.address }}", bold_label="地址：")
    writer.line("{{ household.phone }}", bold_label="联系电话：")
    writer.line()


def _preamble(writer: _Writer, subject: str) -> None:
    writer.line(
        "根据《国有土地上房屋征收与补偿条例》等法律法规和{{ project.name }}（项目编号："
        "{{ project.code }}）房屋征收补偿方案，甲乙双方遵循平等、自愿、公平、诚信的原则，"
        f"就乙方{subject}的征收补偿事宜，经协商一致，订立本协议。",
        indent=True,
    )


def _house(writer: _Writer, what: str) -> None:
    writer.clause(
        f"被征收{what}基本情况",
        f"乙方被征收{what}位于{{{{ project.location }}}}（{{{{ project.district }}}}），"
        "户号{{ household.code }}，经调查登记和认定，房屋情况如下：",
    )
    writer.table(_BUILDINGS, "b in buildings")


def _amounts(writer: _Writer, intro: str) -> None:
    writer.clause(
        "补偿金额",
        f"{intro}依据{{{{ calculation.policy_title }}}}（政策版本"
        "{{ calculation.policy_version }}）计算（计算版本第{{ calculation.version }}版），"
        "甲方应支付乙方的补偿、补助和奖励如下：",
    )
    writer.table(_LINES, "line in lines", total=("合计", "{{ total }}"))
    writer.line(
        "以上补偿、补助和奖励共计人民币（大写）{{ total_words }}，小写 ¥{{ total }} 元。",
        indent=True,
    ).paragraph_format.space_before = Pt(6)


def _payment(writer: _Writer, what: str = "补偿款") -> None:
    writer.clause(
        "支付方式",
        f"本协议生效且乙方按约定腾空交付被征收房屋、经甲方验收合格后，甲方按房屋征收补偿方案"
        f"规定的期限将{what}一次性支付至乙方本人名下的银行账户。乙方应当如实提供账户信息，"
        "因账户信息错误造成的延误由乙方自行承担。",
    )


def _vacating(writer: _Writer, *, business: bool = False) -> None:
    extra = (
        "乙方应自行处理生产设备、存货等财产，并办理营业执照、税务登记等相关变更或注销手续。"
        if business
        else ""
    )
    writer.clause(
        "腾空交付",
        "乙方应在本协议生效后按房屋征收补偿方案规定的搬迁期限完成搬迁，将被征收房屋腾空交付"
        "甲方，同时交回房屋所有权证、国有土地使用证等权属证书原件，并结清水、电、燃气、通讯、"
        f"物业等费用。{extra}腾空交付后，房屋及其附属物归甲方处置，乙方不得再行拆除、损毁或者"
        "出租、出借。",
    )


def _closing(writer: _Writer, *, copies: str = "肆份，甲方执叁份，乙方执壹份") -> None:
    writer.clause("争议解决", _DISPUTE)
    writer.clause(
        "协议生效",
        _EFFECT,
        f"本协议一式{copies}，具有同等法律效力。本协议未尽事宜，双方可另行签订补充协议，"
        "补充协议与本协议具有同等法律效力。",
        keep_with_next=True,
    )
    writer.signatures()


def _cash() -> bytes:
    writer = _Writer(_TITLES["cash"])
    _parties(writer)
    _preamble(writer, "房屋")
    _house(writer, "房屋")
    _amounts(writer, "经房屋征收评估和审核，")
    writer.clause(
        "补偿方式",
        "乙方选择货币补偿方式。甲方按本协议第二条支付补偿款后，乙方不再要求甲方提供产权调换"
        "房屋或者房票安置。",
    )
    _payment(writer)
    _vacating(writer)
    _closing(writer)
    return writer.to_bytes()


def _exchange() -> bytes:
    writer = _Writer(_TITLES["exchange"])
    _parties(writer)
    _preamble(writer, "房屋")
    _house(writer, "房屋")
    _amounts(writer, "经房屋征收评估和审核，")
    writer.clause(
        "产权调换",
        "乙方选择产权调换方式。甲方提供产权调换房屋，建筑面积共计{{ exchange_area }}平方米，"
        "具体房号以选房确认结果为准。",
        "被征收房屋的补偿金额与产权调换房屋的价值相互结算后，产权调换差价为人民币（大写）"
        "{{ exchange_balance_words }}，小写 ¥{{ exchange_balance }} 元，由{{ exchange_payer }}在"
        "产权调换房屋交付前按房屋征收补偿方案的规定向对方结清。",
        "产权调换房屋交付前的过渡期内，甲方按房屋征收补偿方案的标准支付临时安置费。",
    )
    _payment(writer, "应付款项")
    _vacating(writer)
    _closing(writer)
    return writer.to_bytes()


def _voucher() -> bytes:
    writer = _Writer(_TITLES["voucher"])
    _parties(writer)
    _preamble(writer, "房屋")
    _house(writer, "房屋")
    _amounts(writer, "经房屋征收评估和审核，")
    writer.clause(
        "房票安置",
        "乙方选择房票安置方式。甲方向乙方出具房票，房票面值为人民币（大写）"
        "{{ voucher_value_words }}，小写 ¥{{ voucher_value }} 元。",
        "房票有效期为{{ voucher_validity_months }}个月，自房票出具之日起计算。乙方应在有效期内"
        "按房票使用的有关规定购买房屋；房票限乙方本人使用，不得转让、赠与或者抵押。",
        "有效期届满未使用或者未全部使用的，按房屋征收补偿方案的规定以货币方式结算。",
    )
    _payment(writer, "房票面值以外的补偿款")
    _vacating(writer)
    _closing(writer)
    return writer.to_bytes()


def _non_residential() -> bytes:
    writer = _Writer(_TITLES["non_residential"])
    _parties(writer, business=True)
    _preamble(writer, "非住宅房屋")
    _house(writer, "非住宅房屋")
    _amounts(writer, "经房屋征收评估和审核（含停产停业损失、设备搬迁等补偿），")
    writer.clause(
        "补偿方式",
        "乙方选择的补偿方式为：{{ mode }}。乙方的停产停业损失按房屋征收补偿方案的标准一次性补偿，"
        "甲方不再另行支付其他经营损失。",
    )
    _payment(writer)
    _vacating(writer, business=True)
    _closing(writer)
    return writer.to_bytes()


def _supplement() -> bytes:
    writer = _Writer(_TITLES["supplement"])
    _parties(writer)
    writer.line(
        "甲乙双方于{{ original.signed_on }}签订了编号为{{ original.number }}的房屋征收补偿协议"
        "（以下简称“原协议”），原协议约定的补偿总金额为人民币（大写）{{ original.total_words }}，"
        "小写 ¥{{ original.total }} 元。因补偿项目调整，甲乙双方经协商一致，订立本补充协议。",
        indent=True,
    )
    writer.clause(
        "调整内容",
        "依据{{ calculation.policy_title }}（政策版本{{ calculation.policy_version }}）重新计算"
        "（计算版本第{{ calculation.version }}版），原协议下列补偿项目调整如下：",
    )
    writer.table(_CHANGES, "c in changes")
    writer.clause(
        "调整后的补偿金额",
        "调整后，补偿总金额为人民币（大写）{{ total_words }}，小写 ¥{{ total }} 元；与原协议相比，"
        "差额为人民币（大写）{{ difference_words }}，小写 {{ difference }} 元（正数为甲方应增付，"
        "负数为乙方应退还）。",
        "差额款项在本补充协议生效后，按原协议约定的支付方式结清。",
    )
    writer.clause(
        "与原协议的关系",
        "本补充协议是原协议不可分割的组成部分，与原协议具有同等法律效力。本补充协议与原协议"
        "不一致的，以本补充协议为准；本补充协议未约定的事项，仍按原协议执行。",
    )
    _closing(writer)
    return writer.to_bytes()


_BUILDERS: dict[str, Callable[[], bytes]] = {
    "cash": _cash,
    "exchange": _exchange,
    "voucher": _voucher,
    "non_residential": _non_residential,
    "supplement": _supplement,
}


def sample_template(kind: str) -> bytes:
    """The sample template (.docx) of an agreement kind (an `AgreementKind` value)."""
    try:
        build = _BUILDERS[kind]
    except KeyError:
        raise ValueError(f"No sample template for agreement kind {kind!r}.") from None
    return build()
