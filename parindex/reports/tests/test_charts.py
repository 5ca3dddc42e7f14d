"""Charts: inline-able, accessible SVG with Vietnamese labels, PNG for Word, empty and missing data handled."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parindex.reports import charts

SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

RANKING = [
    {"unit": "Sở Tài chính", "percent": Decimal("70.10"), "class_code": "B"},
    {"unit": "Sở Tư pháp", "percent": Decimal("85.78"), "class_code": "A"},
    {"unit": "Sở Tài nguyên và Môi trường", "percent": None, "class_code": ""},
]


def parse(chart: charts.Chart) -> ET.Element:
    assert not chart.svg.startswith("<?xml")
    assert "<!DOCTYPE" not in chart.svg
    root = ET.fromstring(chart.svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> str:
    return " ".join(" ".join(element.itertext()) for element in root.iter(f"{SVG}text"))


def assert_accessible(chart: charts.Chart, root: ET.Element) -> None:
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("viewBox")
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text
    assert desc is not None and desc.text == chart.alt
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def assert_png(chart: charts.Chart) -> None:
    png = chart.png()
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 5_000
    assert len(chart.png(dpi=72)) < len(png)


def test_ranking_bars_sorts_by_percent_and_labels_with_a_decimal_comma() -> None:
    chart = charts.ranking_bars(RANKING, "Xếp hạng Chỉ số năm 2024", classes=["A", "B", "C"])
    root = parse(chart)
    assert_accessible(chart, root)
    drawn = texts(root)
    for label in ("Sở Tư pháp", "Sở Tài chính", "Sở Tài nguyên và Môi trường", "85,78", "70,10", "Loại A", "Loại B"):
        assert label in drawn
    assert "Chưa xếp loại" in drawn
    assert root.find(f"{SVG}title").text == "Xếp hạng Chỉ số năm 2024"
    assert chart.alt.index("1. Sở Tư pháp 85,78% (loại A)") < chart.alt.index("2. Sở Tài chính 70,10% (loại B)")
    assert "3. Sở Tài nguyên và Môi trường chưa có kết quả" in chart.alt
    assert chart.table.head == ["TT", "Đơn vị", "Chỉ số (%)", "Xếp loại"]
    assert chart.table.rows[0] == ["1", "Sở Tư pháp", "85,78", "A"]
    assert len(re.findall(r'id="[0-9a-f]{8}-bar-\d+"', chart.svg)) == 3
    assert_png(chart)


def test_ranking_bars_colour_classes_in_the_scheme_order_with_a_hatch_for_print() -> None:
    only_b = charts.ranking_bars([{"unit": "Sở Tư pháp", "percent": 70, "class_code": "B"}], classes=["A", "B"])
    fill_b, hatch_b = charts.PALETTE[1]
    assert fill_b in only_b.svg
    assert "<pattern" in only_b.svg  # the hatch of class B
    first = charts.ranking_bars([{"unit": "Sở Tư pháp", "percent": 95, "class_code": "A"}], classes=["A", "B"])
    assert charts.PALETTE[0][0] in first.svg
    hatches = [hatch for _fill, hatch in charts.PALETTE]
    assert len(set(hatches)) == len(hatches)


def test_names_of_classes_appear_in_the_legend_and_the_alt_text() -> None:
    chart = charts.ranking_bars(
        [{"unit": "Xã Ân Phú", "percent": Decimal("91.5"), "class_code": "tot", "class_name": "Tốt"}]
    )
    assert "Tốt" in texts(parse(chart))
    assert "(Tốt)" in chart.alt


def test_component_profile_compares_the_unit_with_the_group_average() -> None:
    chart = charts.component_profile(
        ["Công tác chỉ đạo, điều hành", "Cải cách thủ tục hành chính", "Chính quyền điện tử"],
        [Decimal("80"), Decimal("65.5"), None],
        [Decimal("75"), Decimal("70.25"), Decimal("60")],
        "Điểm theo lĩnh vực",
        value_label="Sở Tư pháp",
    )
    root = parse(chart)
    assert_accessible(chart, root)
    drawn = texts(root)
    for label in ("Công tác chỉ đạo, điều hành", "Cải cách thủ tục hành chính", "Sở Tư pháp", "Bình quân nhóm"):
        assert label in drawn
    for value in ("80,00", "65,50", "70,25", "60,00", "chưa có"):
        assert value in drawn
    assert "Cải cách thủ tục hành chính: Sở Tư pháp 65,50%, bình quân nhóm 70,25%" in chart.alt
    assert "Chính quyền điện tử: Sở Tư pháp chưa có, bình quân nhóm 60,00%" in chart.alt
    assert chart.table.head == ["Lĩnh vực", "Sở Tư pháp (%)", "Bình quân nhóm (%)"]
    assert_png(chart)


def test_component_profile_without_an_average_draws_the_unit_alone() -> None:
    chart = charts.component_profile(["Lĩnh vực 1", "Lĩnh vực 2"], ["7.5", 9])
    root = parse(chart)
    assert "Bình quân nhóm" not in texts(root)
    assert "Lĩnh vực 1: đơn vị 7,50%" in chart.alt
    assert chart.table.rows == [["Lĩnh vực 1", "7,50"], ["Lĩnh vực 2", "9,00"]]


def test_trend_draws_one_line_per_series_with_gaps_for_missing_years() -> None:
    chart = charts.trend(
        [2021, 2022, 2023, 2024],
        {"Chỉ số": [Decimal("80.1"), None, Decimal("85"), Decimal("88.2")], "Bình quân nhóm": [78, 79, 82, None]},
        "Diễn biến Chỉ số cải cách hành chính",
    )
    root = parse(chart)
    assert_accessible(chart, root)
    drawn = texts(root)
    for label in ("Chỉ số", "Bình quân nhóm", "2021", "2024", "80,10", "88,20"):
        assert label in drawn
    assert "Chỉ số (2021: 80,10%, 2022: —, 2023: 85,00%, 2024: 88,20%)" in chart.alt
    assert chart.table.head == ["Năm", "Chỉ số", "Bình quân nhóm"]
    assert chart.table.rows[1] == ["2022", "—", "79,00"]
    assert_png(chart)


def test_trend_with_one_year_and_many_series_still_renders() -> None:
    series = {f"Lĩnh vực {i}": [Decimal(60 + i)] for i in range(9)}
    chart = charts.trend([2024], series)
    parse(chart)
    assert "Lĩnh vực 8 (2024: 68,00%)" in chart.alt


def test_class_distribution_counts_units_per_class() -> None:
    chart = charts.class_distribution([("Loại A", 3), ("Loại B", 10), ("Loại C", 2), ("Loại D", 0)], "Phân bố")
    root = parse(chart)
    assert_accessible(chart, root)
    drawn = texts(root)
    for label in ("Loại A", "Loại D", "Số đơn vị", "10 (66,7%)", "0 (0,0%)"):
        assert label in drawn
    assert "(tổng 15 đơn vị)" in chart.alt
    assert "Loại B: 10 đơn vị (66,7%)" in chart.alt
    assert_png(chart)


def test_survey_progress_stacks_answered_on_invited() -> None:
    chart = charts.survey_progress(
        [("Sở Tư pháp", 100, 45), ("Sở Tài chính", 80, 80), ("Xã Ân Phú", 20, 0)], "Tiến độ khảo sát"
    )
    root = parse(chart)
    assert_accessible(chart, root)
    drawn = texts(root)
    for label in ("Sở Tư pháp", "Xã Ân Phú", "Đã trả lời", "Chưa trả lời", "45/100 (45,0%)", "80/80 (100,0%)"):
        assert label in drawn
    assert "Xã Ân Phú: 0/20 phiếu (0,0%)" in chart.alt
    assert chart.table.rows[0] == ["Sở Tư pháp", "100", "45", "45,0%"]
    assert_png(chart)


@pytest.mark.parametrize(
    "make",
    [
        lambda: charts.ranking_bars([], "Xếp hạng"),
        lambda: charts.component_profile([], [], None, "Lĩnh vực"),
        lambda: charts.component_profile(["Lĩnh vực 1"], [None], [None]),
        lambda: charts.trend([], {}, "Diễn biến"),
        lambda: charts.trend([2023, 2024], {"Chỉ số": [None, None]}),
        lambda: charts.class_distribution([], "Phân bố"),
        lambda: charts.class_distribution([("Loại A", 0)]),
        lambda: charts.survey_progress([], "Khảo sát"),
        lambda: charts.survey_progress([("Sở Tư pháp", 0, 0)]),
    ],
)
def test_empty_data_gives_a_chart_that_says_so(make) -> None:
    chart = make()
    root = parse(chart)
    assert charts.EMPTY_TEXT in texts(root)
    assert chart.alt.endswith(f": {charts.EMPTY_TEXT}.")
    assert root.find(f"{SVG}desc").text == chart.alt
    assert chart.png().startswith(PNG_SIGNATURE)


def test_odd_values_do_not_break_a_chart() -> None:
    chart = charts.ranking_bars(
        [
            {"unit": "A", "percent": "không phải số", "class_code": "A"},
            {"unit": "B", "percent": float("nan"), "class_code": "B"},
            {"unit": "C", "percent": Decimal("120.5"), "class_code": "C"},
        ]
    )
    assert "120,50" in texts(parse(chart))
    progress = charts.survey_progress([("Sở Tư pháp", 10, 12), ("Sở Tài chính", None, "3")])
    assert "12/12" in progress.alt  # answered above invited: the bar grows, nothing negative
    assert "Sở Tài chính: 3/3" in progress.alt


def test_labels_are_escaped_and_normalised() -> None:
    decomposed = "Sơ\u0309 Tư pha\u0301p <b>&"
    chart = charts.ranking_bars([{"unit": decomposed, "percent": 50, "class_code": "A"}], "Tiêu đề <x>")
    root = parse(chart)
    assert "Sở Tư pháp <b>&" in texts(root)
    assert root.find(f"{SVG}title").text == "Tiêu đề <x>"


def test_vietnamese_numbers_use_a_decimal_comma_and_a_thousands_dot() -> None:
    assert charts.fmt_number(Decimal("85.775")) == "85,78"
    assert charts.fmt_number(Decimal("1234.5")) == "1.234,50"
    assert charts.fmt_number(7, 0) == "7"
    assert charts.fmt_number(None) == "—"


def test_several_charts_on_one_page_have_distinct_ids() -> None:
    first, second = charts.class_distribution([("A", 1)]), charts.class_distribution([("A", 1)])
    ids_first = set(re.findall(r'\sid="([^"]+)"', first.svg))
    ids_second = set(re.findall(r'\sid="([^"]+)"', second.svg))
    assert ids_first and not ids_first & ids_second


def test_a_chart_is_drawn_quickly() -> None:
    rows = [{"unit": f"Sở số {i}", "percent": Decimal(90) - i, "class_code": "ABC"[i % 3]} for i in range(20)]
    charts.ranking_bars(rows)  # warm the font cache
    started = time.perf_counter()
    charts.ranking_bars(rows, "Xếp hạng")
    charts.component_profile([f"Lĩnh vực {i}" for i in range(8)], list(range(60, 68)), list(range(55, 63)))
    elapsed = (time.perf_counter() - started) / 2
    assert elapsed < 1.0  # ~0.1–0.2 s on an idle machine; generous for a shared test machine


def test_the_svg_renders_in_a_pdf_through_weasyprint() -> None:
    weasyprint = pytest.importorskip("weasyprint")
    pdfium = pytest.importorskip("pypdfium2")
    chart = charts.ranking_bars(RANKING, "Xếp hạng")
    html = f'<html lang="vi"><body><figure>{chart.svg}<figcaption>Hình 1</figcaption></figure></body></html>'
    pdf = weasyprint.HTML(string=html).write_pdf()
    document = pdfium.PdfDocument(pdf)
    page = document[0]
    text = re.sub(r"\s+", "", page.get_textpage().get_text_range())
    assert "SởTưpháp" in text
    assert "85,78" in text
    image = page.render(scale=1).to_pil().convert("L")
    dark = sum(image.histogram()[:128])
    assert dark > 2_000  # the bars are drawn, not just the caption


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)),
            st.sampled_from(["A", "B", "C", "D", ""]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_ranking_bars_draws_one_bar_per_row_whatever_the_percents(values) -> None:
    rows = [{"unit": f"Đơn vị {i}", "percent": p, "class_code": c} for i, (p, c) in enumerate(values)]
    chart = charts.ranking_bars(rows)
    root = parse(chart)
    assert len(re.findall(r'id="[0-9a-f]{8}-bar-\d+"', chart.svg)) == len(rows)
    assert len(chart.table.rows) == len(rows)
    assert "Đơn vị 0" in texts(root)


def test_a_page_chart_is_narrower_and_wraps_its_labels() -> None:
    rows = [{"unit": "Sở Tài nguyên và Môi trường tỉnh Quảng Ngãi", "percent": 71, "class_code": "B"}]
    document = parse(charts.ranking_bars(rows, "Xếp hạng"))
    page = parse(charts.ranking_bars(rows, "Xếp hạng", width=charts.PAGE_WIDTH))
    assert float(page.get("viewBox").split()[2]) < float(document.get("viewBox").split()[2])
    assert len(list(page.iter(f"{SVG}text"))) >= len(list(document.iter(f"{SVG}text")))
