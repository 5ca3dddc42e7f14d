"""YAML and XLSX: every shipped framework round-trips through both formats; bad files are refused with a message
naming the node or row."""

import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from parindex.frameworks import formats, services
from parindex.frameworks.spec import SpecError, full_marks, summary, validate

LIBRARY = services.library_files()


def comparable(spec):
    return {k: v for k, v in spec.items() if k not in ("owner",)}


def test_the_library_ships_three_frameworks():
    assert {p.stem for p in LIBRARY} == {"pari-tinh-876", "pari-so-nganh", "pari-xa"}


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_each_shipped_framework_is_valid_and_full_marks_make_the_declared_total(path):
    spec = formats.read_checked(path.read_bytes(), "yaml")
    assert validate(spec) == []
    assert full_marks(spec) == spec["declared_total"] == 100
    for node in spec["nodes"]:
        assert node["provenance"] in ("official", "illustrative"), node["code"]


def test_the_provincial_framework_carries_the_official_pools_and_field_maxima():
    spec = formats.read_checked((services.LIBRARY_DIR / "pari-tinh-876.yaml").read_bytes(), "yaml")
    info = summary(spec)
    assert info["counts"]["fields"] == 8
    assert info["pools"]["appraised"] == D("61.5")
    assert info["pools"]["statistics"] == D("6.5")
    assert info["survey_components"] == {"sipas": 10, "leaders": 22}
    fields = {n["code"]: n for n in spec["nodes"] if n["parent"] is None}
    for code, points in (("1", D("9.5")), ("3", D(13)), ("4", D("10.5"))):
        assert fields[code]["max_points"] == points
        assert fields[code]["value_provenance"]["max_points"] == "official"
    assert fields["2"]["value_provenance"]["max_points"] == "illustrative"
    assert "876/QĐ-BNV" in spec["decision"]


def test_the_department_framework_splits_63_and_37():
    spec = formats.read_checked((services.LIBRARY_DIR / "pari-so-nganh.yaml").read_bytes(), "yaml")
    info = summary(spec)
    assert (info["pools"]["appraised"], info["pools"]["survey"]) == (63, 37)
    names = " ".join(n["name"].lower() for n in spec["nodes"])
    for words in (
        "kiểm soát quy định tthc",
        "công bố",
        "một cửa",
        "đúng hạn",
        "xin lỗi",
        "phản ánh",
        "số hóa",
        "đối thoại",
    ):
        assert words in names, words


def test_the_commune_framework_has_a_citizen_survey_component():
    spec = formats.read_checked((services.LIBRARY_DIR / "pari-xa.yaml").read_bytes(), "yaml")
    assert summary(spec)["survey_components"] == {"citizens": 30}


@pytest.mark.parametrize("fmt", ["yaml", "xlsx"])
@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_every_shipped_framework_round_trips_through_files(path, fmt):
    spec = formats.read_checked(path.read_bytes(), "yaml")
    again = formats.read_checked(formats.write(spec, fmt), fmt)
    assert again == spec


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["yaml", "xlsx"])
@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_every_shipped_framework_round_trips_through_the_database(cast, path, fmt):
    from parindex.frameworks.selectors import framework_spec

    first = services.framework_import(content=path.read_bytes(), fmt="yaml", owner=cast.home_affairs, actor=None)
    exported = formats.write(framework_spec(first), fmt)
    second = services.framework_import(
        content=exported, fmt=fmt, owner=cast.home_affairs, actor=None, code=first.code + "-2"
    )
    a, b = framework_spec(first), framework_spec(second)
    b["code"] = a["code"]
    assert a == b
    assert formats.write(framework_spec(second), "yaml") != b""


def test_yaml_export_is_diff_friendly(small_spec):
    text = formats.write_yaml(small_spec).decode()
    assert "- {min: 95, fraction: 1}" in text
    assert "code: '1.1'" in text
    assert text.startswith("# Bộ chỉ số")


def test_codes_are_read_as_text_so_1_10_stays_1_10(small_spec):
    text = formats.write_yaml(small_spec).decode().replace("code: '1.2'", "code: 1.10")
    spec = formats.read_yaml(text.encode())
    assert "1.10" in [n["code"] for n in spec["nodes"]]


# --- bad YAML -----------------------------------------------------------------------------------------------------


def errors_of(content, fmt="yaml"):
    with pytest.raises(SpecError) as info:
        formats.read_checked(content, fmt)
    return "\n".join(info.value.messages)


def test_malformed_yaml_names_the_line():
    assert "Tệp YAML sai cú pháp ở dòng 4, cột 3" in errors_of(b"code: x\nname: y\nnodes: [\n  - {code: 1\n")


def test_unknown_keys_are_named_with_their_node(small_yaml):
    text = small_yaml.decode().replace("max_points: 2\n", "max_points: 2\n    maxx: 3\n", 1)
    assert "maxx" in errors_of(text.encode())
    assert "Tiêu chí 1.2: khóa không hợp lệ: maxx" in errors_of(text.encode())
    assert "colour" in errors_of(small_yaml + b"colour: red\n")


def test_duplicate_codes_are_refused(small_yaml):
    text = small_yaml.decode().replace("code: '1.2'", "code: '1.1'")
    assert "1.1: mã bị trùng" in errors_of(text.encode())


def test_overlapping_bands_name_the_node(small_yaml):
    text = small_yaml.decode().replace("{max: 95, fraction: 0}", "{max: 97, fraction: 0}")
    assert "Tiêu chí 1.1: quy tắc chấm điểm: ngưỡng" in errors_of(text.encode())
    assert "chồng lên" in errors_of(text.encode())


def test_a_gap_between_bands_is_refused(small_yaml):
    text = small_yaml.decode().replace("{max: 95, fraction: 0}", "{max: 90, fraction: 0}")
    assert "để hở khoảng từ 90% đến dưới 95%" in errors_of(text.encode())


def test_points_that_do_not_add_up(small_yaml):
    text = small_yaml.decode().replace("max_points: 2\n", "max_points: 2.5\n", 1)
    message = errors_of(text.encode())
    assert "Lĩnh vực 1: tổng điểm tối đa các nút con là 6,5, khác điểm tối đa 6" in message
    assert "Tổng điểm tối đa các lĩnh vực" not in message  # the fields still add up to 10


def test_text_in_a_number_is_refused(small_yaml):
    text = small_yaml.decode().replace("max_points: 2\n", "max_points: hai\n", 1)
    assert "Tiêu chí 1.2: Điểm tối đa: “hai” không phải là số" in errors_of(text.encode())


def test_a_leaf_needs_a_rule_and_a_method(small_spec):
    small_spec["nodes"][2]["rule"] = None
    small_spec["nodes"][2]["method"] = ""
    message = "\n".join(str(p) for p in validate(small_spec))
    assert "Tiêu chí 1.2: chưa chọn phương thức đánh giá" in message
    assert "Tiêu chí 1.2: chưa có quy tắc chấm điểm" in message


def test_a_parent_may_declare_why_its_children_do_not_add_up(small_spec):
    small_spec["nodes"][2]["max_points"] = D("2.5")
    assert validate(small_spec)
    small_spec["nodes"][0]["sum_note"] = "Tiêu chí 1.2 chấm cộng thêm"
    assert validate(small_spec) == []


def test_a_cycle_is_found(small_spec):
    small_spec["nodes"][0]["parent"] = "1.1"
    assert any("vòng lặp" in str(p) for p in validate(small_spec))


def test_anchors_and_aliases_are_refused():
    bomb = b"a: &a [x, x]\nb: &b [*a, *a]\ncode: c\n"
    assert "alias" in errors_of(bomb) or "neo" in errors_of(bomb)


def test_a_10_mb_file_is_refused():
    assert "Tệp quá lớn (10 MB)" in errors_of(b"#" * (10 * 1024 * 1024))


def test_not_utf8_and_not_a_mapping():
    assert "UTF-8" in errors_of("code: bộ".encode("utf-16"))
    assert "bảng khóa" in errors_of(b"- 1\n- 2\n")


# --- XLSX ---------------------------------------------------------------------------------------------------------


def workbook(content):
    return load_workbook(io.BytesIO(content))


def save(wb):
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_cells_that_excel_would_run_are_neutralised_and_read_back(small_spec):
    small_spec["nodes"][1]["name"] = '=HYPERLINK("http://x")'
    small_spec["nodes"][2]["evidence"] = "- Quyết định công bố\n- Ảnh chụp"
    small_spec["nodes"][3]["name"] = "@SUM(A1)"
    content = formats.write_xlsx(small_spec)
    ws = workbook(content)[formats.NODE_SHEET]
    names = [row[2].value for row in ws.iter_rows(min_row=2)]
    assert '\'=HYPERLINK("http://x")' in names
    assert "'@SUM(A1)" in names
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert formats.read_checked(content, "xlsx") == small_spec


def test_a_formula_cell_is_refused_with_its_row(small_spec):
    wb = workbook(formats.write_xlsx(small_spec))
    ws = wb[formats.NODE_SHEET]
    ws["E3"] = "=2+2"
    message = errors_of(save(wb), "xlsx")
    assert "Dòng 3: cột “Điểm tối đa” chứa công thức" in message


def test_text_in_a_number_column_names_the_row(small_spec):
    wb = workbook(formats.write_xlsx(small_spec))
    wb[formats.NODE_SHEET]["E4"] = "hai điểm"
    assert "Dòng 4 (tiêu chí 1.2): Điểm tối đa: “hai điểm” không phải là số" in errors_of(save(wb), "xlsx")


def test_an_unknown_column_is_refused(small_spec):
    wb = workbook(formats.write_xlsx(small_spec))
    wb[formats.NODE_SHEET]["Q1"] = "Màu sắc"
    assert "Cột “Màu sắc” không hợp lệ" in errors_of(save(wb), "xlsx")


def test_duplicate_codes_in_a_sheet_name_the_row(small_spec):
    wb = workbook(formats.write_xlsx(small_spec))
    wb[formats.NODE_SHEET]["A4"] = "1.1"
    assert "Dòng 4 (tiêu chí 1.1): mã bị trùng" in errors_of(save(wb), "xlsx")


def test_a_bad_rule_cell_names_the_row(small_spec):
    wb = workbook(formats.write_xlsx(small_spec))
    wb[formats.NODE_SHEET]["H4"] = "{type: yes_no, yes: {fraction: 2}}"
    assert "Dòng 4 (tiêu chí 1.2): quy tắc chấm điểm: Có cho 4 điểm, vượt điểm tối đa 2" in errors_of(save(wb), "xlsx")
    wb[formats.NODE_SHEET]["H4"] = "{type: yes_no"
    assert "Dòng 4: cột “Quy tắc chấm điểm” không đọc được" in errors_of(save(wb), "xlsx")


def test_vietnamese_method_labels_and_keys_are_both_read(small_spec):
    wb = workbook(formats.write_xlsx(small_spec))
    assert wb[formats.NODE_SHEET]["G3"].value == "Tự đánh giá, Hội đồng thẩm định"
    wb[formats.NODE_SHEET]["G3"] = "appraised"
    assert formats.read_checked(save(wb), "xlsx") == small_spec


def test_a_child_row_may_come_before_its_parent(small_spec):
    wb = workbook(formats.write_xlsx(small_spec))
    ws = wb[formats.NODE_SHEET]
    field, child = ([c.value for c in ws[r]] for r in (2, 3))
    for c, (a, b) in enumerate(zip(child, field, strict=True), start=1):
        ws.cell(row=2, column=c).value = a
        ws.cell(row=3, column=c).value = b
    assert ws["A2"].value == "1.1"
    assert formats.read_checked(save(wb), "xlsx") == small_spec


def test_something_that_is_not_a_workbook():
    assert "không phải là tệp Excel" in errors_of(b"PK\x03\x04 not really", "xlsx")
