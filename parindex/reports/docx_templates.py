"""The shipped Word templates, built in code with python-docx (no binary file in the repository).

Layout of Vietnamese administrative documents (Nghị định 30/2020/NĐ-CP, Phụ lục I): A4, margins top and bottom
20 mm, left 30 mm, right 15 mm; Times New Roman, body 14 pt; a borderless two-column header (issuing body and
number on the left, national motto and place/date on the right, each underlined by a short rule); the kind of
document and its summary centred in bold; body paragraphs justified with a 1 cm first-line indent and 6 pt after;
page numbers centred at the top from page 2; the "Nơi nhận" block (12 pt bold italic label, 11 pt list) beside
the signature block.

The body carries docxtpl tags: ``{{ field }}`` in one run each, ``{%p for … %}`` paragraphs around repeated
paragraphs (or a group heading and its table), ``{%tr for row in … %}`` rows around a table's data row. The fields
are those of ``parindex.reports.contexts.FIELDS``; an assessing body may download a shipped template, change it in
Word and upload it (``doc_templates.document_template_upload``).
"""

from __future__ import annotations

import io
from functools import cache

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .contexts import MOTTO, MOTTO_LINE
from .models import ReportKind

FONT = "Times New Roman"
BODY_PT = 14
TEXT_WIDTH_MM = 165  # A4 210 mm − left 30 − right 15
CENTER, JUSTIFY, LEFT, RIGHT = (
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.JUSTIFY,
    WD_ALIGN_PARAGRAPH.LEFT,
    WD_ALIGN_PARAGRAPH.RIGHT,
)


# --- document, styles -------------------------------------------------------------------------------------------------


def _fonts(rpr) -> None:
    """Times New Roman for every script (Latin, East Asian, complex), no theme font; Vietnamese proofing."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "vi-VN")


def new_document(*, title: str = "") -> Document:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    # Document defaults and every style in use: Times New Roman.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            _fonts(rpr)
    for name in ("Normal", "Table Grid", "Header", "Footer"):
        try:
            style = doc.styles[name]
        except KeyError:
            continue
        _fonts(style.element.get_or_add_rPr())
        style.font.name = FONT
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(6)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    doc.core_properties.author = "parindex"
    doc.core_properties.title = title
    doc.core_properties.language = "vi-VN"
    _page_numbers(doc)
    return doc


def _page_numbers(doc) -> None:
    """Page number centred in the header, not on the first page (Nghị định 30)."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = CENTER
    run = p.add_run()
    run.font.size = Pt(13)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


# --- paragraphs -------------------------------------------------------------------------------------------------------

# Children of w:pPr that come after w:pBdr (ECMA-376 order; Word refuses elements out of order).
_AFTER_PBDR = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def _insert(parent, child, successors: tuple[str, ...]):
    """Insert ``child`` before the first of ``successors`` present in ``parent`` (schema order), else append."""
    for name in successors:
        found = parent.find(qn(name))
        if found is not None:
            found.addprevious(child)
            return child
    parent.append(child)
    return child


def para(
    container,
    *parts,
    size: float | None = None,
    bold: bool = False,
    italic: bool = False,
    align=None,
    indent: bool = False,
    after: float | None = None,
    before: float | None = None,
    keep_next: bool = False,
    page_break: bool = False,
):
    """A paragraph of runs; a part is text or (text, {"bold": …, "italic": …}). In a table cell the cell's first
    (empty) paragraph is used first."""
    if hasattr(container, "_tc") and not getattr(container, "_used", False):
        p = container.paragraphs[0]
        container._used = True
    else:
        p = container.add_paragraph()
    for part in parts:
        text, style = (part, {}) if isinstance(part, str) else part
        run = p.add_run(text)
        run.bold = style.get("bold", bold)
        run.italic = style.get("italic", italic)
        if size or style.get("size"):
            run.font.size = Pt(style.get("size", size))
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    if indent:
        fmt.first_line_indent = Mm(10)
    if after is not None:
        fmt.space_after = Pt(after)
    if before is not None:
        fmt.space_before = Pt(before)
    if keep_next:
        fmt.keep_with_next = True
    if page_break:
        fmt.page_break_before = True
    if size:
        _mark_size(p, size)
    return p


def _mark_size(p, size: float) -> None:
    """The paragraph mark in the same size (an empty line keeps the height of its text)."""
    ppr = p._p.get_or_add_pPr()
    rpr = ppr.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        ppr.append(rpr)
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(size * 2)))
    rpr.append(sz)


def tag(container, text: str):
    """A paragraph holding only a docxtpl tag (``{%p … %}``): removed by the rendering."""
    return para(container, text, after=0)


def body(container, text: str, **kw):
    """A justified body paragraph with a first-line indent."""
    return para(container, text, align=JUSTIFY, indent=True, **kw)


def rule(container, *, indent_mm: float) -> None:
    """The short rule under the issuing body and the motto: an empty paragraph with a bottom border, narrowed by
    its indents (Nghị định 30: one third to one half of the line above)."""
    p = para(container, "", after=0, size=2)
    fmt = p.paragraph_format
    fmt.left_indent = fmt.right_indent = Mm(indent_mm)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(2)
    ppr = p._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    _insert(ppr, borders, _AFTER_PBDR)
    para(container, "", after=4, size=6)


def heading(container, text: str, **kw):
    return para(container, text, bold=True, align=JUSTIFY, keep_next=True, before=6, **kw)


# --- tables -----------------------------------------------------------------------------------------------------------


def _no_borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    _insert(table._tbl.tblPr, borders, ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption"))


def _widths(table, widths_mm: list[float]) -> None:
    table.autofit = False
    for i, width in enumerate(widths_mm):
        table.columns[i].width = Mm(width)
        for cell in table.columns[i].cells:
            cell.width = Mm(width)


def layout_table(container, widths_mm: list[float]):
    """A borderless table for laying out blocks side by side."""
    table = container.add_table(rows=1, cols=len(widths_mm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    _widths(table, widths_mm)
    return table


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def data_table(container, columns: list[tuple[str, float, str]], loop: str, cells: list[str], *, size: float = 12):
    """A bordered table: a header row (repeated on every page), then ``{%tr for … %}`` / the data row /
    ``{%tr endfor %}``. ``columns``: (header, width mm, alignment "l", "c" or "r")."""
    table = container.add_table(rows=4, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, [c[1] for c in columns])
    aligns = {"l": LEFT, "c": CENTER, "r": RIGHT}
    header = table.rows[0]
    _repeat_header(header)
    for cell, (label, _w, _a) in zip(header.cells, columns, strict=True):
        para(cell, label, bold=True, size=size, align=CENTER, after=0)
    para(table.rows[1].cells[0], "{%tr " + loop + " %}", size=size, after=0)
    for cell, text, (_l, _w, align) in zip(table.rows[2].cells, cells, columns, strict=True):
        para(cell, text, size=size, align=aligns[align], after=0)
    para(table.rows[3].cells[0], "{%tr endfor %}", size=size, after=0)
    para(container, "", after=0, size=6)
    return table


# --- the blocks every document shares ---------------------------------------------------------------------------------


def header_block(doc, *, with_number: bool = True) -> None:
    """Issuing body | national motto, each with its rule; number | place and date."""
    left_w, right_w = 70, 95
    table = layout_table(doc, [left_w, right_w])
    left, right = table.rows[0].cells
    tag(left, "{%p if co_quan_chu_quan %}")
    para(left, "{{ co_quan_chu_quan }}", size=13, align=CENTER, after=0)
    tag(left, "{%p endif %}")
    para(left, "{{ co_quan_ban_hanh }}", size=13, bold=True, align=CENTER, after=0)
    rule(left, indent_mm=22)
    if with_number:
        para(left, "{{ so_ky_hieu }}", size=13, align=CENTER, after=0)
    para(right, MOTTO, size=13, bold=True, align=CENTER, after=0)
    para(right, MOTTO_LINE, size=14, bold=True, align=CENTER, after=0)
    rule(right, indent_mm=23)
    para(right, "{{ dia_danh_ngay }}", size=14, italic=True, align=CENTER, after=0)
    para(doc, "", after=0)


def title_block(doc) -> None:
    tag(doc, "{%p if du_thao %}")
    para(doc, "{{ du_thao }}", bold=True, align=CENTER, after=0)
    tag(doc, "{%p endif %}")
    para(doc, "{{ loai_van_ban }}", bold=True, align=CENTER, after=0, before=6)
    para(doc, "{{ trich_yeu }}", bold=True, align=CENTER, after=0)
    rule(doc, indent_mm=62)


def signature_block(doc, *, recipients: bool = True) -> None:
    """ "Nơi nhận" (left) and the signature (right)."""
    table = layout_table(doc, [80, 85])
    left, right = table.rows[0].cells
    if recipients:
        para(left, "Nơi nhận:", size=12, bold=True, italic=True, after=0, before=6)
        tag(left, "{%p for n in noi_nhan %}")
        para(left, "{{ n }}", size=11, after=0)
        tag(left, "{%p endfor %}")
    para(right, "{{ ky_thay_mat }}", size=14, bold=True, align=CENTER, after=0, before=6)
    para(right, "{{ chuc_vu_ky }}", size=14, bold=True, align=CENTER, after=0)
    for _ in range(4):
        para(right, "", after=0)
    para(right, "{{ nguoi_ky }}", size=14, bold=True, align=CENTER, after=0)


def paragraphs(doc, name: str, *, italic: bool = False) -> None:
    """Every paragraph of the list ``name``."""
    tag(doc, "{%p for t in " + name + " %}")
    body(doc, "{{ t }}", italic=italic)
    tag(doc, "{%p endfor %}")


def chart(container, slot: str) -> None:
    """A chart slot: an image (or nothing) centred, its text alternative below in italics."""
    para(container, "{{ " + slot + " }}", align=CENTER, after=0)
    tag(container, "{%p if " + slot + "_mo_ta %}")
    para(container, "{{ " + slot + "_mo_ta }}", size=11, italic=True, align=CENTER)
    tag(container, "{%p endif %}")


# --- the documents ----------------------------------------------------------------------------------------------------

_RANK_COLUMNS = [
    ("STT", 12, "c"),
    ("Tên cơ quan, đơn vị", 68, "l"),
    ("Điểm đạt được", 22, "r"),
    ("Chỉ số CCHC (%)", 23, "r"),
    ("Xếp hạng", 18, "c"),
    ("Xếp loại", 22, "c"),
]
_RANK_CELLS = [
    "{{ d.stt }}",
    "{{ d.ten_don_vi }}",
    "{{ d.diem }}",
    "{{ d.chi_so }}",
    "{{ d.xep_hang }}",
    "{{ d.xep_loai }}",
]


def decision_template() -> Document:
    doc = new_document(title="Quyết định công bố kết quả Chỉ số CCHC")
    header_block(doc)
    title_block(doc)
    para(doc, "{{ tham_quyen }}", bold=True, align=CENTER, before=6)
    tag(doc, "{%p for c in can_cu %}")
    body(doc, "{{ c }}", italic=True)
    tag(doc, "{%p endfor %}")
    para(doc, "QUYẾT ĐỊNH:", bold=True, align=CENTER, before=6)
    tag(doc, "{%p for d in dieu %}")
    para(doc, ("{{ d.so }}", {"bold": True}), " ", "{{ d.noi_dung }}", align=JUSTIFY, indent=True)
    tag(doc, "{%p endfor %}")
    signature_block(doc)
    # The annex, on a new page.
    para(doc, "PHỤ LỤC", bold=True, align=CENTER, after=0, page_break=True)
    para(doc, "{{ phu_luc_tieu_de }}", bold=True, align=CENTER, after=0)
    para(doc, "{{ phu_luc_kem_theo }}", italic=True, align=CENTER, after=0)
    rule(doc, indent_mm=62)
    tag(doc, "{%p for nhom in cac_nhom %}")
    heading(doc, "{{ nhom.so_thu_tu }}. {{ nhom.ten_nhom }} ({{ nhom.so_don_vi }} đơn vị)")
    data_table(doc, _RANK_COLUMNS, "for d in nhom.dong", _RANK_CELLS)
    tag(doc, "{%p endfor %}")
    return doc


def results_report_template() -> Document:
    doc = new_document(title="Báo cáo kết quả Chỉ số CCHC")
    header_block(doc)
    title_block(doc)
    para(doc, "Kính gửi: {{ kinh_gui }}.", align=CENTER, before=6)
    body(doc, "{{ mo_dau }}")
    heading(doc, "I. TÌNH HÌNH TRIỂN KHAI")
    paragraphs(doc, "tong_quan")
    heading(doc, "II. KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {{ nam }}")
    body(doc, "Tổng số cơ quan, đơn vị được đánh giá: {{ tong_so_don_vi }}.")
    chart(doc, "bieu_do_xep_loai")
    tag(doc, "{%p for nhom in cac_nhom %}")
    heading(doc, "{{ nhom.so_thu_tu }}. Nhóm {{ nhom.ten_nhom }} ({{ nhom.so_don_vi }} đơn vị)")
    tag(doc, "{%p for t in nhom.nhan_xet %}")
    body(doc, "{{ t }}")
    tag(doc, "{%p endfor %}")
    para(doc, "a) Phân loại kết quả", italic=True, keep_next=True)
    data_table(
        doc,
        [("Xếp loại", 55, "c"), ("Số đơn vị", 45, "c"), ("Tỷ lệ (%)", 45, "r")],
        "for x in nhom.xep_loai",
        ["{{ x.xep_loai }}", "{{ x.so_luong }}", "{{ x.ty_le }}"],
    )
    para(doc, "b) Kết quả bình quân theo lĩnh vực", italic=True, keep_next=True)
    data_table(
        doc,
        [("TT", 12, "c"), ("Lĩnh vực", 83, "l"), ("Điểm tối đa", 22, "r"), ("Điểm bình quân", 24, "r"),
         ("Tỷ lệ (%)", 24, "r")],
        "for f in nhom.linh_vuc",
        ["{{ f.ma }}", "{{ f.ten }}", "{{ f.diem_toi_da }}", "{{ f.diem_trung_binh }}", "{{ f.ty_le }}"],
    )  # fmt: skip
    para(doc, "c) Bảng xếp hạng", italic=True, keep_next=True)
    data_table(
        doc,
        [("STT", 11, "c"), ("Tên cơ quan, đơn vị", 52, "l"), ("Điểm", 18, "r"), ("Chỉ số (%)", 20, "r"),
         ("Xếp hạng", 16, "c"), ("Xếp loại", 18, "c"), ("Tăng, giảm (điểm %)", 30, "r")],
        "for d in nhom.dong",
        ["{{ d.stt }}", "{{ d.ten_don_vi }}", "{{ d.diem }}", "{{ d.chi_so }}", "{{ d.xep_hang }}",
         "{{ d.xep_loai }}", "{{ d.thay_doi }}"],
        size=11,
    )  # fmt: skip
    chart(doc, "nhom.bieu_do")
    tag(doc, "{%p endfor %}")
    heading(doc, "III. ĐÁNH GIÁ CHUNG")
    paragraphs(doc, "danh_gia")
    heading(doc, "IV. ĐỀ XUẤT, KIẾN NGHỊ")
    paragraphs(doc, "de_xuat")
    body(doc, "{{ ket_thuc }}")
    signature_block(doc)
    return doc


def appraisal_minutes_template() -> Document:
    doc = new_document(title="Biên bản thẩm định Chỉ số CCHC")
    header_block(doc)
    title_block(doc)
    body(doc, "{{ mo_dau }}", before=6)
    heading(doc, "I. THÀNH PHẦN")
    body(doc, "{{ ten_hoi_dong }} (thành lập theo {{ quyet_dinh_thanh_lap }}), gồm:")
    body(doc, "Chủ trì: {{ chu_tri }}; thư ký: {{ thu_ky }}.")
    data_table(
        doc,
        [("STT", 12, "c"), ("Họ và tên", 50, "l"), ("Chức vụ, cơ quan công tác", 68, "l"),
         ("Nhiệm vụ", 35, "l")],
        "for m in thanh_phan",
        ["{{ m.stt }}", "{{ m.ho_ten }}", "{{ m.chuc_vu }}", "{{ m.nhiem_vu }}"],
    )  # fmt: skip
    heading(doc, "II. NỘI DUNG")
    paragraphs(doc, "noi_dung")
    data_table(
        doc,
        [("STT", 10, "c"), ("Đơn vị", 42, "l"), ("Điểm tự đánh giá", 20, "r"), ("Điểm thẩm định", 20, "r"),
         ("Chênh lệch", 18, "r"), ("Số tiêu chí điều chỉnh", 17, "c"), ("Biểu quyết", 18, "c"),
         ("Tình trạng", 20, "l")],
        "for d in don_vi",
        ["{{ d.stt }}", "{{ d.ten_don_vi }}", "{{ d.diem_tu_cham }}", "{{ d.diem_tham_dinh }}",
         "{{ d.chenh_lech }}", "{{ d.so_tieu_chi_dieu_chinh }}", "{{ d.bieu_quyet }}", "{{ d.trang_thai }}"],
        size=11,
    )  # fmt: skip
    tag(doc, "{%p if dieu_chinh %}")
    body(doc, "Các tiêu chí Hội đồng điều chỉnh điểm so với điểm tự đánh giá:", keep_next=True)
    data_table(
        doc,
        [("Đơn vị", 35, "l"), ("Mã", 13, "c"), ("Tiêu chí", 45, "l"), ("Tự đánh giá", 18, "r"),
         ("Thẩm định", 18, "r"), ("Nhận xét", 36, "l")],
        "for e in dieu_chinh",
        ["{{ e.ten_don_vi }}", "{{ e.ma }}", "{{ e.ten_tieu_chi }}", "{{ e.diem_tu_cham }}", "{{ e.diem_tham_dinh }}",
         "{{ e.nhan_xet }}"],
        size=11,
    )  # fmt: skip
    tag(doc, "{%p endif %}")
    heading(doc, "III. KẾT LUẬN")
    paragraphs(doc, "ket_luan")
    table = layout_table(doc, [80, 85])
    left, right = table.rows[0].cells
    para(left, "THƯ KÝ", bold=True, align=CENTER, before=6, after=0)
    for _ in range(4):
        para(left, "", after=0)
    para(left, "{{ thu_ky }}", bold=True, align=CENTER, after=0)
    para(right, "{{ chuc_vu_ky }}", bold=True, align=CENTER, before=6, after=0)
    for _ in range(4):
        para(right, "", after=0)
    para(right, "{{ nguoi_ky }}", bold=True, align=CENTER, after=0)
    return doc


def self_assessment_template() -> Document:
    doc = new_document(title="Báo cáo tự đánh giá Chỉ số CCHC")
    header_block(doc)
    title_block(doc)
    para(doc, "Kính gửi: {{ kinh_gui }}.", align=CENTER, before=6)
    body(doc, "{{ mo_dau }}")
    heading(doc, "I. KẾT QUẢ TỰ ĐÁNH GIÁ, CHẤM ĐIỂM")
    paragraphs(doc, "ket_qua")
    para(doc, "Bảng tổng hợp điểm tự đánh giá theo lĩnh vực, tiêu chí:", italic=True, keep_next=True)
    data_table(
        doc,
        [("Mã", 15, "l"), ("Lĩnh vực, tiêu chí, tiêu chí thành phần", 72, "l"), ("Điểm tối đa", 18, "r"),
         ("Điểm tự đánh giá", 20, "r"), ("Tài liệu kiểm chứng", 18, "c"), ("Ghi chú", 22, "l")],
        "for d in bang_tong_hop",
        ["{{ d.ma }}", "{{ d.noi_dung }}", "{{ d.diem_toi_da }}", "{{ d.diem_tu_cham }}", "{{ d.tai_lieu }}",
         "{{ d.ghi_chu }}"],
        size=11,
    )  # fmt: skip
    heading(doc, "II. GIẢI TRÌNH CÁC TIÊU CHÍ CHƯA CÓ ĐẦY ĐỦ TÀI LIỆU KIỂM CHỨNG")
    tag(doc, "{%p if giai_trinh %}")
    data_table(
        doc,
        [("Mã", 14, "l"), ("Tiêu chí", 48, "l"), ("Điểm tự đánh giá", 20, "r"), ("Tài liệu kiểm chứng", 30, "l"),
         ("Giải trình", 53, "l")],
        "for g in giai_trinh",
        ["{{ g.ma }}", "{{ g.noi_dung }}", "{{ g.diem_tu_cham }}", "{{ g.tai_lieu }}", "{{ g.giai_trinh }}"],
        size=11,
    )  # fmt: skip
    tag(doc, "{%p else %}")
    body(doc, "{{ giai_trinh_ghi_chu }}")
    tag(doc, "{%p endif %}")
    heading(doc, "III. KHÓ KHĂN, VƯỚNG MẮC")
    paragraphs(doc, "kho_khan")
    heading(doc, "IV. ĐỀ XUẤT, KIẾN NGHỊ")
    paragraphs(doc, "de_xuat")
    body(doc, "Trên đây là báo cáo kết quả tự đánh giá, chấm điểm Chỉ số cải cách hành chính năm {{ nam }} của "
         "{{ ten_don_vi }}./.")  # fmt: skip
    signature_block(doc)
    return doc


def scorecard_template() -> Document:
    doc = new_document(title="Phiếu kết quả Chỉ số CCHC")
    header_block(doc, with_number=False)
    title_block(doc)
    table = doc.add_table(rows=7, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, [60, 105])
    for row, (label, value) in zip(
        table.rows,
        [
            ("Đơn vị", "{{ ten_don_vi }}"),
            ("Nhóm đơn vị", "{{ ten_nhom }}"),
            ("Điểm đạt được", "{{ diem }}/{{ diem_toi_da }} điểm"),
            ("Chỉ số CCHC", "{{ chi_so }}%"),
            ("Xếp hạng", "{{ xep_hang }}/{{ so_don_vi_xep_hang }}"),
            ("Xếp loại", "{{ xep_loai }}"),
            ("So với năm trước", "{{ so_voi_nam_truoc }}"),
        ],
        strict=True,
    ):
        para(row.cells[0], label, bold=True, size=13, after=0)
        para(row.cells[1], value, size=13, after=0)
    para(doc, "", after=0)
    heading(doc, "1. Kết quả theo lĩnh vực")
    data_table(
        doc,
        [("Mã", 11, "c"), ("Lĩnh vực", 58, "l"), ("Điểm tối đa", 18, "r"), ("Điểm đạt", 18, "r"),
         ("Chỉ số (%)", 19, "r"), ("Bình quân nhóm (%)", 23, "r"), ("Xếp loại", 18, "c")],
        "for f in linh_vuc",
        ["{{ f.ma }}", "{{ f.ten }}", "{{ f.diem_toi_da }}", "{{ f.diem }}", "{{ f.chi_so }}",
         "{{ f.trung_binh_nhom }}", "{{ f.xep_loai }}"],
        size=11,
    )  # fmt: skip
    chart(doc, "bieu_do_linh_vuc")
    heading(doc, "2. Các tiêu chí bị mất điểm")
    tag(doc, "{%p if mat_diem %}")
    data_table(
        doc,
        [("Mã", 15, "l"), ("Tiêu chí", 86, "l"), ("Điểm tối đa", 21, "r"), ("Điểm đạt", 21, "r"),
         ("Điểm bị mất", 22, "r")],
        "for m in mat_diem",
        ["{{ m.ma }}", "{{ m.ten }}", "{{ m.diem_toi_da }}", "{{ m.diem }}", "{{ m.mat }}"],
        size=11,
    )  # fmt: skip
    tag(doc, "{%p else %}")
    body(doc, "{{ mat_diem_ghi_chu }}")
    tag(doc, "{%p endif %}")
    heading(doc, "3. Kết quả qua các năm")
    data_table(
        doc,
        [("Năm", 30, "c"), ("Chỉ số CCHC (%)", 45, "r"), ("Xếp hạng", 40, "c"), ("Xếp loại", 40, "c")],
        "for y in xu_huong",
        ["{{ y.nam }}", "{{ y.chi_so }}", "{{ y.xep_hang }}", "{{ y.xep_loai }}"],
    )
    chart(doc, "bieu_do_xu_huong")
    para(doc, "{{ trang_thai_ket_qua }}. {{ nguon }}", size=11, italic=True, before=6)
    return doc


BUILDERS = {
    ReportKind.DECISION: decision_template,
    ReportKind.RESULTS_REPORT: results_report_template,
    ReportKind.APPRAISAL_MINUTES: appraisal_minutes_template,
    ReportKind.SELF_ASSESSMENT: self_assessment_template,
    ReportKind.SCORECARD: scorecard_template,
}


@cache
def shipped_template(kind: str) -> bytes:
    """The shipped template of ``kind`` as .docx bytes (built once per process)."""
    try:
        builder = BUILDERS[kind]
    except KeyError:
        raise KeyError(f"Không có mẫu Word cho loại văn bản “{kind}”.") from None
    out = io.BytesIO()
    builder().save(out)
    return out.getvalue()
