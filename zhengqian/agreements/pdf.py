"""A rendered agreement (.docx, placeholders filled in) as an A4 PDF, and its plain text.

The agreement is drafted in Word and signed on paper, but the office also files and shows a PDF.
No word processor runs on the server: the document body is walked in order — paragraphs and
tables interleaved, as in the file — and laid out again with reportlab's platypus. What a
reader needs is kept: paragraph alignment, indents and spacing, relative font sizes (of the run,
else of its styles), bold titles, underlines, colours, line and page breaks, empty lines, and
tables with their grid, column widths and merged cells (horizontal and vertical). Headers and
footers are left out; each page gets "第 N 页" centred at its foot. Images, text boxes and
numbering (automatic list numbers) are not reproduced: the unified templates write clause
numbers as text.

The text is set in STSong-Light, the Adobe-GB1 CID font every PDF reader provides (as the
valuation report does), so the file needs no font where it is made and its text can be searched,
copied and extracted. A CID font has no bold face: a paragraph set entirely in bold (titles,
headings) is drawn with a thin outline (text render mode "fill and stroke"), which keeps the
text extractable; bold runs inside ordinary text are set like the rest. Lines are broken the
Chinese way: anywhere between characters, but not inside a number or a Latin word, and never
before a closing punctuation mark (reportlab's rule is widened to the full-width Chinese marks,
for the whole process, on the first rendering).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import reportlab.lib.textsplit as rl_textsplit
import reportlab.platypus.paragraph as rl_paragraph
from docx import Document
from docx.oxml.ns import qn
from lxml import etree
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import LayoutError

from zhengqian.valuation.reports import FONT, _font

__all__ = ["docx_text", "render_pdf"]

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _TBL, _R, _TC, _TR = qn("w:p"), qn("w:tbl"), qn("w:r"), qn("w:tc"), qn("w:tr")
_VAL = qn("w:val")
#: Containers whose children are body blocks (paragraphs, tables) of the enclosing part.
_BLOCK_CONTAINERS = {qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml")}
#: Containers inside a paragraph whose runs are shown (deleted text, w:del, is not).
_RUN_CONTAINERS = {
    qn(f"w:{tag}")
    for tag in (
        "hyperlink",
        "ins",
        "smartTag",
        "customXml",
        "fldSimple",
        "sdt",
        "sdtContent",
        "moveTo",
        "bdo",
        "dir",
    )
}
_OFF = {"0", "false", "off", "none"}
_ALIGNMENTS = {
    "left": TA_LEFT,
    "start": TA_LEFT,
    "center": TA_CENTER,
    "right": TA_RIGHT,
    "end": TA_RIGHT,
    "both": TA_JUSTIFY,
    "distribute": TA_JUSTIFY,
    "thaiDistribute": TA_JUSTIFY,
}
#: Word's size when no style says one (w:sz absent everywhere): 10 pt.
_DEFAULT_SIZE = 10.0
#: Height of a "single" line relative to the font size (SimSun's line gap, about 1.3).
_SINGLE_LINE = 1.3
_IDEOGRAPHIC_SPACE = "\u3000"
_NBSP = "\u00a0"
#: Runs of ideographic spaces, runs of spaces, and the text between them.
_BLANKS = re.compile("\u3000+| +|[^ \u3000]+")
_CELL_PADDING = 4.0
#: Smallest part of a table row (points) left at the foot of a page when the row is split.
_MIN_ROW_SPLIT = 36


def _twips(value: str | None) -> float | None:
    """A length in twentieths of a point, as points (None when absent or malformed)."""
    if value is None:
        return None
    try:
        return float(value) / 20
    except ValueError:
        return None


def _on(element: Any) -> bool:
    """A toggle property (w:b, w:u …) is on when present without val=0/false/off/none."""
    return element is not None and element.get(_VAL, "true") not in _OFF


def _first(elements: list[Any], tag: str) -> Any:
    """The first `tag` child found along a property chain (direct formatting first)."""
    name = qn(tag)
    for element in elements:
        found = element.find(name)
        if found is not None:
            return found
    return None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _blocks(parent: Any) -> Iterator[Any]:
    """The paragraphs and tables under a body or cell, in document order."""
    for child in parent:
        if child.tag in (_P, _TBL):
            yield child
        elif child.tag in _BLOCK_CONTAINERS:
            yield from _blocks(child)


def _runs(parent: Any) -> Iterator[Any]:
    """The visible runs of a paragraph, in order (inside hyperlinks, insertions, fields …)."""
    for child in parent:
        if child.tag == _R:
            yield child
        elif child.tag in _RUN_CONTAINERS:
            yield from _runs(child)


def _cells(row: Any) -> Iterator[Any]:
    for child in row:
        if child.tag == _TC:
            yield child
        elif child.tag in _BLOCK_CONTAINERS:
            yield from _cells(child)


def _rows(table: Any) -> Iterator[Any]:
    for child in table:
        if child.tag == _TR:
            yield child
        elif child.tag in _BLOCK_CONTAINERS:
            yield from _rows(child)


def _int_attr(element: Any, tag: str, default: int) -> int:
    found = element.find(qn(tag)) if element is not None else None
    if found is None:
        return default
    try:
        return int(found.get(_VAL, default))
    except ValueError:
        return default


# --- plain text -------------------------------------------------------------------------------


def _run_text(run: Any) -> str:
    parts: list[str] = []
    for child in run:
        tag = child.tag
        if tag == qn("w:t"):
            parts.append(child.text or "")
        elif tag in (qn("w:tab"), qn("w:ptab")):
            parts.append("\t")
        elif tag in (qn("w:br"), qn("w:cr")):
            parts.append("\n")
        elif tag == qn("w:noBreakHyphen"):
            parts.append("-")
        elif tag == qn("w:sym"):
            parts.append(_symbol(child))
    return "".join(parts)


def _symbol(sym: Any) -> str:
    try:
        code = int(sym.get(qn("w:char"), ""), 16)
    except ValueError:
        return ""
    # Symbol fonts map their glyphs to the private-use area F0xx; the low byte is the character.
    return chr(code - 0xF000 if code >= 0xF000 else code)


def _text_lines(parent: Any) -> Iterator[str]:
    for block in _blocks(parent):
        if block.tag == _P:
            yield "".join(_run_text(run) for run in _runs(block))
        else:
            for row in _rows(block):
                for cell in _cells(row):
                    yield from _text_lines(cell)


def docx_text(docx: bytes) -> str:
    """All the text of a .docx body — paragraphs and table cells in document order — one
    paragraph a line (a line break inside a paragraph is a newline too, a tab a tab)."""
    document = Document(io.BytesIO(docx))
    return "\n".join(_text_lines(document.element.body))


# --- styles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RunFormat:
    size: float
    bold: bool
    underline: bool
    color: str | None


class _Styles:
    """Resolves run and paragraph properties through the style hierarchy: direct formatting,
    then the character style, the paragraph style and its bases, then the document defaults."""

    def __init__(self, document: Any) -> None:
        styles = document.styles.element
        self._by_id: dict[str, Any] = {}
        self._default_paragraph: str | None = None
        for style in styles.findall(qn("w:style")):
            style_id = style.get(qn("w:styleId"))
            if style_id is None:
                continue
            self._by_id[style_id] = style
            is_default = style.get(qn("w:default")) in ("1", "true", "on")
            if style.get(qn("w:type")) == "paragraph" and is_default:
                self._default_paragraph = style_id
        self._default_rpr = styles.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr")
        self._default_ppr = styles.find(f"{_W}docDefaults/{_W}pPrDefault/{_W}pPr")
        self._chains: dict[str | None, list[Any]] = {}
        self._paragraph_styles: dict[tuple[Any, ...], ParagraphStyle] = {}

    def chain(self, style_id: str | None, *, paragraph: bool = False) -> list[Any]:
        """The style and its bases, most specific first (the default paragraph style when a
        paragraph names none)."""
        if style_id is None and paragraph:
            style_id = self._default_paragraph
        key = style_id
        if key in self._chains:
            return self._chains[key]
        chain: list[Any] = []
        seen: set[str] = set()
        while style_id is not None and style_id not in seen and style_id in self._by_id:
            seen.add(style_id)
            style = self._by_id[style_id]
            chain.append(style)
            based = style.find(qn("w:basedOn"))
            style_id = based.get(_VAL) if based is not None else None
        self._chains[key] = chain
        return chain

    def paragraph_chain(self, paragraph: Any) -> tuple[Any, list[Any], list[Any]]:
        """(direct pPr, pPr list, rPr list of the paragraph's styles and the defaults)."""
        ppr = paragraph.find(qn("w:pPr"))
        style_id = None
        if ppr is not None:
            pstyle = ppr.find(qn("w:pStyle"))
            style_id = pstyle.get(_VAL) if pstyle is not None else None
        chain = self.chain(style_id, paragraph=True)
        pprs = [ppr] + [s.find(qn("w:pPr")) for s in chain] + [self._default_ppr]
        rprs = [s.find(qn("w:rPr")) for s in chain] + [self._default_rpr]
        return ppr, [p for p in pprs if p is not None], [r for r in rprs if r is not None]

    def run_format(self, run_rpr: Any, style_rprs: list[Any]) -> _RunFormat:
        rprs = []
        if run_rpr is not None:
            rprs.append(run_rpr)
            rstyle = run_rpr.find(qn("w:rStyle"))
            if rstyle is not None:
                rprs.extend(
                    r
                    for r in (s.find(qn("w:rPr")) for s in self.chain(rstyle.get(_VAL)))
                    if r is not None
                )
        rprs.extend(style_rprs)
        size = _DEFAULT_SIZE
        bold = underline = False
        color: str | None = None
        found_size = found_bold = found_underline = found_color = False
        for rpr in rprs:
            if not found_size:
                sz = rpr.find(qn("w:sz"))
                if sz is not None:
                    try:
                        size = int(sz.get(_VAL)) / 2
                        found_size = True
                    except (TypeError, ValueError):
                        pass
            if not found_bold:
                b = rpr.find(qn("w:b"))
                if b is not None:
                    bold, found_bold = _on(b), True
            if not found_underline:
                u = rpr.find(qn("w:u"))
                if u is not None:
                    underline, found_underline = _on(u), True
            if not found_color:
                c = rpr.find(qn("w:color"))
                if c is not None:
                    value = c.get(_VAL, "auto")
                    color = None if value == "auto" or len(value) != 6 else f"#{value}"
                    found_color = True
        return _RunFormat(size, bold, underline, color)

    def paragraph_style(
        self, pprs: list[Any], size: float, leading_size: float, bold: bool, color: str | None
    ) -> ParagraphStyle:
        jc = _first(pprs, "w:jc")
        alignment = _ALIGNMENTS.get(jc.get(_VAL, ""), TA_LEFT) if jc is not None else TA_LEFT
        keep = _on(_first(pprs, "w:keepNext"))
        spacing: dict[str, str] = {}
        ind: dict[str, str] = {}
        for ppr in pprs:
            # w:spacing and w:ind merge attribute by attribute along the style chain.
            for tag, into in (("w:spacing", spacing), ("w:ind", ind)):
                element = ppr.find(qn(tag))
                if element is not None:
                    for name, value in element.attrib.items():
                        into.setdefault(etree.QName(name).localname, value)

        leading = leading_size * _SINGLE_LINE
        rule = spacing.get("lineRule", "auto")
        line = _twips(spacing.get("line"))
        if line is not None and line > 0:
            if rule == "auto":
                leading = leading_size * _SINGLE_LINE * line * 20 / 240
            elif rule == "exact":
                leading = line
            else:  # atLeast
                leading = max(leading, line)
        single = leading_size * _SINGLE_LINE

        def space(name: str) -> float:
            if f"{name}Lines" in spacing:
                try:
                    return float(spacing[f"{name}Lines"]) / 100 * single
                except ValueError:
                    pass
            return _twips(spacing.get(name)) or 0.0

        def indent(*names: str) -> float:
            for name in names:
                if f"{name}Chars" in ind:
                    try:
                        return float(ind[f"{name}Chars"]) / 100 * size
                    except ValueError:
                        pass
            for name in names:
                value = _twips(ind.get(name))
                if value is not None:
                    return value
            return 0.0

        left = indent("left", "start")
        right = indent("right", "end")
        first = indent("firstLine") - indent("hanging")
        before, after = space("before"), space("after")
        key = (alignment, keep, size, leading, before, after, left, right, first, bold, color)
        style = self._paragraph_styles.get(key)
        if style is None:
            style = ParagraphStyle(
                f"p{len(self._paragraph_styles)}",
                fontName=FONT,
                fontSize=size,
                leading=leading,
                alignment=alignment,
                spaceBefore=before,
                spaceAfter=after,
                leftIndent=left,
                rightIndent=right,
                firstLineIndent=first,
                keepWithNext=keep,
                wordWrap="CJK",
                textColor=colors.HexColor(color) if color else colors.black,
            )
            self._paragraph_styles[key] = style
        return style


class _BoldParagraph(Paragraph):
    """A paragraph drawn in faux bold: the glyphs filled and outlined (render mode 2)."""

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setLineWidth(self.style.fontSize * 0.03)
        canvas.setStrokeColor(self.style.textColor)
        canvas._code.append("2 Tr")
        super().draw()
        canvas.restoreState()


# --- layout -----------------------------------------------------------------------------------


class _Converter:
    def __init__(self, document: Any, *, split_every_row: bool = False) -> None:
        self.styles = _Styles(document)
        # Set for the second attempt when a row Word keeps on one page (cantSplit) is taller
        # than a page: Word splits it all the same; reportlab would give up.
        self.split_every_row = split_every_row

    def blocks(self, parent: Any, width: float, *, in_cell: bool = False) -> list[Flowable]:
        flowables: list[Flowable] = []
        for block in _blocks(parent):
            if block.tag == _P:
                flowables.extend(self.paragraph(block, in_cell=in_cell))
            else:
                table = self.table(block, width)
                if table is not None:
                    flowables.append(table)
        return flowables

    def paragraph(self, p: Any, *, in_cell: bool) -> list[Flowable]:
        ppr, pprs, style_rprs = self.styles.paragraph_chain(p)
        # Segments separated by page breaks; each a list of (markup, format, has text).
        segments: list[list[tuple[str, _RunFormat, bool]]] = [[]]
        for run in _runs(p):
            fmt = self.styles.run_format(run.find(qn("w:rPr")), style_rprs)
            for piece in self._run_pieces(run, fmt):
                if piece is None:
                    segments.append([])
                else:
                    segments[-1].append((piece, fmt, bool(piece.strip())))
        mark = self.styles.run_format(
            ppr.find(qn("w:rPr")) if ppr is not None else None, style_rprs
        )

        flowables: list[Flowable] = []
        if not in_cell and _on(_first(pprs, "w:pageBreakBefore")):
            flowables.append(PageBreak())
        for index, segment in enumerate(segments):
            if index > 0 and not in_cell:
                flowables.append(PageBreak())
            flowables.extend(self._segment(segment, pprs, mark, in_cell=in_cell))
        section = ppr.find(qn("w:sectPr")) if ppr is not None and not in_cell else None
        if section is not None:
            # A section break starts a new page unless it is continuous.
            kind = section.find(qn("w:type"))
            if kind is None or kind.get(_VAL, "nextPage") != "continuous":
                flowables.append(PageBreak())
        return flowables

    def _segment(
        self,
        segment: list[tuple[str, _RunFormat, bool]],
        pprs: list[Any],
        mark: _RunFormat,
        *,
        in_cell: bool,
    ) -> list[Flowable]:
        texts = [(markup, fmt) for markup, fmt, has_text in segment if has_text]
        if not texts:
            style = self.styles.paragraph_style(pprs, mark.size, mark.size, False, None)
            return [Spacer(1, style.leading + style.spaceBefore + style.spaceAfter)]
        base = texts[0][1]
        bold = all(fmt.bold for _, fmt in texts)
        largest = max(fmt.size for _, fmt in texts)
        style = self.styles.paragraph_style(pprs, base.size, largest, bold, base.color)
        parts = []
        for markup, fmt, _ in segment:
            if fmt.size != base.size:
                markup = f'<font size="{fmt.size:g}">{markup}</font>'
            if fmt.color != base.color:
                markup = f'<font color="{fmt.color or "#000000"}">{markup}</font>'
            if fmt.underline:
                markup = f"<u>{markup}</u>"
            parts.append(markup)
        cls = _BoldParagraph if bold else Paragraph
        return [cls("".join(parts), style)]

    @staticmethod
    def _run_pieces(run: Any, fmt: _RunFormat) -> Iterator[str | None]:
        """The run as paragraph markup pieces, and None where a page break is."""
        buffer: list[str] = []
        for child in run:
            tag = child.tag
            if tag == qn("w:t"):
                buffer.append(_spaces(_escape(child.text or ""), fmt.size))
            elif tag in (qn("w:tab"), qn("w:ptab")):
                buffer.append(_NBSP * 2)
            elif tag == qn("w:br") and child.get(qn("w:type")) == "page":
                yield "".join(buffer)
                buffer = []
                yield None
            elif tag in (qn("w:br"), qn("w:cr")):
                buffer.append("<br/>")
            elif tag == qn("w:noBreakHyphen"):
                buffer.append("-")
            elif tag == qn("w:sym"):
                buffer.append(_escape(_symbol(child)))
        yield "".join(buffer)

    def table(self, tbl: Any, available: float) -> Table | None:
        rows = list(_rows(tbl))
        layout: list[list[tuple[int, int, Any]]] = []
        header_rows = 0
        counting_header = True
        columns = 0
        cant_split = False
        for row in rows:
            trpr = row.find(qn("w:trPr"))
            cant_split = cant_split or (trpr is not None and _on(trpr.find(qn("w:cantSplit"))))
            column = _int_attr(trpr, "w:gridBefore", 0)
            cells = []
            for cell in _cells(row):
                span = max(1, _int_attr(cell.find(qn("w:tcPr")), "w:gridSpan", 1))
                cells.append((column, span, cell))
                column += span
            columns = max(columns, column + _int_attr(trpr, "w:gridAfter", 0))
            layout.append(cells)
            is_header = trpr is not None and _on(trpr.find(qn("w:tblHeader")))
            if counting_header and is_header:
                header_rows += 1
            else:
                counting_header = False
        if columns == 0:
            return None

        grid = [
            _twips(col.get(qn("w:w"))) or 0.0 for col in tbl.findall(f"{_W}tblGrid/{_W}gridCol")
        ]
        if len(grid) < columns or not all(grid[:columns]):
            widths = [available / columns] * columns
        else:
            widths = grid[:columns]
            total = sum(widths)
            if total > available:
                widths = [w * available / total for w in widths]

        data: list[list[Any]] = [[""] * columns for _ in layout]
        spans: dict[tuple[int, int], list[int]] = {}  # (row, col) → [last col, last row]
        vertical: dict[int, tuple[int, int]] = {}  # col → (row, col) of the open vertical merge
        commands: list[tuple[Any, ...]] = [
            ("FONT", (0, 0), (-1, -1), FONT, _DEFAULT_SIZE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        for r, cells in enumerate(layout):
            for column, span, cell in cells:
                tcpr = cell.find(qn("w:tcPr"))
                vmerge = tcpr.find(qn("w:vMerge")) if tcpr is not None else None
                if vmerge is not None and vmerge.get(_VAL, "continue") == "continue":
                    start = vertical.get(column)
                    if start is not None:
                        spans[start][1] = r
                        continue
                elif vmerge is not None:
                    vertical[column] = (r, column)
                else:
                    vertical.pop(column, None)
                width = sum(widths[column : column + span]) - 2 * _CELL_PADDING
                data[r][column] = self.blocks(cell, max(width, 10.0), in_cell=True) or ""
                spans[(r, column)] = [column + span - 1, r]
                if tcpr is not None:
                    commands.extend(_cell_commands(tcpr, (column, r)))
        if not _borderless(tbl):
            commands.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
        for (r, column), (last_column, last_row) in spans.items():
            if last_column > column or last_row > r:
                commands.append(("SPAN", (column, r), (last_column, last_row)))

        jc = tbl.find(f"{_W}tblPr/{_W}jc")
        align = {"center": "CENTER", "right": "RIGHT", "end": "RIGHT"}.get(
            jc.get(_VAL, "") if jc is not None else "", "LEFT"
        )
        table = Table(
            data,
            colWidths=widths,
            repeatRows=header_rows if header_rows < len(layout) else 0,
            hAlign=align,
            # Word breaks a row across pages unless told not to; so does reportlab here, when
            # at least a few lines fit (a row taller than a page would not fit anywhere).
            splitInRow=0 if cant_split and not self.split_every_row else _MIN_ROW_SPLIT,
        )
        table.setStyle(TableStyle(commands))
        return table


def _borderless(tbl: Any) -> bool:
    """Whether the table itself switches every border off (a layout table, e.g. the signature
    block); any other table is drawn with its grid."""
    borders = tbl.find(f"{_W}tblPr/{_W}tblBorders")
    if borders is None:
        return False
    sides = ("top", "left", "start", "bottom", "right", "end", "insideH", "insideV")
    present = [borders.find(qn(f"w:{side}")) for side in sides]
    values = [side.get(_VAL, "") for side in present if side is not None]
    return len(values) >= 6 and all(value in ("nil", "none") for value in values)


def _cell_commands(tcpr: Any, at: tuple[int, int]) -> Iterator[tuple[Any, ...]]:
    valign = tcpr.find(qn("w:vAlign"))
    if valign is not None:
        value = {"center": "MIDDLE", "bottom": "BOTTOM"}.get(valign.get(_VAL, ""), "TOP")
        yield ("VALIGN", at, at, value)
    shading = tcpr.find(qn("w:shd"))
    fill = shading.get(qn("w:fill"), "auto") if shading is not None else "auto"
    if len(fill) == 6 and all(ch in "0123456789abcdefABCDEF" for ch in fill):
        yield ("BACKGROUND", at, at, colors.HexColor(f"#{fill}"))


def _spaces(text: str, size: float) -> str:
    """Blanks kept at their width: a paragraph collapses runs of spaces and drops ideographic
    spaces, which Chinese documents use to leave room to write in (日期：　　年　　月　　日)
    and to align signature blocks. Each becomes a no-break space, which STSong-Light sets one em
    wide: an ideographic space at the run's size, a space in a run of two or more at half size
    (a SimSun space is half an em)."""
    if _IDEOGRAPHIC_SPACE not in text and "  " not in text:
        return text
    out: list[str] = []
    for match in _BLANKS.finditer(text):
        blank = match.group(0)
        if blank == " ":
            out.append(blank)
        elif blank.startswith(_IDEOGRAPHIC_SPACE):
            out.append(_NBSP * len(blank))
        elif blank.startswith(" "):
            out.append(f'<font size="{size / 2:g}">{_NBSP * len(blank)}</font>')
        else:
            out.append(blank)
    return "".join(out)


def _margins(document: Any) -> tuple[float, float, float, float]:
    """(top, right, bottom, left) in points: the first section's, else Word's defaults."""
    defaults = (72.0, 90.0, 72.0, 90.0)
    sections = document.sections
    if not len(sections):
        return defaults
    section = sections[0]
    values = (section.top_margin, section.right_margin, section.bottom_margin, section.left_margin)
    top, right, bottom, left = (
        float(value.pt) if value is not None else default
        for value, default in zip(values, defaults, strict=True)
    )
    return top, right, bottom, left


#: Chinese punctuation that must not start a line (GB/T 15834: full stop, comma, enumeration
#: comma, semicolon, colon, question and exclamation marks, closing quotes, brackets and title
#: marks). reportlab's list is Japanese-minded and lacks the full-width forms Chinese uses.
_CANNOT_START_LINE = "，。、；：？！”’）》〉」』】〕…·％"


def _chinese_line_breaking() -> None:
    """Adds the Chinese punctuation to the characters reportlab's CJK wrapping never puts
    at the start of a line (it hangs them at the end of the previous line instead). A
    process-wide setting of reportlab, which only makes every CJK paragraph wrap better."""
    # Read as a module global by both splitters: textsplit.wordSplit (paragraphs of one
    # fragment) and paragraph.cjkFragSplit (mixed formatting).
    for module in (rl_paragraph, rl_textsplit):
        missing = "".join(ch for ch in _CANNOT_START_LINE if ch not in module.ALL_CANNOT_START)
        if missing:
            module.ALL_CANNOT_START += missing


def render_pdf(docx: bytes, *, title: str = "") -> bytes:
    """The rendered agreement `docx` (no placeholders left) as an A4 PDF titled `title`."""
    _font()
    _chinese_line_breaking()
    document = Document(io.BytesIO(docx))
    top, right, bottom, left = _margins(document)
    width, height = A4
    # Margins wider than the page leave no room: fall back to 20 mm all round.
    if left + right > width - 50 * mm or top + bottom > height - 50 * mm:
        top = right = bottom = left = 20 * mm
    frame_width = width - left - right

    def page_number(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 9)
        canvas.drawCentredString(width / 2, max(bottom / 2, 12), f"第 {doc.page} 页")
        canvas.restoreState()

    def build(*, split_every_row: bool) -> bytes:
        converter = _Converter(document, split_every_row=split_every_row)
        story = converter.blocks(document.element.body, frame_width) or [Spacer(1, 1)]
        buffer = io.BytesIO()
        pdf = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=left,
            rightMargin=right,
            topMargin=top,
            bottomMargin=bottom,
            title=title,
            creator="Zhengqian",
        )
        pdf.build(story, onFirstPage=page_number, onLaterPages=page_number)
        return buffer.getvalue()

    try:
        return build(split_every_row=False)
    except LayoutError:
        return build(split_every_row=True)
