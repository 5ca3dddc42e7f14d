"""Charts drawn on the server, one module for pages (inline SVG), Word (PNG) and PDF (SVG through WeasyPrint).

Every function takes plain values (``Decimal``, ``int`` or ``None``) and returns a :class:`Chart`:

* ``chart.svg`` — an ``<svg>`` element ready to inline in HTML (no XML prolog or DOCTYPE), ``role="img"``, with
  ``<title>`` and ``<desc>`` (the text alternative), a ``viewBox`` and ``width="100%"`` so it scales on a phone;
  text stays text (``svg.fonttype = "none"``: smaller, searchable, selectable) in DejaVu Sans with fallbacks;
* ``chart.alt`` — the Vietnamese text alternative listing every value;
* ``chart.table`` — the same values as a table (``head``, ``rows`` of strings) for a "Dữ liệu của biểu đồ" block;
* ``chart.png(dpi=150)`` — PNG bytes for Word documents.

Every function takes a keyword ``width`` in inches: ``DEFAULT_WIDTH`` (7.5, an A4 text column) for documents,
``PAGE_WIDTH`` (5) for web pages, where a narrower drawing keeps its text legible when shrunk to a phone's width.

Readable in black-and-white print: classes differ by hatch pattern as well as colour, trend lines by marker and
line style. Numbers use the Vietnamese decimal comma ("85,78"). Empty data gives a chart saying "Chưa có dữ liệu".

Matplotlib is used through ``matplotlib.figure.Figure`` (no pyplot, no global figure manager) with the settings in a
``matplotlib.rc_context``; a lock serialises drawing because rcParams are process-wide.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager, rc_context  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

__all__ = [
    "DEFAULT_WIDTH",
    "EMPTY_TEXT",
    "PAGE_WIDTH",
    "Chart",
    "ChartTable",
    "class_distribution",
    "component_profile",
    "fmt_number",
    "ranking_bars",
    "survey_progress",
    "trend",
]

EMPTY_TEXT = "Chưa có dữ liệu"
NO_CLASS = "Chưa xếp loại"

FONT_STACK = "'DejaVu Sans', 'Noto Sans', 'Liberation Sans', Arial, sans-serif"
INK = "#1a1a1a"
GRID = "#c8c8c8"
AVERAGE_COLOUR = "#bfbfbf"

# (fill, hatch) per class, best class first. Fills differ in lightness as well as hue; hatches differ so that a
# black-and-white print still tells the classes apart.
PALETTE: list[tuple[str, str]] = [
    ("#1f4e79", ""),
    ("#6fa8dc", "///"),
    ("#ffd966", "---"),
    ("#e06666", "xxx"),
    ("#b4a7d6", "\\\\\\"),
    ("#93c47d", "|||"),
    ("#f6b26b", "+++"),
    ("#d5a6bd", ".."),
]
UNCLASSED = ("#e6e6e6", "")

MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h", "<"]
LINESTYLES = ["-", "--", ":", "-."]
LINE_COLOURS = ["#1f4e79", "#c0504d", "#4f8a3c", "#7f6084", "#d08a1c", "#2f8f9d", "#595959", "#a05a2c"]

FONT_SIZE = 10.0  # axis and tick labels, points
SMALL_SIZE = 9.0  # value labels and legends
TITLE_SIZE = 12.0
_LINE = FONT_SIZE * 1.3 / 72  # one line of text, inches

RC: dict[str, Any] = {
    "font.family": ["sans-serif"],
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": FONT_SIZE,
    "axes.titlesize": TITLE_SIZE,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "axes.linewidth": 0.6,
    "xtick.color": INK,
    "ytick.color": INK,
    "text.color": INK,
    "hatch.linewidth": 0.6,
    "svg.fonttype": "none",
    "svg.image_inline": True,
    "svg.hashsalt": None,
    "legend.frameon": False,
    "figure.dpi": 100,
}

_LOCK = threading.RLock()
DEFAULT_WIDTH = 7.5  # inches: an A4 portrait text column (documents)
PAGE_WIDTH = 4.5  # inches: for web pages; text stays legible when the SVG shrinks to a phone's width


# ---------------------------------------------------------------------------------------------------------------
# Values and text


def _num(value: Any) -> float | None:
    """A float for drawing, ``None`` for missing or non-finite values."""
    if value is None or value == "":
        return None
    try:
        number = float(Decimal(str(value)) if not isinstance(value, Decimal) else value)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if math.isfinite(number) else None


def fmt_number(value: Any, places: int = 2) -> str:
    """Vietnamese number: decimal comma, dot for thousands ("1.234,50"); "—" when missing."""
    number = _num(value)
    if number is None:
        return "—"
    quantum = Decimal(1).scaleb(-places) if places else Decimal(1)
    text = f"{Decimal(str(number)).quantize(quantum):,.{places}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def _count(value: Any) -> int:
    number = _num(value)
    return max(0, int(number)) if number is not None else 0


def _text(value: Any) -> str:
    return unicodedata.normalize("NFC", str(value if value is not None else "")).strip()


def _chars(width: float, at_default: int) -> int:
    """How many characters fit on a line of a figure ``width`` inches wide, given the count at the default width."""
    return max(12, int(at_default * width / DEFAULT_WIDTH))


def _wrap(label: str, width: int = 30) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def _alt_head(what: str, title: str) -> str:
    return f"{what} “{title}”" if title else what


def _with_suffix(value: float | None, suffix: str) -> str:
    return f"{fmt_number(value)}{suffix}" if value is not None else "chưa có"


def _percent_of(part: int, whole: int) -> str:
    if not whole:
        return "—"
    return fmt_number(Decimal(part) * 100 / Decimal(whole), 1) + "%"


# ---------------------------------------------------------------------------------------------------------------
# The chart object


@dataclass(frozen=True)
class ChartTable:
    head: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Chart:
    svg: str
    alt: str
    title: str = ""
    table: ChartTable = field(default_factory=lambda: ChartTable([], []))
    figure: Figure | None = field(default=None, repr=False, compare=False)

    def png(self, dpi: int = 150) -> bytes:
        """The chart as PNG (for Word documents); white background."""
        if self.figure is None:  # a copy kept in a cache drops its figure: redraw the chart for a PNG
            raise ValueError("chart has no figure (a cached copy); draw it again to get a PNG")
        buffer = io.BytesIO()
        with _LOCK, rc_context(RC):
            self.figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
        return buffer.getvalue()

    def __str__(self) -> str:  # ``{{ chart }}`` in a template still gives the markup (escaped unless |safe)
        return self.svg


_SVG_OPEN = re.compile(r"<svg\b[^>]*>", re.S)
_PROLOG = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_FONT_FAMILY = re.compile(r"font-family:\s*[^;\"]*")
_GENERIC_ID = re.compile(r'<g id="(?![0-9a-f]{8}-bar-)[^"]*"')
_SIZE_ATTR = re.compile(r'\s(width|height)="[^"]*"')


def _finish(figure: Figure, *, title: str, alt: str, table: ChartTable, kind: str) -> Chart:
    """Render the SVG and make it inline-able and accessible."""
    buffer = io.StringIO()
    with _LOCK, rc_context(RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None})
    raw = buffer.getvalue()
    raw = _PROLOG.sub("", raw)
    raw = _METADATA.sub("", raw)
    raw = _FONT_FAMILY.sub(f"font-family: {FONT_STACK}", raw)
    match = _SVG_OPEN.search(raw)
    if match is None:  # pragma: no cover - matplotlib always writes an <svg> root
        raise ValueError("matplotlib produced no <svg> element")
    opening = match.group(0)
    view_box = re.search(r'viewBox="([^"]*)"', opening)
    width_pt = float(view_box.group(1).split()[2]) if view_box else 540.0
    uid = f"chart-{kind}-{uuid.uuid4().hex[:10]}"
    label = title or alt.split(":", 1)[0]
    opening = _SIZE_ATTR.sub("", opening)
    opening = opening.replace(
        "<svg",
        f'<svg id="{uid}" class="chart chart-{kind}" role="img" width="100%" '
        f'aria-labelledby="{uid}-title {uid}-desc" '
        f'style="max-width:{width_pt * 4 / 3:.0f}px;height:auto;display:block;margin:0 auto" '
        f'font-family="{escape(FONT_STACK)}"',
        1,
    )
    accessible = f'<title id="{uid}-title">{escape(label)}</title><desc id="{uid}-desc">{escape(alt)}</desc>'
    body = _GENERIC_ID.sub("<g", raw[match.end() :])  # matplotlib's "figure_1", "axes_1"… repeat across charts
    svg = raw[: match.start()] + opening + accessible + body
    return Chart(svg=svg.strip(), alt=alt, title=title, table=table, figure=figure)


def _figure(width: float) -> tuple[Figure, Any]:
    figure = Figure(figsize=(max(3.0, min(float(width), 20.0)), 3.0))
    figure.patch.set_facecolor("white")
    return figure, figure.add_subplot()


def _text_width(texts: Iterable[str], size: float = FONT_SIZE) -> float:
    """Width in inches of the widest line, measured with the font itself (no drawing pass needed)."""
    font = font_manager.get_font(font_manager.findfont(FontProperties(family=["DejaVu Sans"])))
    font.set_size(size, 72)
    widest = 0.0
    for text in texts:
        for line in str(text).split("\n"):
            font.set_text(line, 0.0)
            widest = max(widest, font.get_width_height()[0] / 64)
    return widest / 72


def _wrap_measured(text: str, inches: float, size: float, *, bold: bool = False) -> str:
    """Greedy word wrap to a width in inches, measured with the font (bold is about 8 % wider)."""
    factor = 1.08 if bold else 1.0
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and _text_width([candidate], size) * factor <= inches:
            lines[-1] = candidate
        else:
            lines.append(word)
    return "\n".join(lines)


def _frame(
    figure: Figure,
    axes,
    *,
    body: float,
    left_labels: Iterable[str] = (),
    value_axis_label: bool = False,
    xlabel: bool = False,
    bottom_lines: int = 1,
    title: str = "",
    handles: Sequence[Patch] = (),
    legend_cols: int = 1,
    legend_right: bool = False,
) -> None:
    """Size the figure from the height of the plot body and the margins its labels need, place the axes, the legend
    (above the plot, or at the right) and the title. Measuring the labels replaces matplotlib's constrained layout,
    which costs a second drawing pass."""
    width = float(figure.get_size_inches()[0])
    title_text = _wrap_measured(title, width - 0.25, TITLE_SIZE, bold=True) if title else ""
    title_lines = title_text.count("\n") + 1 if title else 0
    right = 0.25
    legend_height = 0.0
    legend_right = legend_right and width >= 6.5
    if handles and not legend_right:
        legend_cols = max(1, min(legend_cols, int(width / 1.6)))
    if handles and legend_right:
        right = 0.7 + _text_width([handle.get_label() for handle in handles], SMALL_SIZE)
    elif handles:
        legend_height = 0.1 + math.ceil(len(handles) / legend_cols) * SMALL_SIZE * 1.6 / 72
    top = 0.1 + legend_height + (title_lines * TITLE_SIZE * 1.3 / 72 + 0.04 if title else 0.0)
    bottom = 0.2 + bottom_lines * _LINE + (_LINE + 0.06 if xlabel else 0.0)
    left = 0.2 + min(_text_width(left_labels), width * 0.42) + (_LINE + 0.06 if value_axis_label else 0.0)
    height = top + bottom + max(body, 0.6)
    figure.set_size_inches(width, height)
    figure.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height)
    if handles and legend_right:
        axes.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=SMALL_SIZE,
            handlelength=3.0,
            borderaxespad=0,
        )
    elif handles:
        axes.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncols=legend_cols,
            fontsize=SMALL_SIZE,
            handlelength=2.2,
            handleheight=1.2,
            borderaxespad=0.2,
        )
    if title:
        figure.text(0.1 / width, 1 - 0.08 / height, title_text, ha="left", va="top", size=TITLE_SIZE, weight="bold")


def _empty(kind: str, title: str, what: str, width: float) -> Chart:
    with _LOCK, rc_context(RC):
        figure, axes = _figure(width)
        axes.set_axis_off()
        _frame(figure, axes, body=1.0, bottom_lines=0, title=title)
        axes.text(0.5, 0.5, EMPTY_TEXT, ha="center", va="center", fontsize=12, color="#595959")
    alt = f"{_alt_head(what, title)}: {EMPTY_TEXT}."
    return _finish(figure, title=title, alt=alt, table=ChartTable([], []), kind=kind)


def _draw(build: Callable[[], Figure]) -> Figure:
    with _LOCK, rc_context(RC):
        return build()


def _style_value_axis(axes, *, horizontal: bool, limit: float | None, label: str = "") -> None:
    axis = axes.xaxis if horizontal else axes.yaxis
    if horizontal:
        axes.grid(axis="x", color=GRID, linewidth=0.5)
        if limit is not None:
            axes.set_xlim(0, limit)
        if label:
            axes.set_xlabel(label)
    else:
        axes.grid(axis="y", color=GRID, linewidth=0.5)
        if limit is not None:
            axes.set_ylim(0, limit)
        if label:
            axes.set_ylabel(label)
    axes.set_axisbelow(True)
    axis.set_major_formatter(lambda value, _pos: fmt_number(value, 0 if float(value).is_integer() else 1))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _class_styles(codes: Sequence[str], order: Sequence[str] | None) -> dict[str, tuple[str, str]]:
    known = [code for code in (order or []) if code]
    for code in codes:
        if code and code not in known:
            known.append(code)
    styles = {code: PALETTE[index % len(PALETTE)] for index, code in enumerate(known)}
    styles[""] = UNCLASSED
    return styles


# ---------------------------------------------------------------------------------------------------------------
# Charts


def ranking_bars(
    rows: Sequence[dict[str, Any]],
    title: str = "",
    *,
    classes: Sequence[str] | None = None,
    class_names: dict[str, str] | None = None,
    width: float = DEFAULT_WIDTH,
) -> Chart:
    """Horizontal bars per unit, highest percent on top, coloured and hatched by class, value labels "85,78".

    ``rows``: dicts with ``unit`` (name), ``percent`` (Decimal/None) and ``class_code`` (may be blank; optional
    ``class_name``). ``classes`` gives the class order of the scheme (best first) so colours match
    :func:`class_distribution`; ``class_names`` the legend names by code."""
    what = "Biểu đồ xếp hạng"
    if not rows:
        return _empty("ranking", title, what, width)
    items = []
    names = dict(class_names or {})
    for row in rows:
        code = _text(row.get("class_code"))
        if row.get("class_name") and code not in names:
            names[code] = _text(row.get("class_name"))
        items.append((_text(row.get("unit")) or "—", _num(row.get("percent")), code))
    items.sort(key=lambda item: (item[1] is None, -(item[1] or 0.0)))
    styles = _class_styles([code for _u, _p, code in items], classes)
    top = max([p for _u, p, _c in items if p is not None] or [0.0])
    limit = max(100.0, top * 1.08)

    uid = uuid.uuid4().hex[:8]

    def build() -> Figure:
        figure, axes = _figure(width)
        positions = list(range(len(items)))
        for index, (_unit, percent, code) in enumerate(items):
            fill, hatch = styles.get(code, UNCLASSED)
            (bar,) = axes.barh(
                index,
                percent or 0.0,
                height=0.7,
                color=fill,
                edgecolor=INK,
                hatch=hatch or None,
                linewidth=0.6,
            )
            bar.set_gid(f"{uid}-bar-{index}")
            label = fmt_number(percent) if percent is not None else "chưa có"
            axes.text((percent or 0.0) + limit * 0.008, index, label, va="center", ha="left", fontsize=SMALL_SIZE)
        tick_labels = [_wrap(unit, _chars(width, 34)) for unit, _p, _c in items]
        axes.set_yticks(positions, tick_labels)
        axes.set_ylim(len(items) - 0.4, -0.6)
        _style_value_axis(axes, horizontal=True, limit=limit, label="Chỉ số (%)")
        used = [code for code in styles if code and any(code == c for _u, _p, c in items)]
        handles = [
            Patch(
                facecolor=styles[code][0],
                edgecolor=INK,
                hatch=styles[code][1] or None,
                linewidth=0.6,
                label=names.get(code) or f"Loại {code}",
            )
            for code in used
        ]
        if any(not c for _u, _p, c in items):
            handles.append(Patch(facecolor=UNCLASSED[0], edgecolor=INK, linewidth=0.6, label=NO_CLASS))
        rows_height = sum(0.3 + 0.13 * label.count("\n") for label in tick_labels)
        _frame(
            figure,
            axes,
            body=0.15 + rows_height,
            left_labels=tick_labels,
            xlabel=True,
            title=title,
            handles=handles,
            legend_cols=min(len(handles), 5) or 1,
        )
        return figure

    figure = _draw(build)
    parts = []
    table_rows = []
    for rank, (unit, percent, code) in enumerate(items, start=1):
        klass = (names.get(code) or f"loại {code}") if code else NO_CLASS.lower()
        value = f"{fmt_number(percent)}%" if percent is not None else "chưa có kết quả"
        parts.append(f"{rank}. {unit} {value} ({klass})")
        table_rows.append([str(rank), unit, fmt_number(percent), names.get(code) or code or "—"])
    alt = f"{_alt_head(what, title)}: " + "; ".join(parts) + "."
    table = ChartTable(["TT", "Đơn vị", "Chỉ số (%)", "Xếp loại"], table_rows)
    return _finish(figure, title=title, alt=alt, table=table, kind="ranking")


def component_profile(
    labels: Sequence[str],
    values: Sequence[Any],
    average: Sequence[Any] | None = None,
    title: str = "",
    *,
    value_label: str = "Đơn vị",
    average_label: str = "Bình quân nhóm",
    unit: str = "%",
    width: float = DEFAULT_WIDTH,
) -> Chart:
    """Grouped horizontal bars per component: the unit's value (dark, solid) against the group average (grey,
    hatched). Values are percents by default (``unit="%"``, axis 0–100); pass ``unit=""`` for points."""
    what = "Biểu đồ điểm theo lĩnh vực"
    labels = [_text(label) for label in labels]
    values = [_num(v) for v in list(values)[: len(labels)]] + [None] * max(0, len(labels) - len(values))
    averages = None
    if average is not None:
        averages = [_num(v) for v in list(average)[: len(labels)]] + [None] * max(0, len(labels) - len(average))
    if not labels or all(v is None for v in values + (averages or [])):
        return _empty("profile", title, what, width)
    present = [v for v in values + (averages or []) if v is not None]
    top = max(present or [0.0])
    limit = max(100.0, top * 1.1) if unit == "%" else max(1.0, top * 1.15)
    places = 2
    suffix = unit if unit == "%" else ""

    def build() -> Figure:
        per = 0.62 if averages is not None else 0.36
        figure, axes = _figure(width)
        height = 0.38 if averages is not None else 0.6
        for index, value in enumerate(values):
            offset = -height / 2 if averages is not None else 0.0
            axes.barh(index + offset, value or 0.0, height=height, color="#1f4e79", edgecolor=INK, linewidth=0.6)
            axes.text(
                (value or 0.0) + limit * 0.008,
                index + offset,
                fmt_number(value, places) if value is not None else "chưa có",
                va="center",
                fontsize=SMALL_SIZE,
            )
            if averages is not None:
                avg = averages[index]
                axes.barh(
                    index + height / 2,
                    avg or 0.0,
                    height=height,
                    color=AVERAGE_COLOUR,
                    edgecolor=INK,
                    hatch="///",
                    linewidth=0.6,
                )
                axes.text(
                    (avg or 0.0) + limit * 0.008,
                    index + height / 2,
                    fmt_number(avg, places) if avg is not None else "chưa có",
                    va="center",
                    fontsize=SMALL_SIZE,
                    color="#404040",
                )
        tick_labels = [_wrap(label, _chars(width, 34)) for label in labels]
        axes.set_yticks(range(len(labels)), tick_labels)
        axes.set_ylim(len(labels) - 0.45, -0.55)
        _style_value_axis(axes, horizontal=True, limit=limit, label="Tỷ lệ điểm đạt (%)" if unit == "%" else unit)
        handles = [Patch(facecolor="#1f4e79", edgecolor=INK, linewidth=0.6, label=value_label)]
        if averages is not None:
            handles.append(
                Patch(facecolor=AVERAGE_COLOUR, edgecolor=INK, hatch="///", linewidth=0.6, label=average_label)
            )
        body = 0.1 + sum(per + 0.1 * label.count("\n") for label in tick_labels)
        _frame(
            figure,
            axes,
            body=body,
            left_labels=tick_labels,
            xlabel=True,
            title=title,
            handles=handles,
            legend_cols=len(handles),
        )
        return figure

    figure = _draw(build)
    parts = []
    table_rows = []
    for index, label in enumerate(labels):
        own = _with_suffix(values[index], suffix)
        text = f"{label}: {value_label.lower() if value_label == 'Đơn vị' else value_label} {own}"
        row = [label, fmt_number(values[index])]
        if averages is not None:
            text += f", {average_label.lower()} {_with_suffix(averages[index], suffix)}"
            row.append(fmt_number(averages[index]))
        parts.append(text)
        table_rows.append(row)
    alt = f"{_alt_head(what, title)}: " + "; ".join(parts) + "."
    head = ["Lĩnh vực", f"{value_label}{' (' + unit + ')' if unit else ''}"]
    if averages is not None:
        head.append(f"{average_label}{' (' + unit + ')' if unit else ''}")
    return _finish(figure, title=title, alt=alt, table=ChartTable(head, table_rows), kind="profile")


def trend(
    years: Sequence[int],
    series: dict[str, Sequence[Any]],
    title: str = "",
    *,
    unit: str = "%",
    width: float = DEFAULT_WIDTH,
) -> Chart:
    """Lines over years, one per series, each with its own marker and line style; ``None`` leaves a gap."""
    what = "Biểu đồ diễn biến qua các năm"
    years = [int(year) for year in years]
    cleaned: dict[str, list[float | None]] = {}
    for name, values in (series or {}).items():
        points = [_num(v) for v in list(values)[: len(years)]]
        points += [None] * (len(years) - len(points))
        cleaned[_text(name)] = points
    if not years or not cleaned or all(v is None for points in cleaned.values() for v in points):
        return _empty("trend", title, what, width)
    present = [v for points in cleaned.values() for v in points if v is not None]
    top, bottom = max(present), min(present)
    percent = unit == "%"
    label_points = len(cleaned) <= 2 and len(years) <= 12

    def build() -> Figure:
        figure, axes = _figure(width)
        for index, (name, points) in enumerate(cleaned.items()):
            ys = [v if v is not None else float("nan") for v in points]
            axes.plot(
                years,
                ys,
                label=name,
                color=LINE_COLOURS[index % len(LINE_COLOURS)],
                linestyle=LINESTYLES[index % len(LINESTYLES)],
                marker=MARKERS[index % len(MARKERS)],
                markersize=6,
                markerfacecolor="white" if index % 2 else LINE_COLOURS[index % len(LINE_COLOURS)],
                linewidth=1.6,
            )
            if label_points:
                for position, (year, value) in enumerate(zip(years, points, strict=True)):
                    if value is None:
                        continue
                    # of two values in a year, the higher is labelled above its point and the lower below
                    others = [p[position] for p in cleaned.values() if p is not points and p[position] is not None]
                    below = any(other > value or (other == value and index) for other in others)
                    axes.annotate(
                        fmt_number(value),
                        (year, value),
                        textcoords="offset points",
                        xytext=(0, -14 if below else 7),
                        ha="center",
                        fontsize=SMALL_SIZE,
                    )
        axes.set_xticks(years, [str(year) for year in years])
        if len(years) == 1:
            axes.set_xlim(years[0] - 1, years[0] + 1)
        else:
            pad = max(0.3, (years[-1] - years[0]) * 0.04)
            axes.set_xlim(min(years) - pad, max(years) + pad)
        if percent:
            low = max(0.0, math.floor((bottom - 8) / 10) * 10)
            high = math.ceil((top + 8) / 10) * 10 if top <= 92 else max(100.0, top) + 8  # room for the labels
            limit_low, limit_high = (low, high) if high > low else (0.0, 100.0)
        else:
            span = (top - bottom) or max(abs(top), 1.0)
            limit_low, limit_high = min(0.0, bottom - span * 0.1), top + span * 0.15
        _style_value_axis(axes, horizontal=False, limit=None, label="Chỉ số (%)" if percent else unit)
        axes.set_ylim(limit_low, limit_high)
        if percent and top <= 100:  # no tick above 100 % on a percent axis
            axes.set_yticks([t for t in axes.get_yticks() if limit_low <= t <= 100])
            axes.set_ylim(limit_low, limit_high)
        handles, _labels = axes.get_legend_handles_labels()
        _frame(
            figure,
            axes,
            body=max(2.4, 0.2 * len(cleaned)),
            left_labels=["100,0"],
            value_axis_label=True,
            title=title,
            handles=handles,
            legend_right=True,
        )
        return figure

    figure = _draw(build)
    suffix = "%" if percent else ""
    parts = []
    for name, points in cleaned.items():
        values_text = ", ".join(
            f"{year}: {fmt_number(v)}{suffix if v is not None else ''}" for year, v in zip(years, points, strict=True)
        )
        parts.append(f"{name} ({values_text})")
    alt = f"{_alt_head(what, title)}: " + "; ".join(parts) + "."
    head = ["Năm", *cleaned.keys()]
    table_rows = [[str(year), *(fmt_number(points[i]) for points in cleaned.values())] for i, year in enumerate(years)]
    return _finish(figure, title=title, alt=alt, table=ChartTable(head, table_rows), kind="trend")


def class_distribution(
    counts: Sequence[tuple[Any, Any]], title: str = "", *, width: float = DEFAULT_WIDTH, subject: str = ""
) -> Chart:
    """Vertical bars: how many units fall in each class (in the order given, best first), with the count and share
    on each bar; styles match :func:`ranking_bars` given the same class order."""
    what = subject or "Biểu đồ phân bố đơn vị theo xếp loại"  # ``subject``: the same bars for other categories
    items = [(_text(label) or NO_CLASS, _count(count)) for label, count in counts or []]
    total = sum(count for _label, count in items)
    if not items or total == 0:
        return _empty("classes", title, what, width)
    top = max(count for _label, count in items)

    def build() -> Figure:
        figure, axes = _figure(width)
        for index, (label, count) in enumerate(items):
            fill, hatch = UNCLASSED if label == NO_CLASS else PALETTE[index % len(PALETTE)]
            axes.bar(index, count, width=0.62, color=fill, edgecolor=INK, hatch=hatch or None, linewidth=0.6)
            axes.text(
                index,
                count + top * 0.02,
                f"{count:,}".replace(",", ".") + f" ({_percent_of(count, total)})",
                ha="center",
                va="bottom",
                fontsize=SMALL_SIZE,
            )
        tick_labels = [_wrap(label, _chars(width, 16)) for label, _c in items]
        axes.set_xticks(range(len(items)), tick_labels)
        axes.set_xlim(-0.6, len(items) - 0.4)
        _style_value_axis(axes, horizontal=False, limit=top * 1.18 if top else 1, label="Số đơn vị")
        axes.yaxis.get_major_locator().set_params(integer=True)
        _frame(
            figure,
            axes,
            body=2.2,
            left_labels=[f"{top:,}".replace(",", ".")],
            value_axis_label=True,
            bottom_lines=max(label.count("\n") + 1 for label in tick_labels),
            title=title,
        )
        return figure

    figure = _draw(build)
    parts = [f"{label}: {count} đơn vị ({_percent_of(count, total)})" for label, count in items]
    alt = f"{_alt_head(what, title)} (tổng {total} đơn vị): " + "; ".join(parts) + "."
    table_rows = [[label, str(count), _percent_of(count, total)] for label, count in items]
    return _finish(
        figure, title=title, alt=alt, table=ChartTable(["Xếp loại", "Số đơn vị", "Tỷ lệ"], table_rows), kind="classes"
    )


def survey_progress(rows: Sequence[tuple[Any, Any, Any]], title: str = "", *, width: float = DEFAULT_WIDTH) -> Chart:
    """Stacked horizontal bars per unit (or per day): answered (dark, solid) and still awaited (light, hatched),
    together the number invited; labelled "answered/invited (share)"."""
    what = "Biểu đồ tiến độ khảo sát"
    items = []
    for label, invited, answered in rows or []:
        invited_n, answered_n = _count(invited), _count(answered)
        items.append((_text(label) or "—", max(invited_n, answered_n), answered_n))
    if not items or all(invited == 0 for _l, invited, _a in items):
        return _empty("survey", title, what, width)
    top = max(invited for _l, invited, _a in items)
    uid = uuid.uuid4().hex[:8]

    def build() -> Figure:
        figure, axes = _figure(width)
        for index, (_label, invited, answered) in enumerate(items):
            (done,) = axes.barh(index, answered, height=0.66, color="#1f4e79", edgecolor=INK, linewidth=0.6)
            done.set_gid(f"{uid}-bar-{index}")
            axes.barh(
                index,
                invited - answered,
                left=answered,
                height=0.66,
                color="#ffffff",
                edgecolor=INK,
                hatch="///",
                linewidth=0.6,
            )
            axes.text(
                invited + top * 0.01,
                index,
                f"{answered}/{invited} ({_percent_of(answered, invited)})",
                va="center",
                fontsize=SMALL_SIZE,
            )
        tick_labels = [_wrap(label, _chars(width, 34)) for label, _i, _a in items]
        axes.set_yticks(range(len(items)), tick_labels)
        axes.set_ylim(len(items) - 0.4, -0.6)
        _style_value_axis(axes, horizontal=True, limit=top * 1.3 if top else 1, label="Số phiếu")
        axes.xaxis.get_major_locator().set_params(integer=True)
        handles = [
            Patch(facecolor="#1f4e79", edgecolor=INK, linewidth=0.6, label="Đã trả lời"),
            Patch(facecolor="#ffffff", edgecolor=INK, hatch="///", linewidth=0.6, label="Chưa trả lời"),
        ]
        _frame(
            figure,
            axes,
            body=0.15 + sum(0.32 + 0.13 * label.count("\n") for label in tick_labels),
            left_labels=tick_labels,
            xlabel=True,
            title=title,
            handles=handles,
            legend_cols=2,
        )
        return figure

    figure = _draw(build)
    parts = [
        f"{label}: {answered}/{invited} phiếu ({_percent_of(answered, invited)})" for label, invited, answered in items
    ]
    alt = f"{_alt_head(what, title)} (đã trả lời/số mời): " + "; ".join(parts) + "."
    table_rows = [
        [label, str(invited), str(answered), _percent_of(answered, invited)] for label, invited, answered in items
    ]
    table = ChartTable(["Đơn vị", "Số mời", "Đã trả lời", "Tỷ lệ"], table_rows)
    return _finish(figure, title=title, alt=alt, table=table, kind="survey")
