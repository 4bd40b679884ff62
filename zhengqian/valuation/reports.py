"""The household valuation report (分户评估报告) as a PDF, generated from the figures.

The text is set in the Adobe-GB1 CID font STSong-Light, one of the standard Chinese fonts every
PDF reader provides (PDF 1.7, annex D): the file needs no font installed where it is made, stays
small, and its text can be searched and copied. The layout is an A4 page per report, the
figures in tables, the total in figures and in 人民币大写.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.utils import translation
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from zhengqian.core.masking import mask_name
from zhengqian.core.models import DictionaryEntry
from zhengqian.core.money import amount_in_words
from zhengqian.valuation.models import Valuation

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    return {
        "title": ParagraphStyle(
            "title", fontName=font, fontSize=18, leading=26, alignment=TA_CENTER
        ),
        "body": ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16),
        "small": ParagraphStyle("small", fontName=font, fontSize=9, leading=13),
        "heading": ParagraphStyle("heading", fontName=font, fontSize=12, leading=20),
    }


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9.5),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def render_report(valuation: Valuation) -> bytes:
    """The report of one household, in Chinese (the language of the legal document)."""
    with translation.override("zh-hans"):
        return _render(valuation)


def _render(valuation: Valuation) -> bytes:
    styles = _styles()
    household = valuation.household
    project = household.project
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"分户评估报告 {valuation.report_no}",
        author=valuation.firm.name,
        subject=project.name,
    )
    story: list[Any] = [
        Paragraph("房屋征收分户评估报告", styles["title"]),
        Spacer(1, 4 * mm),
        Paragraph(f"报告编号：{valuation.report_no}", styles["body"]),
        Paragraph(f"征收项目：{project.name}（{project.code}）", styles["body"]),
        Paragraph(
            f"被征收人：{mask_name(household.head_name)}　户编号：{household.code}", styles["body"]
        ),
        Paragraph(f"房屋坐落：{household.address}", styles["body"]),
        Paragraph(
            f"价值时点：{valuation.valuation_date.isoformat() if valuation.valuation_date else ''}"
            f"　评估机构：{valuation.firm.name}"
            f"（资质等级 {valuation.firm.get_grade_display()}，"
            f"证书 {valuation.firm.certificate_no}）",
            styles["body"],
        ),
        Spacer(1, 4 * mm),
        Paragraph("一、被征收房屋价值", styles["heading"]),
    ]
    labels = dict(
        DictionaryEntry.objects.filter(kind__in=["building_use", "ancillary_type"]).values_list(
            "code", "label_zh"
        )
    )
    rows: list[list[Any]] = [["幢号", "用途", "评估面积（㎡）", "单价（元/㎡）", "评估价值（元）"]]
    for line in valuation.buildings.select_related("building").order_by("building__number"):
        rows.append(
            [
                line.building.number,
                labels.get(line.building.use, line.building.use),
                f"{line.area:,.2f}",
                _yuan(line.unit_price),
                _yuan(line.value),
            ]
        )
    rows.append(["小计", "", "", "", _yuan(valuation.buildings_total)])
    story.append(_table(rows, [22 * mm, 30 * mm, 36 * mm, 36 * mm, 46 * mm]))
    story += [Spacer(1, 3 * mm), Paragraph("二、室内装修", styles["heading"])]
    rows = [["项目", "幢号", "", "", "金额（元）"]]
    for deco in valuation.decorations.select_related("building").order_by("id"):
        rows.append(
            [
                deco.description,
                deco.building.number if deco.building else "",
                "",
                "",
                _yuan(deco.amount),
            ]
        )
    rows.append(["小计", "", "", "", _yuan(valuation.decoration_total)])
    story.append(_table(rows, [70 * mm, 22 * mm, 16 * mm, 16 * mm, 46 * mm]))
    story += [Spacer(1, 3 * mm), Paragraph("三、附属物", styles["heading"])]
    rows = [["名称", "数量", "单位", "单价（元）", "评估价值（元）"]]
    for anc in valuation.ancillaries.select_related("ancillary").order_by("ancillary_id"):
        rows.append(
            [
                anc.ancillary.description or labels.get(anc.ancillary.kind, anc.ancillary.kind),
                f"{anc.quantity:,.2f}",
                anc.ancillary.unit,
                _yuan(anc.unit_price),
                _yuan(anc.value),
            ]
        )
    rows.append(["小计", "", "", "", _yuan(valuation.ancillaries_total)])
    story.append(_table(rows, [50 * mm, 28 * mm, 16 * mm, 30 * mm, 46 * mm]))
    if valuation.business_loss:
        story += [
            Spacer(1, 3 * mm),
            Paragraph("四、停产停业损失", styles["heading"]),
            Paragraph(
                f"{_yuan(valuation.business_loss)} 元　{valuation.business_loss_basis}",
                styles["body"],
            ),
        ]
    story += [
        Spacer(1, 5 * mm),
        Paragraph(f"评估总价：{_yuan(valuation.total)} 元", styles["heading"]),
        Paragraph(f"人民币（大写）：{amount_in_words(valuation.total)}", styles["heading"]),
        Spacer(1, 5 * mm),
        Paragraph(
            "被征收人对评估结果有异议的，可自收到本报告之日起10日内向本评估机构书面申请复核评估；"
            "对复核结果有异议的，可自收到复核结果之日起10日内向房地产价格评估专家委员会申请鉴定。",
            styles["small"],
        ),
        Spacer(1, 10 * mm),
        Paragraph(f"评估机构：{valuation.firm.name}（盖章）", styles["body"]),
        Paragraph(
            f"出具日期：{valuation.issued_on.isoformat() if valuation.issued_on else ''}"
            f"　版本：{valuation.version}",
            styles["body"],
        ),
    ]
    doc.build(story)
    return out.getvalue()
