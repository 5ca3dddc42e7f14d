"""Excel exports of a cycle: the full result table, the ranking, a unit's self-assessment, the survey's progress and
points, the plan's tasks. Each builder is ``fn(req, progress) -> Built`` (see ``registry``).

Every table goes through :class:`Book`: a title line, a bold header (with a band of spanning labels above it where
columns come in groups), frozen panes below the header, ``0.00`` on points and percents (cells hold numbers), an
auto filter, widths estimated from the content and capped, and every text cell passed through ``cell_safe``.

The result table of a national cycle has 3,321 rows × 331 columns. openpyxl spends several microseconds on each cell
it writes (9 s for 1.4 million plain cells here, over 20 s with styles), so data rows (:class:`_Row`) are rendered
here as XML text with the style ids openpyxl registered, and written to the sheet's file between openpyxl's own
output; the caption, the header and everything around the rows (columns, panes, filter, merged labels, print titles)
stay openpyxl's. Points are read as floats cast by the database (they have two decimals) from the frozen leaf values,
500 units a query. ``bench/report_excel.py`` measures it.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import fromstring, xmlfile

from parindex.core.exports import cell_safe
from parindex.scoring import engine
from parindex.scoring.services import snapshot_values

from . import data
from .registry import Built, Progress, ReportError, ReportRequest

TEXT, INT, NUMBER, DATE = "text", "int", "number", "date"
NUMBER_FORMAT = "0.00"  # points and percents
INT_FORMAT = "0"
DATE_FORMAT = "DD/MM/YYYY"
HEADER_FILL = "DDE6F0"
MAX_WIDTH = 60
NUMBER_MAX_WIDTH = 14  # a long header over a number column wraps instead of widening it
PROGRESS_EVERY = 250  # units between two progress reports
CHUNK = 500  # units whose leaf values are read by one query (under SQLite's 999 parameters)
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


# --- the common table writer ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    header: str
    kind: str = TEXT  # text | int | number (0.00) | date
    width: float | None = None  # fixed width; None: estimated from the header and the values
    wrap: bool = False


@dataclass(frozen=True)
class Band:
    """A label above ``span`` columns starting at ``first`` (0-based), merged over them."""

    first: int
    span: int
    label: str


class _Row(list):
    """A data row handed to :class:`_StreamWriter`, which writes it as XML text."""


def _text(value) -> str:
    return escape(ILLEGAL_CHARACTERS_RE.sub("", cell_safe(value)))


class _StreamWriter(WorksheetWriter):
    """openpyxl's sheet writer, with the sheet's file opened here so that :class:`_Row` rows can be written to it as
    text between lxml's own output (lxml's buffer is flushed first)."""

    _raw = None

    def get_stream(self):  # as WorksheetWriter.get_stream, on a file object
        with open(self.out, "wb") as raw, xmlfile(raw) as xf:
            self._raw = raw
            with xf.element("worksheet", xmlns=SHEET_MAIN_NS):
                try:
                    while True:
                        el = yield
                        if el is True:
                            yield xf
                        elif el is not None:
                            xf.write(el)
                except GeneratorExit:
                    pass

    def write_row(self, xf, row, row_idx):
        if not isinstance(row, _Row):
            super().write_row(xf, row, row_idx)
            return
        text = self.ws.render_row(row, row_idx)
        if hasattr(xf, "flush"):
            xf.flush()
            self._raw.write(text.encode())
        else:  # without lxml: parsed and written as an element
            xf.write(fromstring(text))


class _StreamSheet(WriteOnlyWorksheet):
    """A write-only sheet that writes :class:`_Row` rows itself (see the module's docstring)."""

    def __init__(self, parent, title):
        super().__init__(parent, title)
        # Per column, the cell's XML around the row number and the value: ('<c r="B', '" s="3" t="n"><v>', …).
        self.cells: list[tuple[str, str, str]] = []

    def set_columns(self, styles: list[int]) -> None:
        self.cells = [
            (
                f'<c r="{get_column_letter(i)}',
                f'" s="{style}" t="n"><v>',
                f'" s="{style}" t="inlineStr"><is><t xml:space="preserve">',
            )
            for i, style in enumerate(styles, start=1)
        ]

    def _get_writer(self):
        if self._writer is None:
            self._writer = _StreamWriter(self)
            self._writer.write_top()

    def _values_to_row(self, values, row_idx):
        if isinstance(values, _Row):
            return values
        return super()._values_to_row(values, row_idx)

    def render_row(self, values: Sequence, r: int) -> str:
        """The row as XML: numbers as numbers (float, int, Decimal, date serials), anything else as neutralised
        text; None and empty strings are left out."""
        parts = [f'<row r="{r}">']
        append = parts.append
        for (head, number_tail, text_tail), value in zip(self.cells, values, strict=False):
            if value is None:
                continue
            kind = type(value)
            if kind is float or kind is int:
                append(f"{head}{r}{number_tail}{value!r}</v></c>")
            elif kind is Decimal:
                append(f"{head}{r}{number_tail}{float(value)!r}</v></c>")
            elif kind is dt.date:
                append(f"{head}{r}{number_tail}{to_excel(value)!r}</v></c>")
            elif value != "":
                append(f"{head}{r}{text_tail}{_text(value)}</t></is></c>")
        append("</row>")
        return "".join(parts)


def _line_length(value) -> int:
    if value is None:
        return 0
    if isinstance(value, float | Decimal | int) and not isinstance(value, bool):
        return len(f"{value:.2f}")
    if isinstance(value, dt.date):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)


def _fit(col: Col, values: Iterable) -> float:
    """Width in characters: the longest value (or line of it), at least the header's longest word, capped."""
    longest = max((_line_length(v) for v in values), default=0)
    word = max((len(w) for w in col.header.split()), default=0)
    if col.kind == TEXT:
        return float(min(MAX_WIDTH, max(longest, word, 4) + 2))
    return float(min(NUMBER_MAX_WIDTH, max(longest, word, 6) + 2))


def _header_height(labels: list[tuple[str, float]]) -> float | None:
    """Row height (points) for wrapped labels given with the width they have; None when one line is enough."""
    lines = max((math.ceil(len(text) / max(width - 1, 1)) for text, width in labels if text), default=1)
    return None if lines <= 1 else min(15.0 * lines, 96.0)


def sheet_title(text: str, used: set[str]) -> str:
    base = SHEET_FORBIDDEN.sub("-", text).strip("' ")[:31] or "Trang"
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


class Book:
    """A write-only workbook of tables. Use as a context manager: on error, the sheets' temporary files go."""

    def __init__(self, title: str):
        from openpyxl import Workbook

        self.wb = Workbook(write_only=True)
        self.wb.properties.title = cell_safe(title)[:250]
        self.wb.properties.creator = "parindex"
        self._titles: set[str] = set()
        self._styles: dict[str, int] = {}

    def __enter__(self) -> Book:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.discard()

    def discard(self) -> None:
        for ws in self.wb.worksheets:
            writer = getattr(ws, "_writer", None)
            if writer is None:
                continue
            for stream in (getattr(ws, "_rows", None), writer.xf):  # the rows first: they are inside the sheet
                try:
                    if stream is not None:
                        stream.close()
                except Exception:  # noqa: BLE001, S110 — the stream is abandoned; only its file matters
                    pass
            try:
                writer.cleanup()
            except (OSError, ValueError):
                pass

    def _cell(self, ws, value, style: str):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        cell = WriteOnlyCell(ws, value=cell_safe(value) if isinstance(value, str) else value)
        if style == "caption":
            cell.font = Font(bold=True, size=13)
        elif style == "header":
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
            cell.border = Border(bottom=Side(style="thin"), right=Side(style="hair"))
        elif style == NUMBER:
            cell.number_format = NUMBER_FORMAT
        elif style == INT:
            cell.number_format = INT_FORMAT
        elif style == DATE:
            cell.number_format = DATE_FORMAT
        elif style == "wrap":
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell

    def _style_id(self, ws, style: str) -> int:
        if style == TEXT:
            return 0
        if style not in self._styles:
            self._styles[style] = self._cell(ws, None, style).style_id
        return self._styles[style]

    def table(
        self,
        name: str,
        columns: list[Col],
        rows: Iterable[Sequence],
        *,
        caption: str = "",
        bands: Sequence[Band] = (),
        freeze_cols: int = 0,
    ) -> int:
        """Write one table on a new sheet; returns the number of data rows. ``rows`` as a list lets the widths fit
        the values; an iterator is streamed (widths then come from ``Col.width`` or the header)."""
        ws = _StreamSheet(parent=self.wb, title=sheet_title(name, self._titles))
        self.wb._add_sheet(ws)
        listed = rows if isinstance(rows, list) else None
        widths = []
        for i, col in enumerate(columns):
            width = col.width or _fit(col, (row[i] for row in listed) if listed is not None else ())
            widths.append(width)
            ws.column_dimensions[get_column_letter(i + 1)].width = width
        ws.set_columns([self._style_id(ws, "wrap" if col.wrap else col.kind) for col in columns])
        header_row = 1 + bool(caption) + bool(bands)
        ws.freeze_panes = f"{get_column_letter(freeze_cols + 1)}{header_row + 1}"
        ws.print_title_rows = f"1:{header_row}"
        ws.page_setup.orientation = "landscape"
        if caption:
            ws.append([self._cell(ws, caption, "caption")])
        if bands:
            row = [self._cell(ws, None, "header") for _ in columns]
            labels = []
            for band in bands:
                row[band.first] = self._cell(ws, band.label, "header")
                labels.append((band.label, sum(widths[band.first : band.first + band.span])))
                if band.span > 1:
                    first, last = band.first + 1, band.first + band.span
                    ws.merged_cells.add(
                        f"{get_column_letter(first)}{header_row - 1}:{get_column_letter(last)}{header_row - 1}"
                    )
            height = _header_height(labels)
            if height:
                ws.row_dimensions[header_row - 1].height = height
            ws.append(row)
        height = _header_height([(col.header, w) for col, w in zip(columns, widths, strict=True)])
        if height:
            ws.row_dimensions[header_row].height = height
        ws.append([self._cell(ws, col.header, "header") for col in columns])
        count = 0
        for values in rows:
            ws.append(_Row(values))
            count += 1
        last = get_column_letter(len(columns))
        ws.auto_filter.ref = f"A{header_row}:{last}{header_row + max(count, 1)}"
        return count

    def content(self) -> bytes:
        buffer = io.BytesIO()
        self.wb.save(buffer)
        return buffer.getvalue()


# --- small helpers -------------------------------------------------------------------------------------------------


def ascii_slug(text: str, default: str = "x") -> str:
    text = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or default


def filename(prefix: str, req: ReportRequest, *extra: str) -> str:
    parts = [prefix, str(req.cycle.year), str(req.cycle.pk)]
    if req.group is not None:
        parts.append(ascii_slug(req.group.code, "nhom"))
    parts += [ascii_slug(e) for e in extra if e]
    return "-".join(parts) + ".xlsx"


def moment(value) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y") if value else ""


def number(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def status_text(result_set) -> str:
    from parindex.scoring.models import ResultStatus

    return str(ResultStatus(result_set.status).label).lower()


def _group_label(result_set) -> str:
    return result_set.group.name if result_set.group_id else result_set.unit_kind or "—"


def _tree(nodes: list[dict]) -> list[tuple[dict, dict]]:
    """(node, its top-level ancestor) in depth-first order, siblings by ``order`` then code."""
    children: dict[int | None, list[dict]] = {}
    for node in nodes:
        children.setdefault(node["parent_id"], []).append(node)
    for items in children.values():
        items.sort(key=lambda n: (n["order"], n["code"]))
    out: list[tuple[dict, dict]] = []

    def walk(node: dict, top: dict) -> None:
        out.append((node, top))
        for child in children.get(node["id"], []):
            walk(child, top)

    for root in children.get(None, []):
        walk(root, root)
    for node, _top in out:
        node["leaf"] = node["id"] not in children
    return out


def leaf_final(method: str, low: float, high: float, values: Sequence) -> float | None:
    """A leaf's final points from its frozen values (self, appraised, survey, statistics), by the engine's rule
    (``scoring.engine.leaf_value`` and ``leaf_hold``, as ``unit_scorecard`` counts them), on floats for speed."""
    value = engine.leaf_value(method, snapshot_values(method, *values))
    if value is None:
        return None
    return float(engine.leaf_hold(method, value, min_points=low, max_points=high))


# --- the full result table -----------------------------------------------------------------------------------------

KIND_HEADERS = {
    "self": "Tự chấm",
    "appraised": "Thẩm định",
    "survey": "Điều tra XHH",
    "final": "Điểm cuối cùng",
}
KIND_INDEX = {"self": 0, "appraised": 1, "survey": 2}


def _unit_columns(name_width: float) -> list[Col]:
    return [
        Col("Hạng", INT, width=7),
        Col("Mã đơn vị", TEXT, width=12),
        Col("Đơn vị", TEXT, width=name_width),
        Col("Tổng điểm", NUMBER, width=10),
        Col("Chỉ số (%)", NUMBER, width=10),
        Col("Xếp loại", TEXT, width=9),
    ]


def _name_width(rows: list[dict]) -> float:
    return float(min(MAX_WIDTH, max((len(r["unit"]) for r in rows), default=10) + 2))


def _leaf_values(result_set, unit_ids: list[int]) -> dict[int, dict[int, tuple]]:
    """unit id → node id → (self, appraised, survey, statistics) points, by one query. The query is the ORM's; it is
    run on the cursor with the points cast to floats by the database (two decimals: a float shows them exactly),
    which spares Django's converter calls on 1.3 million values of a national cycle."""
    from django.db import connection
    from django.db.models import FloatField
    from django.db.models.functions import Cast

    from parindex.scoring.models import LeafScore

    names = ("self_points", "appraised_points", "survey_points", "statistics_points")
    query = (
        LeafScore.objects.filter(result_set=result_set, unit_id__in=unit_ids)
        .annotate(**{f"f_{name}": Cast(name, FloatField()) for name in names})
        .values_list("unit_id", "node_id", *[f"f_{name}" for name in names])
    )
    out: dict[int, dict[int, tuple]] = {unit_id: {} for unit_id in unit_ids}
    with connection.cursor() as cursor:
        cursor.execute(*query.query.sql_with_params())
        for unit_id, node_id, self_p, appraised, survey, statistics in cursor.fetchall():
            out[unit_id][node_id] = (self_p, appraised, survey, statistics)
    return out


def _float(value) -> float | None:
    return None if value in (None, "") else float(value)


def _result_layout(result_set) -> tuple[list[Col], list[Band], list[tuple]]:
    """Columns after the unit's: per field its points and percent, then per leaf below it self, appraised, (survey
    for survey criteria) and final points. Returns the columns, the bands and how to fill each group of columns."""
    columns: list[Col] = []
    bands: list[Band] = []
    slots: list[tuple] = []
    nodes = []
    if result_set.framework_id:
        nodes = list(
            result_set.framework.nodes.values(
                "id", "code", "name", "parent_id", "order", "method", "max_points", "min_points"
            )
        )
    if not nodes:  # an imported set: the fields only
        for comp in result_set.components or []:
            bands.append(Band(len(columns), 2, f"{comp['code']}. {comp['name']}"))
            columns += [Col("Điểm lĩnh vực", NUMBER, width=10), Col("Tỷ lệ (%)", NUMBER, width=10)]
            slots.append(("field", comp["code"]))
        return columns, bands, slots
    for node, top in _tree(nodes):
        if node is top and not node["leaf"]:
            label = f"{node['code']}. {node['name']} (tối đa {number(node['max_points']).normalize():f})"
            bands.append(Band(len(columns), 2, label))
            columns += [Col("Điểm lĩnh vực", NUMBER, width=10), Col("Tỷ lệ (%)", NUMBER, width=10)]
            slots.append(("field", node["code"]))
        elif node["leaf"]:
            method = node["method"] or "appraised"
            kinds = ["self", "appraised", "survey", "final"] if method == "survey" else ["self", "appraised", "final"]
            label = f"{node['code']} {node['name']} (tối đa {number(node['max_points']).normalize():f})"
            bands.append(Band(len(columns), len(kinds), label))
            columns += [Col(KIND_HEADERS[k], NUMBER, width=10) for k in kinds]
            picks = tuple(KIND_INDEX[k] for k in kinds if k != "final")
            slots.append(("leaf", node["id"], method, float(node["min_points"]), float(node["max_points"]), picks))
    return columns, bands, slots


def _result_rows(result_set, rows: list[dict], slots: list[tuple], tick) -> Iterator[list]:
    empty: dict = {}
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        leaves = _leaf_values(result_set, [r["unit_id"] for r in chunk])
        for r in chunk:
            values = [r["rank"], r["unit_code"], r["unit"], r["points"], r["percent"], r["class"]]
            append = values.append
            components = r["components"] or empty
            mine = leaves.get(r["unit_id"], empty)
            for slot in slots:
                if slot[0] == "field":
                    comp = components.get(slot[1]) or empty
                    append(_float(comp.get("points")))
                    append(_float(comp.get("percent")))
                    continue
                _tag, node_id, method, low, high, picks = slot
                leaf = mine.get(node_id)
                if leaf is None:
                    values += [None] * (len(picks) + 1)
                    continue
                for i in picks:
                    append(leaf[i])
                append(leaf_final(method, low, high, leaf))
            yield values
            tick()


def results_xlsx(req: ReportRequest, progress: Progress) -> Built:
    from parindex.scoring import engine
    from parindex.scoring.selectors import ranking_rows

    sets = data.cycle_result_sets(req)
    progress(0, 1, "Đang đọc kết quả…")
    per_set = [(rs, ranking_rows(rs)) for rs in sets]
    total = sum(len(rows) for _rs, rows in per_set)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress(done, total, f"Đang ghi kết quả: {done}/{total} đơn vị")

    several = len(per_set) > 1
    with Book(f"Kết quả {req.cycle.name}") as book:
        _summary_sheet(book, req, per_set)
        for rs, rows in per_set:
            columns, bands, slots = _result_layout(rs)
            unit_cols = _unit_columns(_name_width(rows))
            book.table(
                f"Kết quả - {_group_label(rs)}" if several else "Kết quả",
                unit_cols + columns,
                _result_rows(rs, rows, slots, tick),
                caption=f"Kết quả {req.cycle.name} — {_group_label(rs)} ({status_text(rs)})",
                bands=[Band(b.first + len(unit_cols), b.span, b.label) for b in bands],
                freeze_cols=3,
            )
        _criteria_sheet(book, sets)
        _notes_sheet(book, req, sets, engine)
        progress(total, total, "Đang lưu tệp…")
        content = book.content()
    return Built(content, filename("ket-qua", req))


def _summary_sheet(book: Book, req: ReportRequest, per_set) -> None:
    several = len(per_set) > 1
    columns = [Col("Nhóm đơn vị")] if several else []
    columns += [
        Col("Hạng", INT),
        Col("Mã đơn vị"),
        Col("Đơn vị"),
        Col("Tổng điểm", NUMBER),
        Col("Chỉ số (%)", NUMBER),
        Col("Xếp loại"),
        Col("Tiêu chí chưa có điểm", width=40),
    ]
    out = []
    for rs, rows in per_set:
        for r in rows:
            missing = ", ".join(r["missing"] or [])
            values = [r["rank"], r["unit_code"], r["unit"], r["points"], r["percent"], r["class"], missing[:500]]
            out.append(([_group_label(rs)] if several else []) + values)
    book.table(
        "Tổng hợp",
        columns,
        out,
        caption=f"Tổng hợp kết quả {req.cycle.name}",
        freeze_cols=3 + several,
    )


def _criteria_sheet(book: Book, sets) -> None:
    from parindex.frameworks.models import Node

    rows = []
    seen = set()
    for rs in sets:
        if not rs.framework_id or rs.framework_id in seen:
            continue
        seen.add(rs.framework_id)
        nodes = list(
            Node.objects.filter(framework_id=rs.framework_id).values(
                "id", "code", "name", "parent_id", "order", "method", "max_points", "min_points"
            )
        )
        methods = dict(Node._meta.get_field("method").choices)
        for node, _top in _tree(nodes):
            method = str(methods.get(node["method"], node["method"])) if node["leaf"] else ""
            rows.append([rs.framework.name, node["code"], node["name"], number(node["max_points"]), method])
    if rows:
        book.table(
            "Tiêu chí",
            [
                Col("Bộ chỉ số"),
                Col("Mã"),
                Col("Lĩnh vực, tiêu chí", width=MAX_WIDTH, wrap=True),
                Col("Điểm tối đa", NUMBER),
                Col("Phương thức"),
            ],
            rows,
            caption="Danh mục lĩnh vực, tiêu chí",
            freeze_cols=2,
        )


def _notes_sheet(book: Book, req: ReportRequest, sets, engine) -> None:
    cycle = req.cycle
    rows = [
        ["Đợt đánh giá", cycle.name],
        ["Năm", str(cycle.year)],
        ["Cơ quan đánh giá", cycle.assessor.name],
    ]
    for rs in sets:
        rows += [
            ["Nhóm đơn vị", _group_label(rs)],
            ["Bộ chỉ số", rs.framework.name if rs.framework_id else "—"],
            ["Thang xếp loại", rs.scheme.name if rs.scheme_id else "A ≥ 90%, B ≥ 80%, C ≥ 70%, D dưới 70% (Bộ Nội vụ)"],
            ["Tính lúc", moment(rs.computed_at)],
            ["Trạng thái", status_text(rs).capitalize()],
            ["Công bố lúc", moment(rs.published_at) or "chưa công bố"],
        ]
        if rs.decision:
            rows.append(["Quyết định công bố", rs.decision])
    rows += [
        ["Quy tắc làm tròn", engine.ROUNDING_RULE],
        ["Đồng hạng", engine.TIE_RULE],
        [
            "Các cột điểm",
            "Tự chấm: điểm đơn vị tự chấm; Thẩm định: điểm sau thẩm định (vòng 2 nếu có, nếu không vòng 1; với "
            "điểm thưởng, điểm trừ: điểm Hội đồng xét); Điều tra XHH: điểm điều tra xã hội học; Điểm cuối cùng: "
            "điểm được tính, giữ trong khoảng cho phép của tiêu chí.",
        ],
        ["Trích xuất lúc", moment(timezone.now())],
    ]
    if req.actor is not None and getattr(req.actor, "pk", None):
        rows.append(["Người trích xuất", getattr(req.actor, "display_name", "") or str(req.actor)])
    book.table("Ghi chú", [Col("Mục", width=22), Col("Nội dung", width=100, wrap=True)], rows)


# --- the ranking ---------------------------------------------------------------------------------------------------


def ranking_xlsx(req: ReportRequest, progress: Progress) -> Built:
    from parindex.scoring.selectors import previous_set, ranking_rows

    sets = data.cycle_result_sets(req)
    several = len(sets) > 1
    with Book(f"Xếp hạng {req.cycle.name}") as book:
        for i, rs in enumerate(sets):
            progress(i, len(sets), f"Đang ghi xếp hạng: {_group_label(rs)}")
            previous = previous_set(rs)
            rows = ranking_rows(rs, previous=previous)
            comps = rs.components or []
            before = f"Chỉ số {previous.year} (%)" if previous else "Chỉ số năm trước (%)"
            columns = [
                Col("Hạng", INT),
                Col("Mã đơn vị"),
                Col("Đơn vị"),
                Col("Tổng điểm", NUMBER),
                Col("Chỉ số (%)", NUMBER),
                Col("Xếp loại"),
                *[Col(f"{c['code']}. {c['name']} (%)", NUMBER) for c in comps],
                Col(before, NUMBER),
                Col("Thay đổi (điểm %)", NUMBER),
                Col("Thay đổi thứ hạng (+ tăng bậc)", INT),
                Col("Ghi chú", width=40, wrap=True),
            ]
            out = []
            for r in rows:
                components = r["components"] or {}
                notes = [r["change_note"]] if r["change_note"] else []
                if r["missing"]:
                    notes.append("chưa có điểm: " + ", ".join(r["missing"])[:300])
                out.append(
                    [
                        r["rank"],
                        r["unit_code"],
                        r["unit"],
                        r["points"],
                        r["percent"],
                        r["class"],
                        *[number((components.get(c["code"]) or {}).get("percent")) for c in comps],
                        r["previous_percent"],
                        r["percent_change"],
                        r["rank_change"],
                        "; ".join(notes),
                    ]
                )
            compared = f", so với năm {previous.year}" if previous else ", không có kết quả năm trước để so sánh"
            book.table(
                f"Xếp hạng - {_group_label(rs)}" if several else "Xếp hạng",
                columns,
                out,
                caption=f"Xếp hạng {req.cycle.name} — {_group_label(rs)} ({status_text(rs)}{compared})",
                freeze_cols=3,
            )
        progress(len(sets), len(sets), "Đang lưu tệp…")
        content = book.content()
    return Built(content, filename("xep-hang", req))


# --- a unit's self-assessment --------------------------------------------------------------------------------------


def self_assessment_xlsx(req: ReportRequest, progress: Progress) -> Built:
    """The unit's last report sent (not withdrawn) as it was sent; else its current grid (``assessments.exports``)."""
    from parindex.assessments import exports
    from parindex.assessments.models import Assessment

    assessment = (
        Assessment.objects.select_related("cycle", "unit", "framework").filter(cycle=req.cycle, unit=req.unit).first()
    )
    if assessment is None:
        raise ReportError(f"Đơn vị “{req.unit.name}” không tham gia đợt “{req.cycle.name}”: không có bản tự đánh giá.")
    progress(0, 1, "Đang đọc bản tự đánh giá…")
    submission = assessment.submissions.filter(withdrawn_at__isnull=True).order_by("-number").first()
    if submission is not None:
        content = exports.submission_xlsx(submission)
        which = f"lan-{submission.number}"
    else:
        content = exports.grid_xlsx(assessment, actor=req.actor)
        which = "hien-tai"
    progress(1, 1, "Hoàn tất")
    return Built(content, filename("tu-danh-gia", req, req.unit.code, which))


# --- the survey ----------------------------------------------------------------------------------------------------


def survey_xlsx(req: ReportRequest, progress: Progress) -> Built:
    """Per survey of the cycle: progress per unit and respondent group, per group, and survey points per unit and
    criterion. Counts and points only: nothing about the respondents themselves."""
    from parindex.surveys.models import Survey

    surveys = list(Survey.objects.filter(cycle=req.cycle).select_related("framework").order_by("pk"))
    if not surveys:
        raise ReportError(f"Đợt “{req.cycle.name}” không có cuộc điều tra xã hội học nào.")
    scope = list(req.group.units.values_list("pk", flat=True)) if req.group is not None else None
    several = len(surveys) > 1
    with Book(f"Điều tra XHH {req.cycle.name}") as book:
        for i, survey in enumerate(surveys):
            progress(i, len(surveys), f"Đang ghi: {survey.name}")
            suffix = f" ({i + 1})" if several else ""
            _survey_progress_sheets(book, survey, scope, suffix)
            _survey_points_sheet(book, survey, scope, suffix)
        progress(len(surveys), len(surveys), "Đang lưu tệp…")
        content = book.content()
    return Built(content, filename("khao-sat", req))


COUNT_HEADERS = [("invited", "Được mời"), ("opened", "Đã mở"), ("answered", "Đã trả lời")]


def _survey_progress_sheets(book: Book, survey, scope, suffix: str) -> None:
    from parindex.surveys.progress import progress_counts

    data_ = progress_counts(survey=survey, scope=scope)
    groups = data_.groups
    unit_cols = [Col("Mã đơn vị"), Col("Đơn vị")]
    columns: list[Col] = []
    bands: list[Band] = []
    for g in [*groups, {"id": None, "name": "Tổng cộng"}]:
        bands.append(Band(len(unit_cols) + len(columns), 4, g["name"]))
        columns += [Col(h, INT, width=10) for _k, h in COUNT_HEADERS] + [Col("Tỷ lệ trả lời (%)", NUMBER, width=10)]
    rows = []
    for unit in sorted(data_.units, key=lambda u: (u.name, u.code)):
        values = [unit.code, unit.name]
        for g in groups:
            counts = unit.by_group.get(g["id"])
            if counts is None:
                values += [0, 0, 0, None]
            else:
                values += [getattr(counts, k) for k, _h in COUNT_HEADERS] + [counts.rate]
        values += [getattr(unit.counts, k) for k, _h in COUNT_HEADERS] + [unit.counts.rate]
        rows.append(values)
    name_width = float(min(MAX_WIDTH, max((len(u.name) for u in data_.units), default=10) + 2))
    unit_cols[1] = Col("Đơn vị", width=name_width)
    book.table(
        f"Tiến độ theo đơn vị{suffix}",
        unit_cols + columns,
        rows,
        caption=f"Tiến độ khảo sát theo đơn vị — {survey.name}",
        bands=bands,
        freeze_cols=2,
    )
    group_rows = []
    for g in [*groups, {"name": "Tổng cộng", "counts": data_.total, "code": ""}]:
        c = g["counts"]
        group_rows.append(
            [g["name"], c.invited, c.sent, c.opened, c.in_progress, c.answered, c.voided, c.not_answered, c.rate]
        )
    book.table(
        f"Tiến độ theo nhóm{suffix}",
        [
            Col("Nhóm đối tượng"),
            Col("Được mời", INT),
            Col("Đã gửi thư", INT),
            Col("Đã mở", INT),
            Col("Đang trả lời", INT),
            Col("Đã trả lời", INT),
            Col("Bị hủy", INT),
            Col("Chưa trả lời", INT),
            Col("Tỷ lệ trả lời (%)", NUMBER),
        ],
        group_rows,
        caption=f"Tiến độ khảo sát theo nhóm đối tượng — {survey.name}",
        freeze_cols=1,
    )


def _survey_points_sheet(book: Book, survey, scope, suffix: str) -> None:
    from parindex.frameworks.models import Node
    from parindex.surveys.models import SurveyScore

    scores = SurveyScore.objects.filter(survey=survey)
    if scope is not None:
        scores = scores.filter(unit_id__in=scope)
    values = list(
        scores.order_by("unit__name", "unit_id").values_list(
            "unit_id", "unit__code", "unit__name", "node_id", "points", "answers", "note"
        )
    )
    node_ids = {v[3] for v in values}
    nodes = [
        n
        for n, _top in _tree(
            list(
                Node.objects.filter(framework=survey.framework_id).values(
                    "id", "code", "name", "parent_id", "order", "method", "max_points", "min_points"
                )
            )
        )
        if n["id"] in node_ids or (n["leaf"] and n["method"] == "survey")
    ]
    unit_cols = [Col("Mã đơn vị"), Col("Đơn vị")]
    columns: list[Col] = []
    bands: list[Band] = []
    for n in nodes:
        label = f"{n['code']} {n['name']} (tối đa {number(n['max_points']).normalize():f})"
        bands.append(Band(len(unit_cols) + len(columns), 2, label))
        columns += [Col("Điểm", NUMBER, width=10), Col("Số phiếu hợp lệ", INT, width=10)]
    columns.append(Col("Ghi chú", width=50, wrap=True))
    by_unit: dict[int, dict] = {}
    for unit_id, code, name, node_id, points, answers, note in values:
        entry = by_unit.setdefault(unit_id, {"code": code, "name": name, "nodes": {}})
        entry["nodes"][node_id] = (points, answers, note)
    rows = []
    for entry in by_unit.values():
        row = [entry["code"], entry["name"]]
        notes = []
        for n in nodes:
            points, answers, note = entry["nodes"].get(n["id"], (None, None, ""))
            row += [points, answers]
            if note:
                notes.append(f"{n['code']}: {note}")
        rows.append([*row, "; ".join(notes)])
    unit_cols[1] = Col(
        "Đơn vị", width=float(min(MAX_WIDTH, max((len(e["name"]) for e in by_unit.values()), default=10) + 2))
    )
    computed = scores.order_by("-computed_at").values_list("computed_at", flat=True).first()
    when = f", tính lúc {moment(computed)}" if computed else ", chưa tính điểm"
    book.table(
        f"Điểm điều tra XHH{suffix}",
        unit_cols + columns,
        rows,
        caption=f"Điểm điều tra xã hội học theo đơn vị và tiêu chí — {survey.name}{when}",
        bands=bands,
        freeze_cols=2,
    )


# --- the plan ------------------------------------------------------------------------------------------------------


def plan_xlsx(req: ReportRequest, progress: Progress) -> Built:
    """The plan's tasks as ``cycles.formats.plan_write`` writes them (the file re-imports unchanged), with an auto
    filter and widths fitted to the content."""
    from openpyxl import load_workbook

    from parindex.cycles.formats import PLAN_SHEET, plan_write
    from parindex.cycles.models import Task

    tasks = Task.objects.filter(cycle=req.cycle)
    count = tasks.count()
    if not count:
        raise ReportError(f"Kế hoạch của đợt “{req.cycle.name}” chưa có nhiệm vụ nào.")
    progress(0, count, "Đang ghi kế hoạch…")
    wb = load_workbook(io.BytesIO(plan_write(req.cycle, tasks)))
    ws = wb[PLAN_SHEET]
    ws.auto_filter.ref = f"A1:{get_column_letter(ws.max_column)}{max(ws.max_row, 2)}"
    for column in ws.iter_cols(min_row=1, max_row=ws.max_row):
        header = str(column[0].value or "")
        kind = DATE if any(isinstance(c.value, dt.date) for c in column[1:]) else TEXT
        width = 12.0 if kind == DATE else _fit(Col(header), (c.value for c in column[1:]))
        ws.column_dimensions[column[0].column_letter].width = width
    wb.properties.title = f"Kế hoạch {cell_safe(req.cycle.name)}"
    buffer = io.BytesIO()
    wb.save(buffer)
    progress(count, count, "Hoàn tất")
    return Built(buffer.getvalue(), filename("ke-hoach", req))
