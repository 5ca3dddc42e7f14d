"""Class schemes: bands that cover 0–100, the shipped schemes read-only, attachment, retirement, results that keep
their classes, and who may do what on the pages and the API."""

import pytest
from django.core.exceptions import ValidationError

from parindex.core.exceptions import ConflictError
from parindex.core.models import AuditEvent
from parindex.scoring import schemes, services
from parindex.scoring.models import ClassScheme, ResultStatus

API = "/api/v1/results/schemes"
PAGE = "/ket-qua/thang-xep-loai/"
FOUR = [
    {"code": "xuat-sac", "name": "Xuất sắc", "min": "90"},
    {"code": "tot", "name": "Tốt", "min": "80"},
    {"code": "kha", "name": "Khá", "min": "65,5"},
    {"code": "yeu", "name": "Yếu", "min": "0"},
]


def _errors(exc) -> str:
    return " | ".join(exc.value.message_dict["bands"])


def _scheme(cast, **kwargs) -> ClassScheme:
    values = {"owner": cast.home_affairs, "name": "Thang của tỉnh", "bands": FOUR, "actor": cast.manager}
    return schemes.scheme_create(**(values | kwargs))


# --- bands ------------------------------------------------------------------------------------------------------


def test_bands_are_stored_highest_first_with_two_decimal_bounds():
    shuffled = [FOUR[3], FOUR[1], FOUR[0], FOUR[2]]
    assert schemes.bands_clean(shuffled) == [
        {"code": "xuat-sac", "name": "Xuất sắc", "min": "90.00"},
        {"code": "tot", "name": "Tốt", "min": "80.00"},
        {"code": "kha", "name": "Khá", "min": "65.50"},
        {"code": "yeu", "name": "Yếu", "min": "0.00"},
    ]


def test_the_order_column_decides_the_order_and_a_band_may_start_at_100():
    bands = [{"code": "B", "min": 0, "order": 2}, {"code": "A", "min": 100, "order": 1}]
    assert [b["code"] for b in schemes.bands_clean(bands)] == ["A", "B"]
    assert schemes.bands_clean(bands)[0]["name"] == "A"  # a blank name takes the code


def test_it_refuses_a_gap_below_the_lowest_band_and_names_it():
    with pytest.raises(ValidationError) as exc:
        schemes.bands_clean([{"code": "A", "min": 90}, {"code": "B", "min": "10"}])
    assert "Mức thấp nhất “B” bắt đầu từ 10%" in _errors(exc) and "0 – dưới 10%" in _errors(exc)


def test_it_refuses_two_bands_with_the_same_bound_as_an_overlap():
    with pytest.raises(ValidationError) as exc:
        schemes.bands_clean([{"code": "A", "min": 80}, {"code": "B", "min": "80.00"}, {"code": "C", "min": 0}])
    assert "Mức “A” và mức “B” cùng ngưỡng dưới 80%: hai mức chồng lên nhau." in _errors(exc)


def test_it_refuses_an_order_that_puts_a_higher_bound_below_a_lower_one():
    bands = [{"code": "A", "min": 70, "order": 1}, {"code": "B", "min": 90, "order": 2}, {"code": "C", "min": 0}]
    with pytest.raises(ValidationError) as exc:
        schemes.bands_clean(bands)
    assert "Cần ghi thứ tự cho mọi mức" in _errors(exc)
    bands[2]["order"] = 3
    with pytest.raises(ValidationError) as exc:
        schemes.bands_clean(bands)
    assert "Mức “B” (ngưỡng dưới 90%) đứng sau mức “A”" in _errors(exc)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("89,995", "Mức thứ 2 (“B”): ngưỡng dưới 89,995 có quá hai chữ số thập phân."),
        ("100.01", "Mức thứ 2 (“B”): ngưỡng dưới 100.01 phải trong khoảng 0–100."),
        ("-1", "Mức thứ 2 (“B”): ngưỡng dưới -1 phải trong khoảng 0–100."),
        ("tám mươi", "Mức thứ 2 (“B”): ngưỡng dưới “tám mươi” không phải là số."),
        ("", "Mức thứ 2 (“B”): thiếu ngưỡng dưới (%)."),
        ("NaN", "Mức thứ 2 (“B”): ngưỡng dưới “NaN” không phải là số."),
    ],
)
def test_it_refuses_a_bound_that_is_not_a_two_decimal_percent(value, message):
    with pytest.raises(ValidationError) as exc:
        schemes.bands_clean([{"code": "A", "min": 95}, {"code": "B", "min": value}, {"code": "C", "min": 0}])
    assert message in _errors(exc)


def test_it_refuses_duplicate_and_malformed_codes_naming_the_band():
    with pytest.raises(ValidationError) as exc:
        schemes.bands_clean([{"code": "A", "min": 90}, {"code": "a", "min": 50}, {"code": "loại C", "min": 0}])
    text = _errors(exc)
    assert "Mức thứ 2 (“a”): mã trùng với mức thứ 1 (“a”)." in text or "Mức thứ 2 (“a”): mã trùng" in text
    assert "Mức thứ 3 (“loại C”): mã chỉ gồm chữ cái không dấu" in text


def test_it_needs_at_least_two_bands():
    with pytest.raises(ValidationError) as exc:
        schemes.bands_clean([{"code": "A", "min": 0}])
    assert "Cần ít nhất 2 mức" in _errors(exc)


def test_the_ranges_shown_run_from_each_bound_to_the_next():
    ranges = schemes.band_ranges(schemes.bands_clean(FOUR))
    assert [r["label"] for r in ranges] == ["từ 90%", "80 – dưới 90%", "65.50 – dưới 80%", "0 – dưới 65.50%"]


# --- services ---------------------------------------------------------------------------------------------------


def test_a_manager_creates_a_scheme_and_the_creation_is_audited(cast):
    scheme = _scheme(cast)
    assert scheme.code == "thang-cua-tinh" and scheme.owner == cast.home_affairs and not scheme.builtin
    assert _scheme(cast).code == "thang-cua-tinh-2"
    event = AuditEvent.objects.get(action="class_scheme.created", object_id=str(scheme.pk))
    assert event.actor == cast.manager and event.changes["bands"][1][2]["min"] == "65.50"


def test_the_shipped_schemes_are_read_only_and_can_be_cloned(cast):
    moha = ClassScheme.objects.get(code="moha-a-d")
    assert moha.builtin
    with pytest.raises(ValidationError, match="chỉ đọc; hãy nhân bản"):
        schemes.scheme_update(scheme=moha, name="Sửa", actor=cast.manager)
    with pytest.raises(ValidationError, match="chỉ đọc"):
        schemes.scheme_retire(scheme=moha, actor=cast.manager)
    clone = schemes.scheme_clone(scheme=moha, owner=cast.home_affairs, actor=cast.manager)
    assert (clone.cloned_from, clone.bands, clone.builtin) == (moha, moha.bands, False)
    updated = schemes.scheme_update(scheme=clone, bands=FOUR, actor=cast.manager)
    assert updated.bands[2]["min"] == "65.50"
    moha.refresh_from_db()
    assert moha.bands[0]["min"] == 90
    assert AuditEvent.objects.filter(action__in=["class_scheme.cloned", "class_scheme.updated"]).count() == 2


def test_a_group_or_a_framework_uses_one_scheme_at_a_time(cyc, cast):
    first = _scheme(cast, group=cyc.group)
    with pytest.raises(ValidationError) as exc:
        _scheme(cast, name="Thang khác", group=cyc.group)
    assert "Nhóm “Sở, ban, ngành” đang dùng thang “Thang của tỉnh”" in exc.value.message_dict["group"][0]
    with pytest.raises(ValidationError, match="không cả hai"):
        _scheme(cast, name="Cả hai", group=cyc.group, framework=cyc.framework)
    schemes.scheme_retire(scheme=first, actor=cast.manager)
    second = _scheme(cast, name="Thang mới", group=cyc.group)
    assert services.scheme_for(framework=cyc.framework, group=cyc.group) == second
    schemes.scheme_update(scheme=second, group=None, actor=cast.manager)
    assert services.scheme_for(framework=cyc.framework, group=cyc.group) is None
    framework_scheme = _scheme(cast, name="Thang của bộ chỉ số", framework=cyc.framework)
    assert services.scheme_for(framework=cyc.framework, group=cyc.group) == framework_scheme


def test_a_retired_scheme_is_not_used_and_cannot_be_changed(cyc, cast):
    scheme = _scheme(cast, group=cyc.group)
    schemes.scheme_retire(scheme=scheme, actor=cast.manager, reason="Thay bằng thang mới")
    assert services.scheme_for(framework=cyc.framework, group=cyc.group) is None
    with pytest.raises(ValidationError, match="đã ngừng dùng"):
        schemes.scheme_update(scheme=scheme, name="Sửa lại", actor=cast.manager)
    assert AuditEvent.objects.get(action="class_scheme.retired").reason == "Thay bằng thang mới"


def test_an_edit_made_after_reading_a_stale_version_is_refused(cast):
    scheme = _scheme(cast)
    read_at = scheme.updated_at
    schemes.scheme_update(scheme=scheme, name="Tên mới", actor=cast.manager)
    with pytest.raises(ConflictError):
        schemes.scheme_update(scheme=scheme, name="Tên khác", actor=cast.manager, expected_updated_at=read_at)
    scheme.refresh_from_db()
    assert scheme.name == "Tên mới"


def test_a_published_result_keeps_its_classes_when_the_scheme_changes_and_a_recomputation_picks_it_up(scored, cast):
    # Department B has 66.67 %, department A 58.33 %.
    scheme = _scheme(cast, group=scored.group, bands=[{"code": "dat", "min": 60}, {"code": "chua-dat", "min": 0}])
    computed = services.resultset_compute(cycle=scored.cycle, group=scored.group, actor=cast.manager, run_now=True)
    services.resultset_approve(result_set=computed, actor=scored.chair)
    published = services.resultset_publish(result_set=computed, actor=cast.manager)
    assert published.bands == [
        {"code": "dat", "name": "dat", "min": "60.00"},
        {"code": "chua-dat", "name": "chua-dat", "min": "0.00"},
    ]
    assert published.units.get(unit=cast.dept_b).class_code == "dat"
    schemes.scheme_update(
        scheme=scheme, bands=[{"code": "dat", "min": 70}, {"code": "chua-dat", "min": 0}], actor=cast.manager
    )
    published.refresh_from_db()
    assert published.status == ResultStatus.PUBLISHED and published.bands[0]["min"] == "60.00"
    assert published.units.get(unit=cast.dept_b).class_code == "dat"
    redone = services.resultset_compute(cycle=scored.cycle, group=scored.group, actor=cast.manager, run_now=True)
    assert redone.bands[0]["min"] == "70.00"
    assert redone.units.get(unit=cast.dept_b).class_code == "chua-dat"
    assert redone.units.get(unit=cast.dept_b).components["1"]["class"] == "dat"  # field 1: 4 of 5 points, 80 %


def test_a_result_computed_without_a_scheme_keeps_mohas_bands(res):
    assert [b["code"] for b in res.result_set.bands] == ["A", "B", "C", "D"]
    assert res.result_set.bands[0]["min"] == "90.00"


# --- pages ------------------------------------------------------------------------------------------------------


def test_the_page_lists_shipped_and_own_schemes_to_managers_only(cast, client, login):
    own = _scheme(cast)
    assert client.get(PAGE).status_code in (302, 403)
    assert login(cast.officer_a).get(PAGE).status_code == 403
    page = login(cast.manager).get(PAGE)
    assert page.status_code == 200 and "Thang của tỉnh" in page.text and "Bộ Nội vụ: A ≥ 90%" in page.text
    other = login(cast.other_manager).get(PAGE)
    assert other.status_code == 200 and "Bộ Nội vụ: A ≥ 90%" in other.text and "Thang của tỉnh" not in other.text
    assert login(cast.other_manager).get(f"{PAGE}{own.pk}/").status_code == 403
    assert login(cast.officer_a).get(f"{PAGE}{own.pk}/").status_code == 403
    assert login(cast.manager).get(f"{PAGE}999999/").status_code == 404
    client.logout()
    assert client.get(f"{PAGE}{own.pk}/").status_code in (302, 403)


def _post_data(name: str, bands: list[dict], **extra) -> dict:
    data = {
        "name": name,
        "bands-TOTAL_FORMS": str(len(bands) + 1),
        "bands-INITIAL_FORMS": "0",
        "bands-MIN_NUM_FORMS": "0",
        "bands-MAX_NUM_FORMS": "20",
    }
    for i, band in enumerate(bands):
        for key, value in band.items():
            data[f"bands-{i}-{key}"] = value
    return data | extra


def test_a_manager_creates_a_scheme_on_the_page_and_sees_errors_that_name_the_band(cyc, cast, login):
    client = login(cast.manager)
    bad = _post_data("Thang lỗi", [{"code": "A", "min": "90"}, {"code": "B", "min": "89,999"}], owner=cast.province.pk)
    response = client.post(f"{PAGE}moi/", bad)
    assert response.status_code == 200 and "Mức thứ 2 (“B”): ngưỡng dưới 89,999 có quá hai chữ số thập phân" in (
        response.text
    )
    assert not ClassScheme.objects.filter(name="Thang lỗi").exists()
    good = _post_data("Thang xã", FOUR, owner=cast.province.pk, group=cyc.group.pk)
    response = client.post(f"{PAGE}moi/", good)
    assert response.status_code == 302
    scheme = ClassScheme.objects.get(name="Thang xã")
    assert scheme.group == cyc.group and scheme.bands[2]["min"] == "65.50"
    three = FOUR[:2] + [{"code": "yeu", "min": "0"}]
    edit = _post_data("Thang xã (sửa)", three, updated_at=scheme.updated_at.isoformat())
    assert client.post(f"{PAGE}{scheme.pk}/", edit).status_code == 302
    scheme.refresh_from_db()
    assert scheme.name == "Thang xã (sửa)" and len(scheme.bands) == 3 and scheme.group is None


def test_another_provinces_manager_cannot_attach_a_scheme_to_our_group(cyc, cast, login):
    data = _post_data("Thang lạ", FOUR, owner=cast.other_province.pk, group=cyc.group.pk)
    response = login(cast.other_manager).post(f"{PAGE}moi/", data)
    # The group is not even offered to them: the form refuses it.
    assert response.status_code == 200 and not ClassScheme.objects.filter(name="Thang lạ").exists()
    data = _post_data("Thang lạ", FOUR, owner=cast.province.pk)
    assert login(cast.other_manager).post(f"{PAGE}moi/", data).status_code == 200
    assert not ClassScheme.objects.filter(name="Thang lạ").exists()


def test_a_shipped_scheme_is_shown_read_only_and_cloned_from_the_page(cast, login):
    moha = ClassScheme.objects.get(code="moha-a-d")
    client = login(cast.manager)
    page = client.get(f"{PAGE}{moha.pk}/")
    assert page.status_code == 200 and "chỉ đọc" in page.text and "80 – dưới 90%" in page.text
    refused = client.post(f"{PAGE}{moha.pk}/", _post_data("Sửa", FOUR))
    assert refused.status_code == 302
    moha.refresh_from_db()
    assert moha.name.startswith("Bộ Nội vụ")
    response = client.post(f"{PAGE}{moha.pk}/nhan-ban/", {"owner": cast.province.pk})
    clone = ClassScheme.objects.get(cloned_from=moha)
    assert response.status_code == 302 and response.url == f"{PAGE}{clone.pk}/" and clone.owner == cast.province
    assert login(cast.officer_a).post(f"{PAGE}{moha.pk}/nhan-ban/").status_code == 403
    assert login(cast.other_manager).post(f"{PAGE}{clone.pk}/ngung/").status_code == 403
    assert login(cast.manager).post(f"{PAGE}{clone.pk}/ngung/").status_code == 302
    clone.refresh_from_db()
    assert clone.retired_at is not None


def test_the_results_list_links_to_the_schemes_for_managers(cyc, cast, login):
    assert PAGE in login(cast.manager).get("/ket-qua/").text
    assert PAGE not in login(cast.officer_a).get("/ket-qua/").text


# --- API --------------------------------------------------------------------------------------------------------


def test_the_api_lists_schemes_to_managers_only(cast, client, login):
    own = _scheme(cast)
    assert client.get(API).status_code == 401
    assert login(cast.officer_a).get(API).status_code == 403
    codes = [s["code"] for s in login(cast.manager).get(API).json()]
    assert {"moha-a-d", own.code} <= set(codes)
    assert own.code not in [s["code"] for s in login(cast.other_manager).get(API).json()]
    assert login(cast.other_manager).get(f"{API}/{own.pk}").status_code == 403
    body = login(cast.manager).get(f"{API}/{own.pk}").json()
    assert body["bands"][1] == {"code": "tot", "name": "Tốt", "min": "80.00", "max": "90.00"}
    assert login(cast.manager).get(f"{API}/999999").status_code == 404


def test_the_api_creates_a_scheme_and_names_the_band_in_errors(cyc, cast, login):
    client = login(cast.manager)
    bands = [{"code": "A", "min": 90}, {"code": "B", "min": 89.995}, {"code": "C", "min": 10}]
    body = {"owner_id": cast.home_affairs.pk, "name": "Thang API", "bands": bands}
    bad = client.post(API, body, content_type="application/json")
    assert bad.status_code == 422
    errors = bad.json()["errors"]["bands"]
    assert "Mức thứ 2 (“B”): ngưỡng dưới 89.995 có quá hai chữ số thập phân." in errors
    bands[1]["min"], bands[2]["min"] = 80, 0
    created = client.post(API, body | {"group_id": cyc.group.pk}, content_type="application/json")
    assert created.status_code == 201 and created.json()["group_id"] == cyc.group.pk
    assert login(cast.officer_a).post(API, body, content_type="application/json").status_code == 403
    other = login(cast.other_manager)
    assert other.post(API, body, content_type="application/json").status_code == 403  # not their body
    theirs = body | {"owner_id": cast.other_province.pk, "group_id": cyc.group.pk, "name": "Thang lạ"}
    assert other.post(API, theirs, content_type="application/json").status_code == 403  # not their group


def test_the_api_edits_with_the_version_read_and_refuses_shipped_schemes(cast, login):
    scheme = _scheme(cast)
    client = login(cast.manager)
    url = f"{API}/{scheme.pk}"
    read = client.get(url).json()["updated_at"]
    ok = client.patch(url, {"updated_at": read, "name": "Tên qua API"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["name"] == "Tên qua API"
    stale = client.patch(url, {"updated_at": read, "name": "Ghi đè"}, content_type="application/json")
    assert stale.status_code == 409
    missing = client.patch(url, {"name": "Không có phiên bản"}, content_type="application/json")
    assert missing.status_code == 422
    other = login(cast.other_manager).patch(url, {"updated_at": read, "name": "X"}, content_type="application/json")
    assert other.status_code == 403
    moha = ClassScheme.objects.get(code="moha-a-d")
    client = login(cast.manager)
    shipped = client.patch(
        f"{API}/{moha.pk}", {"updated_at": moha.updated_at.isoformat(), "name": "X"}, content_type="application/json"
    )
    assert shipped.status_code == 422 and "nhân bản" in shipped.json()["detail"]
    clone = client.post(f"{API}/{moha.pk}/clone", {}, content_type="application/json")
    assert clone.status_code == 201 and clone.json()["cloned_from_id"] == moha.pk
    assert clone.json()["owner_id"] == cast.province.pk
    retired = client.post(f"{API}/{clone.json()['id']}/retire", {"reason": "thử"}, content_type="application/json")
    assert retired.status_code == 200 and retired.json()["retired_at"]


def test_the_scheme_endpoints_declare_their_errors(client):
    doc = client.get("/api/v1/openapi.json").json()
    patch = doc["paths"]["/api/v1/results/schemes/{scheme_id}"]["patch"]["responses"]
    assert {"400", "401", "403", "404", "409", "422"} <= set(patch)
    create = doc["paths"]["/api/v1/results/schemes"]["post"]["responses"]
    assert {"400", "401", "403", "422"} <= set(create)
    assert "ClassSchemeOut" in doc["components"]["schemas"]
