"""The data of the Word and PDF documents: per document kind, a plain dict of strings already formatted the
Vietnamese way ("85,78"), lists of rows and paragraphs. The same dict feeds the docxtpl template (shipped or
uploaded by the assessing body) and the HTML template printed by WeasyPrint.

Every field a template may use is documented in ``FIELDS`` with a sample value: the upload check compares a
template's variables with these names and renders it once with the sample. Charts are not in the dict itself: a
builder lists the charts it wants in ``ctx["_charts"]`` and ``documents`` puts the picture in the named slot
(``bieu_do…``, empty text until then), as a PNG for Word and inline SVG for PDF.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from parindex.orgs.models import OrgUnit, UnitKind

from .data import cycle_result_sets, unit_result_set
from .models import ReportKind
from .registry import ReportError, ReportRequest

EMPTY = "–"
DRAFT_MARK = "DỰ THẢO"
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_LINE = "Độc lập - Tự do - Hạnh phúc"
# Above this many units a group's chart shows the distribution by class instead of one bar per unit.
RANKING_CHART_MAX_UNITS = 70


# --- Vietnamese formatting --------------------------------------------------------------------------------------------


def vn_number(value, places: int = 2, empty: str = EMPTY) -> str:
    """1234.5 → "1.234,50" (comma for decimals, dot for thousands); None → "–"."""
    if value is None or value == "":
        return empty
    quantum = Decimal(1).scaleb(-places)
    number = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    text = f"{number:,.{places}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vn_signed(value, places: int = 2, empty: str = EMPTY) -> str:
    """A change with its sign: "+1,23", "-0,50", "0,00"."""
    if value is None:
        return empty
    number = Decimal(str(value))
    text = vn_number(abs(number), places)
    if number > 0:
        return "+" + text
    if number < 0:
        return "-" + text
    return text


def vn_rank_change(value: int | None) -> str:
    if value is None:
        return EMPTY
    if value > 0:
        return f"Tăng {value} bậc"
    if value < 0:
        return f"Giảm {-value} bậc"
    return "Không đổi"


_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền, hỏi, ngã, sắc, nặng
_SHAPES = {"\u0306": "\u0306", "\u0302": "\u0302", "\u031b": "\u031b"}  # ă, â/ê/ô, ơ/ư: letters of their own


def vn_sort_key(text: str) -> tuple:
    """Vietnamese dictionary order: letters a ă â b c d đ e ê …, then tones (none, huyền, hỏi, ngã, sắc, nặng)."""
    letters, tones = [], []
    for char in unicodedata.normalize("NFC", text.lower()):
        parts = unicodedata.normalize("NFD", char)
        base = parts[0] + "".join(m for m in parts[1:] if m in _SHAPES)
        letter = unicodedata.normalize("NFC", base)
        index = _LETTERS.find(letter) if len(letter) == 1 else -1
        letters.append((0, index, "") if index >= 0 else (1, 0, letter))
        tones.append(next((_TONES[m] for m in parts[1:] if m in _TONES), 0))
    return tuple(letters), tuple(tones)


def vn_date(day: dt.date | dt.datetime | None) -> str:
    if day is None:
        return "…"
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date()
    return f"{day:%d/%m/%Y}"


def roman(number: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L")):
        while number >= value:
            out, number = out + letters, number - value
    for value, letters in ((40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while number >= value:
            out, number = out + letters, number - value
    return out


def paragraphs(text: str, placeholder: str) -> list[str]:
    """A text typed by a unit as paragraphs; the placeholder (for the unit to fill in) when empty."""
    parts = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return parts or [placeholder]


# --- who issues: names of bodies, places, signatures ------------------------------------------------------------------

TERRITORIAL_KINDS = {UnitKind.PROVINCE, UnitKind.DISTRICT, UnitKind.COMMUNE}
_PREFIXES = ("Thành phố", "Thị trấn", "Thị xã", "Đặc khu", "Phường", "Huyện", "Quận", "Tỉnh", "Xã", "TP.")
_LEVEL_WORD = {UnitKind.PROVINCE: "tỉnh", UnitKind.DISTRICT: "huyện", UnitKind.COMMUNE: "xã"}


def _prefix_of(name: str) -> str:
    for prefix in _PREFIXES:
        if name.startswith(prefix + " "):
            return prefix
    return ""


def place_name(name: str) -> str:
    """ "Tỉnh Cần Thơ" → "Cần Thơ"."""
    prefix = _prefix_of(name)
    return name[len(prefix) :].strip() if prefix else name


def in_sentence(name: str) -> str:
    """ "Tỉnh Cần Thơ" → "tỉnh Cần Thơ" (the administrative prefix in lower case, as inside a sentence)."""
    prefix = _prefix_of(name)
    if not prefix or prefix == "TP.":
        return name
    return prefix.lower() + name[len(prefix) :]


def initials(name: str) -> str:
    """ "Sở Nội vụ" → "SNV" (for number symbols such as …/BC-SNV)."""
    return "".join(word[0] for word in name.split() if word[:1].isalpha()).upper() or "…"


def territory_of(unit: OrgUnit | None) -> OrgUnit | None:
    """The nearest territorial unit (province, district, commune) at or above ``unit``."""
    seen = 0
    while unit is not None and seen < 12:
        if unit.kind in TERRITORIAL_KINDS:
            return unit
        unit, seen = unit.parent, seen + 1
    return None


def committee_full(territory: OrgUnit) -> str:
    """ "ỦY BAN NHÂN DÂN TỈNH CẦN THƠ"."""
    return f"ỦY BAN NHÂN DÂN {territory.name.upper()}"


def committee_short(territory: OrgUnit) -> str:
    """ "UBND TỈNH CẦN THƠ" (the line above a body of the committee)."""
    return f"UBND {territory.name.upper()}"


def committee_sentence(territory: OrgUnit) -> str:
    """ "Ủy ban nhân dân tỉnh Cần Thơ"."""
    return f"Ủy ban nhân dân {in_sentence(territory.name)}"


def leader_title(unit: OrgUnit) -> str:
    """The title of a body's head, in capitals (signature block)."""
    if unit.kind in (UnitKind.MOHA, UnitKind.MINISTRY):
        return "BỘ TRƯỞNG"
    if unit.kind == UnitKind.DEPARTMENT or unit.name.startswith("Sở "):
        return "GIÁM ĐỐC"
    if unit.kind == UnitKind.DIVISION or unit.name.startswith("Phòng "):
        return "TRƯỞNG PHÒNG"
    if unit.kind in TERRITORIAL_KINDS:
        return "CHỦ TỊCH"
    return "THỦ TRƯỞNG CƠ QUAN"


def superior_line(unit: OrgUnit) -> str:
    """The line above a body's name in the header: "UBND TỈNH CẦN THƠ" for a department of the province."""
    parent = unit.parent
    if parent is None:
        return ""
    if parent.kind in TERRITORIAL_KINDS:
        return committee_short(parent)
    return parent.name.upper()


def date_line(unit: OrgUnit | None) -> str:
    """ "Cần Thơ, ngày … tháng … năm 2027": the day is left for the signature."""
    territory = territory_of(unit)
    if territory is not None:
        place = place_name(territory.name)
    elif unit is not None and unit.kind in (UnitKind.MOHA, UnitKind.MINISTRY):
        place = "Hà Nội"
    else:
        place = "…"
    return f"{place}, ngày … tháng … năm {timezone.localdate().year}"


def _body_header(unit: OrgUnit, symbol: str) -> dict:
    """Header of a document issued by ``unit`` itself (a department, a council's body…)."""
    return {
        "co_quan_chu_quan": superior_line(unit),
        "co_quan_ban_hanh": unit.name.upper(),
        "so_ky_hieu": f"Số: …/{symbol}-{initials(unit.name)}",
        "dia_danh_ngay": date_line(unit),
    }


def _common(req: ReportRequest, *, kind_label: str, summary: str) -> dict:
    cycle = req.cycle
    return {
        "du_thao": "",
        "loai_van_ban": kind_label,
        "trich_yeu": summary,
        "nam": str(cycle.year),
        "ten_dot": cycle.name,
        "co_quan_danh_gia": cycle.assessor.name,
    }


# --- documented fields ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    sample: object = ""
    items: tuple[Field, ...] = ()  # the fields of each row, for a list of rows

    def sample_value(self):
        if self.items:
            row = {item.name: item.sample_value() for item in self.items}
            return [row, dict(row)]
        return self.sample


def _rows(name: str, label: str, *items: Field) -> Field:
    return Field(name, label, items=items)


HEADER = (
    Field("co_quan_chu_quan", "Tên cơ quan cấp trên, chữ in hoa (có thể trống)", "UBND TỈNH CẦN THƠ"),
    Field("co_quan_ban_hanh", "Tên cơ quan ban hành, chữ in hoa", "SỞ NỘI VỤ"),
    Field("so_ky_hieu", "Số, ký hiệu (số để trống)", "Số: …/BC-SNV"),
    Field("dia_danh_ngay", "Địa danh, ngày tháng năm", "Cần Thơ, ngày … tháng … năm 2027"),
    Field("du_thao", "“DỰ THẢO” khi kết quả chưa công bố, trống khi đã công bố", ""),
    Field("loai_van_ban", "Tên loại văn bản", "BÁO CÁO"),
    Field("trich_yeu", "Trích yếu nội dung", "Kết quả xác định Chỉ số cải cách hành chính năm 2026"),
    Field("nam", "Năm đánh giá", "2026"),
    Field("ten_dot", "Tên đợt đánh giá", "Chỉ số CCHC năm 2026"),
    Field("co_quan_danh_gia", "Cơ quan đánh giá", "Sở Nội vụ"),
)
SIGNATURE = (
    Field("noi_nhan", "Nơi nhận: danh sách, mỗi dòng một nơi", ["- Như trên;", "- Lưu: VT, SNV."]),
    Field("ky_thay_mat", "Thẩm quyền ký (TM., KT.…), có thể trống", "TM. ỦY BAN NHÂN DÂN"),
    Field("chuc_vu_ky", "Chức vụ người ký", "CHỦ TỊCH"),
    Field("nguoi_ky", "Họ và tên người ký (có thể trống)", ""),
)
_RANK_ROW = (
    Field("stt", "Số thứ tự", "1"),
    Field("ten_don_vi", "Tên cơ quan, đơn vị", "Sở Tư pháp"),
    Field("diem", "Điểm đạt được", "85,78"),
    Field("chi_so", "Chỉ số CCHC (%)", "85,78"),
    Field("xep_hang", "Xếp hạng", "1"),
    Field("xep_loai", "Xếp loại", "B"),
)
_CHANGE_ROW = (
    Field("thay_doi", "Tăng, giảm Chỉ số so với năm trước (điểm %)", "+1,20"),
    Field("thay_doi_hang", "Thay đổi thứ hạng so với năm trước", "Tăng 2 bậc"),
    Field("ghi_chu", "Ghi chú (đơn vị sắp xếp lại…)", ""),
)
_CHART = (
    Field("bieu_do", "Biểu đồ (ảnh trong Word, hình vẽ trong PDF)", ""),
    Field("bieu_do_mo_ta", "Mô tả bằng lời của biểu đồ", ""),
)

FIELDS: dict[str, tuple[Field, ...]] = {
    ReportKind.DECISION: (
        *HEADER,
        Field("tham_quyen", "Thẩm quyền ban hành, chữ in hoa", "ỦY BAN NHÂN DÂN TỈNH CẦN THƠ"),
        Field("can_cu", "Các căn cứ ban hành, mỗi dòng một căn cứ", ["Căn cứ Luật Tổ chức chính quyền địa phương;"]),
        _rows(
            "dieu",
            "Các điều của Quyết định",
            Field("so", "Số điều", "Điều 1."),
            Field("noi_dung", "Nội dung điều", "Công bố kết quả …"),
        ),
        *SIGNATURE,
        Field("phu_luc_tieu_de", "Tên phụ lục", "KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2026"),
        Field("phu_luc_kem_theo", "Dòng “Kèm theo Quyết định số …”", "(Kèm theo Quyết định số …/QĐ-UBND)"),
        Field("so_don_vi", "Tổng số cơ quan, đơn vị được công bố", "63"),
        _rows(
            "cac_nhom",
            "Các nhóm đơn vị của phụ lục",
            Field("so_thu_tu", "Số thứ tự nhóm (I, II…)", "I"),
            Field("ten_nhom", "Tên nhóm đơn vị", "Sở, ban, ngành"),
            Field("so_don_vi", "Số đơn vị của nhóm", "20"),
            _rows("dong", "Các dòng của bảng xếp hạng", *_RANK_ROW),
        ),
    ),
    ReportKind.RESULTS_REPORT: (
        *HEADER,
        Field("kinh_gui", "Nơi được kính gửi", "Ủy ban nhân dân tỉnh Cần Thơ"),
        Field("mo_dau", "Đoạn mở đầu", "Thực hiện …, Sở Nội vụ báo cáo như sau:"),
        Field("tong_quan", "Tình hình triển khai: các đoạn văn", ["…"]),
        Field("tong_so_don_vi", "Tổng số cơ quan, đơn vị được đánh giá", "63"),
        Field("trang_thai_ket_qua", "Tình trạng kết quả (đã công bố / dự thảo)", "đã được công bố"),
        Field("bieu_do_xep_loai", "Biểu đồ số đơn vị theo xếp loại", ""),
        Field("bieu_do_xep_loai_mo_ta", "Mô tả bằng lời của biểu đồ xếp loại", ""),
        _rows(
            "cac_nhom",
            "Kết quả từng nhóm đơn vị",
            Field("so_thu_tu", "Số thứ tự nhóm", "1"),
            Field("ten_nhom", "Tên nhóm", "Sở, ban, ngành"),
            Field("so_don_vi", "Số đơn vị", "20"),
            Field("diem_trung_binh", "Chỉ số bình quân (%)", "85,78"),
            Field("cao_nhat", "Đơn vị cao nhất", "Sở Tư pháp (92,10%)"),
            Field("thap_nhat", "Đơn vị thấp nhất", "Sở Tài chính (70,05%)"),
            Field("so_sanh", "So sánh với năm trước", "Tăng 1,20 điểm % so với năm 2025."),
            Field("nhan_xet", "Nhận xét: các đoạn văn", ["…"]),
            _rows(
                "xep_loai",
                "Thống kê theo xếp loại",
                Field("xep_loai", "Xếp loại", "A"),
                Field("so_luong", "Số đơn vị", "5"),
                Field("ty_le", "Tỷ lệ (%)", "25,00"),
            ),
            _rows(
                "linh_vuc",
                "Kết quả bình quân theo lĩnh vực",
                Field("ma", "Mã lĩnh vực", "1"),
                Field("ten", "Tên lĩnh vực", "Công tác chỉ đạo, điều hành CCHC"),
                Field("diem_toi_da", "Điểm tối đa", "9,50"),
                Field("diem_trung_binh", "Điểm bình quân", "8,20"),
                Field("ty_le", "Tỷ lệ bình quân (%)", "86,32"),
            ),
            _rows("dong", "Bảng xếp hạng của nhóm", *_RANK_ROW, *_CHANGE_ROW),
            *_CHART,
        ),
        Field("danh_gia", "Đánh giá chung: các đoạn văn", ["…"]),
        Field("de_xuat", "Đề xuất, kiến nghị: các đoạn văn", ["…"]),
        Field("ket_thuc", "Câu kết", "Trên đây là báo cáo …"),
        *SIGNATURE,
    ),
    ReportKind.APPRAISAL_MINUTES: (
        *HEADER,
        Field("mo_dau", "Đoạn mở đầu (thời gian, địa điểm)", "Vào hồi … giờ …"),
        Field("thoi_gian", "Thời gian họp Hội đồng", "từ ngày 06/02/2027 đến ngày 20/02/2027"),
        Field("ten_hoi_dong", "Tên Hội đồng thẩm định", "Hội đồng thẩm định Chỉ số CCHC"),
        Field("quyet_dinh_thanh_lap", "Quyết định thành lập Hội đồng", "Quyết định số …"),
        Field("chu_tri", "Người chủ trì (Chủ tịch Hội đồng)", "Nguyễn Văn A"),
        Field("thu_ky", "Thư ký", "Trần Thị B"),
        _rows(
            "thanh_phan",
            "Thành phần Hội đồng",
            Field("stt", "Số thứ tự", "1"),
            Field("ho_ten", "Họ và tên", "Nguyễn Văn A"),
            Field("chuc_vu", "Chức vụ, cơ quan công tác", "Giám đốc Sở Nội vụ"),
            Field("nhiem_vu", "Nhiệm vụ trong Hội đồng", "Chủ tịch"),
        ),
        Field("noi_dung", "Nội dung làm việc: các đoạn văn", ["…"]),
        _rows(
            "don_vi",
            "Kết quả thẩm định từng đơn vị",
            Field("stt", "Số thứ tự", "1"),
            Field("ten_don_vi", "Tên đơn vị", "Sở Tư pháp"),
            Field("diem_tu_cham", "Điểm tự đánh giá", "60,50"),
            Field("diem_tham_dinh", "Điểm thẩm định", "58,00"),
            Field("chenh_lech", "Chênh lệch (thẩm định − tự đánh giá)", "-2,50"),
            Field("so_tieu_chi_dieu_chinh", "Số tiêu chí được điều chỉnh điểm", "3"),
            Field("bieu_quyet", "Kết quả biểu quyết", "5/7 đồng ý"),
            Field("trang_thai", "Tình trạng", "Hội đồng đã xác nhận"),
        ),
        _rows(
            "dieu_chinh",
            "Các tiêu chí được điều chỉnh điểm",
            Field("ten_don_vi", "Đơn vị", "Sở Tư pháp"),
            Field("ma", "Mã tiêu chí", "1.3"),
            Field("ten_tieu_chi", "Tên tiêu chí", "Chất lượng báo cáo"),
            Field("diem_tu_cham", "Điểm tự đánh giá", "2,00"),
            Field("diem_tham_dinh", "Điểm thẩm định", "1,00"),
            Field("nhan_xet", "Nhận xét của người thẩm định", ""),
        ),
        Field("ket_luan", "Kết luận: các đoạn văn", ["…"]),
        *SIGNATURE,
    ),
    ReportKind.SELF_ASSESSMENT: (
        *HEADER,
        Field("ten_don_vi", "Tên đơn vị", "Sở Tư pháp"),
        Field("kinh_gui", "Nơi được kính gửi", "Sở Nội vụ"),
        Field("mo_dau", "Đoạn mở đầu", "Thực hiện …"),
        Field("tong_diem_tu_cham", "Tổng điểm tự đánh giá", "60,50"),
        Field("diem_toi_da", "Tổng điểm tối đa của Bộ chỉ số", "100,00"),
        Field("diem_toi_da_tu_cham", "Điểm tối đa của các tiêu chí đơn vị tự chấm", "61,50"),
        Field("ket_qua", "Kết quả tự đánh giá: các đoạn văn", ["…"]),
        _rows(
            "bang_tong_hop",
            "Bảng tổng hợp theo lĩnh vực, tiêu chí",
            Field("ma", "Mã", "1.1"),
            Field("noi_dung", "Lĩnh vực, tiêu chí, tiêu chí thành phần", "Tỷ lệ hồ sơ giải quyết đúng hạn"),
            Field("cap", "Cấp (1 lĩnh vực, 2 tiêu chí, 3 tiêu chí thành phần)", "2"),
            Field("diem_toi_da", "Điểm tối đa", "3,00"),
            Field("diem_tu_cham", "Điểm tự đánh giá", "3,00"),
            Field("tai_lieu", "Số tài liệu kiểm chứng", "2"),
            Field("ghi_chu", "Ghi chú", ""),
        ),
        _rows(
            "giai_trinh",
            "Tiêu chí chưa có đủ tài liệu kiểm chứng và giải trình",
            Field("ma", "Mã", "1.3"),
            Field("noi_dung", "Tiêu chí", "Chất lượng báo cáo"),
            Field("diem_tu_cham", "Điểm tự đánh giá", "1,00"),
            Field("tai_lieu", "Tình trạng tài liệu kiểm chứng", "Chưa có tài liệu kiểm chứng"),
            Field("giai_trinh", "Nội dung giải trình", "…"),
        ),
        Field(
            "giai_trinh_ghi_chu", "Câu dùng khi không có tiêu chí cần giải trình", "Không có tiêu chí cần giải trình."
        ),
        Field("kho_khan", "Khó khăn, vướng mắc: các đoạn văn", ["…"]),
        Field("de_xuat", "Đề xuất, kiến nghị: các đoạn văn", ["…"]),
        *SIGNATURE,
    ),
    ReportKind.SCORECARD: (
        *HEADER,
        Field("ten_don_vi", "Tên đơn vị", "Sở Tư pháp"),
        Field("ten_nhom", "Nhóm đơn vị", "Sở, ban, ngành"),
        Field("diem", "Điểm đạt được", "85,78"),
        Field("diem_toi_da", "Điểm tối đa", "100,00"),
        Field("chi_so", "Chỉ số CCHC (%)", "85,78"),
        Field("xep_hang", "Xếp hạng", "3"),
        Field("so_don_vi_xep_hang", "Số đơn vị được xếp hạng trong nhóm", "20"),
        Field("xep_loai", "Xếp loại", "B"),
        Field("so_voi_nam_truoc", "So sánh với năm trước", "Tăng 1,20 điểm %"),
        Field("trang_thai_ket_qua", "Tình trạng kết quả", "Đã công bố"),
        _rows(
            "linh_vuc",
            "Kết quả theo lĩnh vực",
            Field("ma", "Mã", "1"),
            Field("ten", "Lĩnh vực", "Công tác chỉ đạo, điều hành CCHC"),
            Field("diem_toi_da", "Điểm tối đa", "9,50"),
            Field("diem", "Điểm đạt được", "8,50"),
            Field("chi_so", "Chỉ số thành phần (%)", "89,47"),
            Field("trung_binh_nhom", "Bình quân của nhóm (%)", "85,00"),
            Field("xep_loai", "Xếp loại", "B"),
        ),
        _rows(
            "mat_diem",
            "Các tiêu chí bị mất điểm (nhiều nhất trước)",
            Field("ma", "Mã", "3.1"),
            Field("ten", "Tiêu chí", "Khảo sát người dân"),
            Field("diem_toi_da", "Điểm tối đa", "4,00"),
            Field("diem", "Điểm đạt được", "2,00"),
            Field("mat", "Điểm bị mất", "2,00"),
        ),
        Field("mat_diem_ghi_chu", "Câu dùng khi không mất điểm ở tiêu chí nào", ""),
        _rows(
            "xu_huong",
            "Kết quả qua các năm",
            Field("nam", "Năm", "2025"),
            Field("chi_so", "Chỉ số (%)", "84,58"),
            Field("xep_hang", "Xếp hạng", "5"),
            Field("xep_loai", "Xếp loại", "B"),
        ),
        Field("bieu_do_linh_vuc", "Biểu đồ kết quả theo lĩnh vực", ""),
        Field("bieu_do_linh_vuc_mo_ta", "Mô tả bằng lời của biểu đồ lĩnh vực", ""),
        Field("bieu_do_xu_huong", "Biểu đồ xu hướng qua các năm", ""),
        Field("bieu_do_xu_huong_mo_ta", "Mô tả bằng lời của biểu đồ xu hướng", ""),
        Field("nguon", "Nguồn số liệu", "Bộ kết quả …"),
    ),
    ReportKind.RANKING: (
        *HEADER,
        _rows(
            "cac_nhom",
            "Bảng xếp hạng từng nhóm",
            Field("so_thu_tu", "Số thứ tự nhóm", "I"),
            Field("ten_nhom", "Tên nhóm", "Sở, ban, ngành"),
            Field("so_don_vi", "Số đơn vị", "20"),
            Field("trang_thai", "Tình trạng kết quả", "Đã công bố"),
            _rows("dong", "Các dòng", *_RANK_ROW, *_CHANGE_ROW),
            *_CHART,
        ),
    ),
}

DOCUMENT_KINDS = tuple(FIELDS)


def field_names(kind: str) -> list[str]:
    return [f.name for f in FIELDS[kind]]


def sample_context(kind: str) -> dict:
    """A context with every documented field (nested rows included), to try a template without data."""
    return {f.name: f.sample_value() for f in FIELDS[kind]}


def shape(value) -> object:
    """The keys of a context, nested (the first row of each list): to compare a built context with the fields."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [shape(value[0])]
    return None


# --- charts requested by a context ------------------------------------------------------------------------------------


def _chart(ctx: dict, at: tuple, slot: str, function: str, **kwargs) -> None:
    """Ask ``documents`` to draw ``charts.<function>(**kwargs)`` into ``ctx[at…][slot]`` (and ``slot_mo_ta``)."""
    ctx.setdefault("_charts", []).append({"at": at, "slot": slot, "function": function, "kwargs": kwargs})


# --- shared reads -----------------------------------------------------------------------------------------------------


def _ranking(result_set, *, with_previous: bool) -> list[dict]:
    from parindex.scoring.selectors import previous_set, ranking_rows

    previous = previous_set(result_set) if with_previous else None
    rows = ranking_rows(result_set, previous=previous)
    codes = dict(result_set.units.values_list("unit_id", "class_code"))
    for r in rows:
        r["class_code"] = codes.get(r["unit_id"], "")
    # Tied units in Vietnamese alphabetical order of their names (without "Tỉnh", "Thành phố"…).
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, vn_sort_key(place_name(r["unit"]))))
    return rows


def _rank_row(number: int, r: dict) -> dict:
    return {
        "stt": str(number),
        "ten_don_vi": r["unit"],
        "diem": vn_number(r["points"]),
        "chi_so": vn_number(r["percent"]),
        "xep_hang": str(r["rank"]) if r["rank"] else EMPTY,
        "xep_loai": r["class"] or EMPTY,
    }


def _change_row(number: int, r: dict) -> dict:
    return {
        **_rank_row(number, r),
        "thay_doi": vn_signed(r["percent_change"]),
        "thay_doi_hang": vn_rank_change(r["rank_change"]),
        "ghi_chu": r["change_note"] if r["change_note"] != "không có kết quả năm trước" else "",
    }


def _average(values) -> Decimal | None:
    from parindex.scoring import engine

    known = [Decimal(str(v)) for v in values if v is not None]
    return engine.publish(sum(known, Decimal(0)) / len(known)) if known else None


def _bands(result_set):
    from parindex.scoring.services import scheme_bands

    return scheme_bands(result_set.scheme)


def _unit_count(rows: list[dict]) -> int:
    return sum(1 for r in rows if r["percent"] is not None)


def _is_draft(result_set) -> bool:
    from parindex.scoring.models import ResultStatus

    return result_set.status != ResultStatus.PUBLISHED


def _status_text(result_set) -> str:
    return "Kết quả dự thảo, chưa công bố" if _is_draft(result_set) else "Đã công bố"


def _ranking_chart_rows(rows: list[dict]) -> list[dict]:
    return [
        {"unit": r["unit"], "percent": r["percent"], "class_code": r.get("class_code") or r["class"] or ""}
        for r in rows
        if r["percent"] is not None
    ]


def _group_chart(ctx: dict, at: tuple, result_set, rows: list[dict]) -> None:
    title = f"Chỉ số CCHC năm {result_set.year} — {result_set.group.name if result_set.group else ''}".rstrip(" —")
    if _unit_count(rows) <= RANKING_CHART_MAX_UNITS:
        _chart(ctx, at, "bieu_do", "ranking_bars", rows=_ranking_chart_rows(rows), title=title)
    else:
        _chart(ctx, at, "bieu_do", "class_distribution", counts=_class_counts(result_set, rows), title=title)


def _class_counts(result_set, rows: list[dict]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for r in rows:
        if r["percent"] is not None:
            counts[r["class"] or EMPTY] = counts.get(r["class"] or EMPTY, 0) + 1
    ordered = [(band.name, counts.pop(band.name, 0)) for band in _bands(result_set)]
    return ordered + sorted(counts.items())


# --- the decision (Quyết định công bố) --------------------------------------------------------------------------------


def decision(req: ReportRequest) -> dict:
    cycle = req.cycle
    assessor = cycle.assessor
    sets = cycle_result_sets(req, published_only=True)
    territory = territory_of(assessor.parent) if assessor.parent else None
    if territory is not None:
        issuing, authority = committee_full(territory), committee_full(territory)
        number = "Số: …/QĐ-UBND"
        sign_for, sign_title = "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"
        issuer_sentence = committee_sentence(territory)
        level = _LEVEL_WORD.get(territory.kind, "tỉnh")
        office = f"Chánh Văn phòng Ủy ban nhân dân {level}"
    else:
        issuing, number = assessor.name.upper(), f"Số: …/QĐ-{initials(assessor.name)}"
        authority = f"{leader_title(assessor)} {assessor.name.upper()}"
        sign_for, sign_title = "", leader_title(assessor)
        issuer_sentence, level = assessor.name, ""
        office = f"Chánh Văn phòng {assessor.name}"
    groups, total = [], 0
    for i, result_set in enumerate(sets, start=1):
        rows = _ranking(result_set, with_previous=False)
        total += len(rows)
        groups.append(
            {
                "so_thu_tu": roman(i),
                "ten_nhom": result_set.group.name if result_set.group else result_set.title,
                "so_don_vi": str(len(rows)),
                "dong": [_rank_row(n, r) for n, r in enumerate(rows, start=1)],
            }
        )
    year = cycle.year
    bases = ["Căn cứ Luật Tổ chức chính quyền địa phương;"]
    for text in dict.fromkeys(s.framework.decision for s in sets if s.framework and s.framework.decision):
        bases.append(f"Căn cứ {text};")
    if cycle.decision:
        bases.append(f"Căn cứ {cycle.decision};")
    if territory is not None:
        head = leader_title(assessor).capitalize()
        bases.append(
            f"Theo đề nghị của {head} {assessor.name} tại Tờ trình số …/TTr-{initials(assessor.name)} "
            "ngày … tháng … năm …."
        )
    # Who carries the decision out: the committee's office, the assessing department and the units (a ministry's
    # own decision: its office and the units).
    executors = f"{office}, {leader_title(assessor).capitalize()} {assessor.name}" if territory is not None else office
    articles = [
        {
            "so": "Điều 1.",
            "noi_dung": f"Công bố kết quả Chỉ số cải cách hành chính năm {year} của {total} cơ quan, đơn vị "
            f"(chi tiết tại Phụ lục kèm theo Quyết định này).",
        },
        {
            "so": "Điều 2.",
            "noi_dung": f"Căn cứ kết quả Chỉ số cải cách hành chính năm {year}, Thủ trưởng các cơ quan, đơn vị phân "
            "tích những tiêu chí, tiêu chí thành phần bị mất điểm, xây dựng kế hoạch khắc phục hạn chế, nâng cao "
            f"hiệu quả công tác cải cách hành chính năm {year + 1}. {assessor.name} theo dõi, đôn đốc, tổng hợp "
            f"tình hình thực hiện, báo cáo {issuer_sentence if territory is not None else 'theo quy định'}.",
        },
        {
            "so": "Điều 3.",
            "noi_dung": f"Quyết định này có hiệu lực kể từ ngày ký. {executors}, Thủ trưởng các cơ "
            "quan, đơn vị có tên tại Phụ lục kèm theo Quyết định này chịu trách nhiệm thi hành Quyết định này.",
        },
    ]
    recipients = ["- Như Điều 3;"]
    if territory is not None:
        recipients += [
            "- Bộ Nội vụ (để báo cáo);",
            f"- TT. {level.capitalize()} ủy, TT. HĐND {level};",
            f"- Chủ tịch, các PCT UBND {level};",
            f"- Cổng Thông tin điện tử {level};",
        ]
    recipients.append(f"- Lưu: VT, {initials(assessor.name)}.")
    ctx = {
        "co_quan_chu_quan": "",
        "co_quan_ban_hanh": issuing,
        "so_ky_hieu": number,
        "dia_danh_ngay": date_line(assessor),
        **_common(
            req,
            kind_label="QUYẾT ĐỊNH",
            summary=f"Về việc công bố kết quả Chỉ số cải cách hành chính năm {year} của các cơ quan, đơn vị",
        ),
        "tham_quyen": authority,
        "can_cu": bases,
        "dieu": articles,
        "noi_nhan": recipients,
        "ky_thay_mat": sign_for,
        "chuc_vu_ky": sign_title,
        "nguoi_ky": "",
        "phu_luc_tieu_de": f"KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {year} CỦA CÁC CƠ QUAN, ĐƠN VỊ",
        "phu_luc_kem_theo": f"(Kèm theo Quyết định số …/{number.rsplit('/', 1)[-1]} ngày … tháng … năm … "
        f"của {issuer_sentence})",
        "so_don_vi": str(total),
        "cac_nhom": groups,
    }
    return ctx


# --- the report on the results (Báo cáo kết quả) ----------------------------------------------------------------------


def _group_statistics(result_set, rows: list[dict], number: int) -> tuple[dict, list[dict]]:
    scored = [r for r in rows if r["percent"] is not None]
    average = _average(r["percent"] for r in scored)
    best = max(scored, key=lambda r: r["percent"], default=None)
    worst = min(scored, key=lambda r: r["percent"], default=None)
    previous_known = [r for r in scored if r["previous_percent"] is not None]
    year = result_set.year
    if previous_known:
        previous_average = _average(r["previous_percent"] for r in previous_known)
        current_same = _average(r["percent"] for r in previous_known)
        change = current_same - previous_average
        rose = sum(1 for r in previous_known if r["percent_change"] and r["percent_change"] > 0)
        fell = sum(1 for r in previous_known if r["percent_change"] and r["percent_change"] < 0)
        direction = "tăng" if change > 0 else ("giảm" if change < 0 else "không đổi")
        amount = f" {vn_number(abs(change))} điểm %" if change else ""
        comparison = (
            f"So với năm {year - 1}, Chỉ số bình quân của {len(previous_known)} đơn vị có kết quả cả hai năm "
            f"{direction}{amount} ({vn_number(previous_average)}% → {vn_number(current_same)}%); "
            f"{rose} đơn vị tăng, {fell} đơn vị giảm."
        )
    else:
        comparison = f"Chưa có kết quả năm {year - 1} của nhóm để so sánh."
    named = lambda r: f"{r['unit']} ({vn_number(r['percent'])}%)" if r else EMPTY  # noqa: E731
    notes = [
        f"Số đơn vị được đánh giá: {len(rows)}; được xếp hạng: {len(scored)}.",
        f"Chỉ số CCHC bình quân của nhóm đạt {vn_number(average)}%; cao nhất là {named(best)}, thấp nhất là "
        f"{named(worst)}.",
        comparison,
    ]
    classes = []
    for label, count in _class_counts(result_set, rows):
        share = Decimal(count * 100) / len(scored) if scored else None
        classes.append({"xep_loai": label, "so_luong": str(count), "ty_le": vn_number(share)})
    fields = []
    for component in result_set.components or []:
        code = component.get("code")
        points = [Decimal(str(r["components"][code]["points"])) for r in scored if _component_value(r, code, "points")]
        percents = [r["components"][code]["percent"] for r in scored if _component_value(r, code, "percent")]
        fields.append(
            {
                "ma": str(code),
                "ten": component.get("name", ""),
                "diem_toi_da": vn_number(component.get("max")),
                "diem_trung_binh": vn_number(_average(points)),
                "ty_le": vn_number(_average(percents)),
            }
        )
    group = {
        "so_thu_tu": str(number),
        "ten_nhom": result_set.group.name if result_set.group else result_set.title,
        "so_don_vi": str(len(rows)),
        "diem_trung_binh": vn_number(average),
        "cao_nhat": named(best),
        "thap_nhat": named(worst),
        "so_sanh": comparison,
        "nhan_xet": notes,
        "xep_loai": classes,
        "linh_vuc": fields,
        "dong": [_change_row(n, r) for n, r in enumerate(rows, start=1)],
        "bieu_do": "",
        "bieu_do_mo_ta": "",
    }
    return group, scored


def _component_value(row: dict, code: str, key: str):
    value = (row.get("components") or {}).get(code) or {}
    return value.get(key) not in (None, "")


def results_report(req: ReportRequest) -> dict:
    cycle = req.cycle
    assessor = cycle.assessor
    sets = cycle_result_sets(req)
    territory = territory_of(assessor.parent) if assessor.parent else None
    addressee = committee_sentence(territory) if territory is not None else "Bộ Nội vụ"
    ctx = {
        **_body_header(assessor, "BC"),
        **_common(
            req,
            kind_label="BÁO CÁO",
            summary=f"Kết quả xác định Chỉ số cải cách hành chính năm {cycle.year} của các cơ quan, đơn vị",
        ),
    }
    groups, all_rows = [], []
    draft = False
    for i, result_set in enumerate(sets, start=1):
        rows = _ranking(result_set, with_previous=True)
        group, _scored = _group_statistics(result_set, rows, i)
        groups.append(group)
        all_rows += [(result_set, r) for r in rows]
        draft = draft or _is_draft(result_set)
        _group_chart(ctx, ("cac_nhom", i - 1), result_set, rows)
    total = len(all_rows)
    counts: dict[str, int] = {}
    for _result_set, r in all_rows:
        if r["percent"] is not None:
            counts[r["class"] or EMPTY] = counts.get(r["class"] or EMPTY, 0) + 1
    order = [band.name for band in _bands(sets[0])]
    distribution = [(name, counts.pop(name, 0)) for name in order] + sorted(counts.items())
    _chart(ctx, (), "bieu_do_xep_loai", "class_distribution", counts=distribution, title="Số đơn vị theo xếp loại")
    status = "dự thảo, trình Ủy ban nhân dân xem xét, phê duyệt" if draft else "đã được công bố"
    plan = f" theo {cycle.decision}" if cycle.decision else ""
    ctx.update(
        {
            "kinh_gui": addressee,
            "mo_dau": f"Thực hiện nhiệm vụ xác định Chỉ số cải cách hành chính năm {cycle.year}{plan}, {assessor.name} "
            f"báo cáo kết quả xác định Chỉ số cải cách hành chính năm {cycle.year} của các cơ quan, đơn vị như sau:",
            "tong_quan": [
                f"{assessor.name} đã hướng dẫn {total} cơ quan, đơn vị thuộc {len(sets)} nhóm tự đánh giá, chấm điểm; "
                "tổ chức thẩm định kết quả tự đánh giá, điều tra xã hội học và tổng hợp kết quả theo Bộ chỉ số.",
                f"Kết quả nêu tại báo cáo này là kết quả {status}.",
            ],
            "tong_so_don_vi": str(total),
            "trang_thai_ket_qua": status,
            "bieu_do_xep_loai": "",
            "bieu_do_xep_loai_mo_ta": "",
            "cac_nhom": groups,
            "danh_gia": [
                "(Đánh giá chung về những kết quả đạt được, những lĩnh vực còn hạn chế và nguyên nhân.)",
            ],
            "de_xuat": [
                "Đề nghị các cơ quan, đơn vị căn cứ kết quả Chỉ số cải cách hành chính, phân tích những tiêu chí bị "
                f"mất điểm để có giải pháp khắc phục, nâng cao kết quả năm {cycle.year + 1}.",
                "(Các đề xuất, kiến nghị khác.)",
            ],
            "ket_thuc": f"Trên đây là báo cáo kết quả xác định Chỉ số cải cách hành chính năm {cycle.year} của các "
            f"cơ quan, đơn vị; {assessor.name} kính báo cáo {addressee} xem xét, chỉ đạo./.",
            "noi_nhan": ["- Như trên;", f"- Lưu: VT, {initials(assessor.name)}."],
            "ky_thay_mat": "",
            "chuc_vu_ky": leader_title(assessor),
            "nguoi_ky": "",
        }
    )
    return ctx


# --- the appraisal minutes (Biên bản thẩm định) -----------------------------------------------------------------------


def appraisal_minutes(req: ReportRequest) -> dict:
    from parindex.appraisals.models import MemberRole
    from parindex.appraisals.selectors import council_members, council_of, council_overview
    from parindex.appraisals.services import tally
    from parindex.assessments import scoring
    from parindex.assessments.models import AssessmentStatus, Entry
    from parindex.cycles.models import Window, WindowKind

    cycle = req.cycle
    council = council_of(cycle)
    if council is None:
        raise ReportError(f"Đợt “{cycle.name}” chưa có Hội đồng thẩm định: hãy lập Hội đồng trước khi in biên bản.")
    overview = council_overview(cycle)
    if req.group is not None:
        in_group = set(cycle.participants.filter(group=req.group).values_list("unit_id", flat=True))
        overview = [o for o in overview if o["assessment"].unit_id in in_group]
    if not overview:
        raise ReportError(f"Đợt “{cycle.name}” chưa có đơn vị nào được thẩm định.")
    members = council_members(council, include_ended=False)
    chair = next((m for m in members if m.role == MemberRole.CHAIR), None)
    secretary = next((m for m in members if m.role == MemberRole.SECRETARY), None)
    window = Window.objects.filter(cycle=cycle, kind=WindowKind.COUNCIL).first()
    when = (
        f"từ ngày {vn_date(window.opens_at)} đến ngày {vn_date(window.closes_at)}" if window else "ngày … tháng … năm …"
    )
    assessor = cycle.assessor
    territory = territory_of(assessor.parent) if assessor.parent else None
    people = []
    for n, m in enumerate(members, start=1):
        where = ", ".join(x for x in (m.position, m.organisation.name if m.organisation else "") if x)
        people.append(
            {
                "stt": str(n),
                "ho_ten": m.user.display_name,
                "chuc_vu": where or EMPTY,
                "nhiem_vu": m.get_role_display(),
            }
        )
    unit_ids = [o["assessment"].unit_id for o in overview]
    changed = (
        Entry.objects.filter(
            assessment__cycle=cycle,
            assessment__unit_id__in=unit_ids,
            node__method__in=list(scoring.SELF_SCORED_METHODS),
        )
        .select_related("node", "assessment__unit")
        .order_by("assessment__unit__name", "node__order", "node_id")
    )
    adjusted, per_unit = [], {}
    for entry in changed:
        appraised = entry.appraised_points
        if appraised is None or appraised == entry.self_points:
            continue
        per_unit[entry.assessment.unit_id] = per_unit.get(entry.assessment.unit_id, 0) + 1
        adjusted.append(
            {
                "ten_don_vi": entry.assessment.unit.name,
                "ma": entry.node.code,
                "ten_tieu_chi": entry.node.name,
                "diem_tu_cham": vn_number(entry.self_points),
                "diem_tham_dinh": vn_number(appraised),
                "nhan_xet": (entry.round2_comment or entry.round1_comment or "").strip(),
            }
        )
    rows, confirmed = [], 0
    for n, o in enumerate(overview, start=1):
        assessment = o["assessment"]
        votes = tally(assessment)
        confirmed += assessment.status == AssessmentStatus.CONFIRMED
        rows.append(
            {
                "stt": str(n),
                "ten_don_vi": assessment.unit.name,
                "diem_tu_cham": vn_number(o["self"]),
                "diem_tham_dinh": vn_number(o["appraised"]),
                "chenh_lech": vn_signed(o["appraised"] - o["self"]),
                "so_tieu_chi_dieu_chinh": str(per_unit.get(assessment.unit_id, 0)),
                "bieu_quyet": f"{votes['agree']}/{votes['total']} đồng ý" if votes["total"] else EMPTY,
                "trang_thai": assessment.get_status_display(),
            }
        )
    chair_name = chair.user.display_name if chair else "…"
    ctx = {
        "co_quan_chu_quan": committee_short(territory) if territory is not None else assessor.name.upper(),
        "co_quan_ban_hanh": council.name.upper(),
        "so_ky_hieu": "Số: …/BB-HĐTĐ",
        "dia_danh_ngay": date_line(assessor),
        **_common(
            req,
            kind_label="BIÊN BẢN",
            summary=f"Họp thẩm định kết quả tự đánh giá, chấm điểm Chỉ số cải cách hành chính năm {cycle.year}",
        ),
        "mo_dau": f"Vào hồi … giờ … ngày … tháng … năm …, tại {assessor.name}, {council.name} họp thẩm định kết "
        f"quả tự đánh giá, chấm điểm Chỉ số cải cách hành chính năm {cycle.year} của các cơ quan, đơn vị "
        f"(giai đoạn Hội đồng xác nhận kết quả {when}).",
        "thoi_gian": when,
        "ten_hoi_dong": council.name,
        "quyet_dinh_thanh_lap": council.decision or "…",
        "chu_tri": chair_name,
        "thu_ky": secretary.user.display_name if secretary else "…",
        "thanh_phan": people,
        "noi_dung": [
            f"Hội đồng đã xem xét kết quả tự đánh giá, chấm điểm, tài liệu kiểm chứng và giải trình của {len(rows)} "
            "cơ quan, đơn vị; kết quả thẩm định (các tiêu chí đơn vị tự chấm điểm) như sau:",
        ],
        "don_vi": rows,
        "dieu_chinh": adjusted,
        "ket_luan": [
            f"Hội đồng thống nhất kết quả thẩm định của {len(rows)} cơ quan, đơn vị như bảng trên; {confirmed} đơn vị "
            f"đã được Hội đồng xác nhận, {len(rows) - confirmed} đơn vị chưa xác nhận.",
            "Biên bản kết thúc vào hồi … giờ … cùng ngày, đã được đọc lại cho các thành viên dự họp cùng nghe và "
            "thống nhất./.",
        ],
        "noi_nhan": ["- Các thành viên Hội đồng;", f"- Lưu: VT, {initials(assessor.name)}."],
        "ky_thay_mat": "",
        "chuc_vu_ky": "CHỦ TỊCH HỘI ĐỒNG",
        "nguoi_ky": chair_name if chair else "",
    }
    return ctx


# --- a unit's self-assessment report (Báo cáo tự đánh giá) ------------------------------------------------------------

_METHOD_NOTES = {
    "survey": "Điều tra xã hội học",
    "statistics": "Số liệu thống kê",
    "bonus": "Điểm thưởng",
    "penalty": "Điểm trừ",
}


def self_assessment(req: ReportRequest) -> dict:
    from parindex.assessments.models import Assessment
    from parindex.assessments.selectors import grid, unit_people
    from parindex.orgs.models import Role

    cycle, unit = req.cycle, req.unit
    assessment = Assessment.objects.filter(cycle=cycle, unit=unit).select_related("framework").first()
    if assessment is None:
        raise ReportError(f"Đơn vị “{unit.name}” không tham gia đợt “{cycle.name}”: không có báo cáo tự đánh giá.")
    the_grid = grid(assessment)
    table, explained = [], []
    self_max = Decimal(0)
    for row in the_grid.rows:
        node = row.node
        entry = row.entry
        if entry is None:
            points = vn_number(row.subtotal) if row.subtotal else EMPTY
            evidence, note = "", ""
        else:
            points = vn_number(entry.self_points) if row.self_scored else EMPTY
            evidence = str(len(row.links)) if row.self_scored else ""
            note = "" if row.self_scored else _METHOD_NOTES.get(node.method, "")
            if row.self_scored and node.method not in ("bonus", "penalty"):
                self_max += Decimal(node.max_points)
        table.append(
            {
                "ma": node.code,
                "noi_dung": node.name,
                "cap": str(min(row.depth, 3)),
                "diem_toi_da": vn_number(node.max_points),
                "diem_tu_cham": points,
                "tai_lieu": evidence,
                "ghi_chu": note,
            }
        )
        if entry is not None and row.self_scored and (row.needs_explanation or entry.explanation.strip()):
            explained.append(
                {
                    "ma": node.code,
                    "noi_dung": node.name,
                    "diem_tu_cham": vn_number(entry.self_points),
                    "tai_lieu": "Chưa có tài liệu kiểm chứng"
                    if not row.links
                    else f"Có {len(row.links)} tài liệu, chưa đầy đủ",
                    "giai_trinh": entry.explanation.strip() or "(Đơn vị bổ sung nội dung giải trình.)",
                }
            )
    leaders = unit_people(unit, {Role.UNIT_LEADER})
    year = cycle.year
    assessor = cycle.assessor
    ctx = {
        **_body_header(unit, "BC"),
        **_common(
            req,
            kind_label="BÁO CÁO",
            summary=f"Kết quả tự đánh giá, chấm điểm Chỉ số cải cách hành chính năm {year}",
        ),
        "ten_don_vi": unit.name,
        "kinh_gui": assessor.name,
        "mo_dau": f"Thực hiện kế hoạch xác định Chỉ số cải cách hành chính năm {year} của {assessor.name}, "
        f"{unit.name} báo cáo kết quả tự đánh giá, chấm điểm như sau:",
        "tong_diem_tu_cham": vn_number(the_grid.total),
        "diem_toi_da": vn_number(the_grid.max_total),
        "diem_toi_da_tu_cham": vn_number(self_max),
        "ket_qua": [
            f"Tổng điểm tự đánh giá: {vn_number(the_grid.total)} điểm trên {vn_number(self_max)} điểm tối đa của "
            f"các tiêu chí đơn vị tự chấm (tổng điểm tối đa của Bộ chỉ số: {vn_number(the_grid.max_total)} điểm; "
            "các tiêu chí điều tra xã hội học và số liệu thống kê do cơ quan đánh giá xác định).",
            f"Số tiêu chí đã tự chấm: {the_grid.done}/{the_grid.required}; tình trạng báo cáo: "
            f"{assessment.get_status_display().lower()}"
            + (f" (gửi ngày {vn_date(assessment.submitted_at)})." if assessment.submitted_at else "."),
        ],
        "bang_tong_hop": table,
        "giai_trinh": explained,
        "giai_trinh_ghi_chu": "Các tiêu chí đơn vị tự chấm điểm đều có tài liệu kiểm chứng kèm theo."
        if not explained
        else "",
        "kho_khan": paragraphs(
            assessment.difficulties,
            f"(Đơn vị nêu những khó khăn, vướng mắc trong triển khai nhiệm vụ cải cách hành chính năm {year}.)",
        ),
        "de_xuat": paragraphs(assessment.proposals, "(Đơn vị nêu các đề xuất, kiến nghị.)"),
        "noi_nhan": [f"- {assessor.name} (để thẩm định);", "- Lưu: VT."],
        "ky_thay_mat": "",
        "chuc_vu_ky": leader_title(unit),
        "nguoi_ky": leaders[0].display_name if leaders else "",
    }
    return ctx


# --- a unit's scorecard (Phiếu kết quả) -------------------------------------------------------------------------------


def scorecard(req: ReportRequest) -> dict:
    from parindex.scoring.models import UnitResult
    from parindex.scoring.selectors import compare, previous_set, unit_history
    from parindex.scoring.services import unit_scorecard

    cycle, unit = req.cycle, req.unit
    result_set = unit_result_set(req)
    row = UnitResult.objects.select_related("unit").get(result_set=result_set, unit=unit)
    if row.percent is None:
        raise ReportError(f"Đơn vị “{unit.name}” chưa có điểm trong bộ kết quả “{result_set}”.")
    ranked = result_set.units.filter(rank__isnull=False).count()
    others = list(result_set.units.values_list("components", flat=True))
    fields = []
    for component in result_set.components or []:
        code = str(component.get("code"))
        mine = (row.components or {}).get(code) or {}
        average = _average(
            (c or {}).get(code, {}).get("percent") for c in others if (c or {}).get(code, {}).get("percent")
        )
        fields.append(
            {
                "ma": code,
                "ten": component.get("name", ""),
                "diem_toi_da": vn_number(component.get("max")),
                "diem": vn_number(mine.get("points")),
                "chi_so": vn_number(mine.get("percent")),
                "trung_binh_nhom": vn_number(average),
                "xep_loai": mine.get("class") or EMPTY,
            }
        )
    lost = []
    tree = unit_scorecard(result_set, unit.pk) if result_set.framework_id else None
    if tree is not None:
        names = dict(result_set.framework.nodes.values_list("code", "name"))
        parents = set(result_set.framework.nodes.exclude(parent=None).values_list("parent__code", flat=True))
        for code, node in tree.nodes.items():
            if code in parents or node.source in ("bonus", "penalty"):
                continue
            missing = node.lost_points
            if missing is None or missing <= 0:
                continue
            lost.append((missing, code, node))
        lost.sort(key=lambda item: (-item[0], item[1]))
        lost_rows = [
            {
                "ma": code,
                "ten": names.get(code, ""),
                "diem_toi_da": vn_number(node.max_points),
                "diem": vn_number(node.final_points),
                "mat": vn_number(missing),
            }
            for missing, code, node in lost
        ]
    else:
        lost_rows = []
    history = {r.result_set.year: r for r in unit_history(unit)}
    history[result_set.year] = row
    trend = [
        {
            "nam": str(year),
            "chi_so": vn_number(r.percent),
            "xep_hang": str(r.rank) if r.rank else EMPTY,
            "xep_loai": r.class_name or r.class_code or EMPTY,
        }
        for year, r in sorted(history.items())
    ]
    previous = compare([row], previous_set(result_set)).get(unit.pk)
    if previous is not None and previous.previous_percent is not None:
        from parindex.scoring import engine

        change = engine.change(row.percent, previous.previous_percent)
        versus = (
            f"{vn_signed(change)} điểm % so với năm {result_set.year - 1} ({vn_number(previous.previous_percent)}%)"
        )
        moved = engine.rank_change(row.rank, previous.previous_rank)
        if moved is not None:
            versus += f"; thứ hạng: {vn_rank_change(moved).lower()}"
        if previous.note:
            versus += f" ({previous.note})"
    else:
        versus = f"Chưa có kết quả năm {result_set.year - 1} để so sánh."
    assessor = cycle.assessor
    ctx = {
        **_body_header(assessor, "PKQ"),
        **_common(
            req,
            kind_label="PHIẾU KẾT QUẢ",
            summary=f"Chỉ số cải cách hành chính năm {result_set.year} của {unit.name}",
        ),
        "ten_don_vi": unit.name,
        "ten_nhom": result_set.group.name if result_set.group else result_set.title,
        "diem": vn_number(row.points),
        "diem_toi_da": vn_number(row.max_points),
        "chi_so": vn_number(row.percent),
        "xep_hang": str(row.rank) if row.rank else EMPTY,
        "so_don_vi_xep_hang": str(ranked),
        "xep_loai": row.class_name or row.class_code or EMPTY,
        "so_voi_nam_truoc": versus,
        "trang_thai_ket_qua": _status_text(result_set),
        "linh_vuc": fields,
        "mat_diem": lost_rows,
        "mat_diem_ghi_chu": "" if lost_rows else "Đơn vị không bị mất điểm ở tiêu chí nào có điểm.",
        "xu_huong": trend,
        "bieu_do_linh_vuc": "",
        "bieu_do_linh_vuc_mo_ta": "",
        "bieu_do_xu_huong": "",
        "bieu_do_xu_huong_mo_ta": "",
        "nguon": f"Nguồn: {result_set.title or result_set} ({_status_text(result_set).lower()}"
        + (f", tính ngày {vn_date(result_set.computed_at)})" if result_set.computed_at else ")"),
    }
    ctx["so_ky_hieu"] = ""
    if _is_draft(result_set):
        ctx["du_thao"] = DRAFT_MARK
    if fields:
        _chart(
            ctx,
            (),
            "bieu_do_linh_vuc",
            "component_profile",
            labels=[f"{f['ma']}. {f['ten']}" for f in fields],
            values=[_decimal((row.components or {}).get(f["ma"], {}).get("percent")) for f in fields],
            average=[_decimal_vn(f["trung_binh_nhom"]) for f in fields],
            title=f"Chỉ số thành phần của {unit.name}",
        )
    if len(history) > 1:
        years = sorted(history)
        _chart(
            ctx,
            (),
            "bieu_do_xu_huong",
            "trend",
            years=years,
            series={"Chỉ số CCHC": [history[y].percent for y in years]},
            title=f"Chỉ số CCHC của {unit.name} qua các năm",
        )
    return ctx


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _decimal_vn(text: str) -> Decimal | None:
    if text in ("", EMPTY):
        return None
    return Decimal(text.replace(".", "").replace(",", "."))


# --- the ranking (PDF) ------------------------------------------------------------------------------------------------


def ranking(req: ReportRequest) -> dict:
    cycle = req.cycle
    sets = cycle_result_sets(req)
    assessor = cycle.assessor
    ctx = {
        **_body_header(assessor, "BXH"),
        **_common(req, kind_label="BẢNG XẾP HẠNG", summary=f"Chỉ số cải cách hành chính năm {cycle.year}"),
    }
    ctx["so_ky_hieu"] = ""
    groups = []
    for i, result_set in enumerate(sets, start=1):
        rows = _ranking(result_set, with_previous=True)
        groups.append(
            {
                "so_thu_tu": roman(i),
                "ten_nhom": result_set.group.name if result_set.group else result_set.title,
                "so_don_vi": str(len(rows)),
                "trang_thai": _status_text(result_set),
                "dong": [_change_row(n, r) for n, r in enumerate(rows, start=1)],
                "bieu_do": "",
                "bieu_do_mo_ta": "",
            }
        )
        _group_chart(ctx, ("cac_nhom", i - 1), result_set, rows)
    if any(_is_draft(s) for s in sets):
        ctx["du_thao"] = DRAFT_MARK
    ctx["cac_nhom"] = groups
    return ctx


BUILDERS = {
    ReportKind.DECISION: decision,
    ReportKind.RESULTS_REPORT: results_report,
    ReportKind.APPRAISAL_MINUTES: appraisal_minutes,
    ReportKind.SELF_ASSESSMENT: self_assessment,
    ReportKind.SCORECARD: scorecard,
    ReportKind.RANKING: ranking,
}


def build_context(req: ReportRequest) -> dict:
    """The context of ``req.kind`` (``ReportError`` for a kind without a document)."""
    try:
        builder = BUILDERS[req.kind]
    except KeyError:
        raise ReportError(f"Loại báo cáo “{req.kind}” không có văn bản Word/PDF.") from None
    return builder(req)
