import datetime as dt

import pytest

from parindex.core.models import AuditEvent
from parindex.orgs import services
from parindex.orgs.factories import make_unit
from parindex.orgs.models import LineageKind, OrgUnit, UnitKind

from .conftest import API, vietnamese

# --- reading the registry -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "manager", "officer_a", "other_manager", "outsider"])
def test_every_signed_in_user_may_read_the_registry(cast, session, who):
    response = session(getattr(cast, who)).get(f"{API}/units")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == OrgUnit.objects.count() == 5
    assert {u["code"] for u in body["items"]} == {"P99", "P99-SNV", "P99-STP", "P99-STC", "P98"}


@pytest.mark.parametrize("who", ["manager", "officer_b", "other_manager", "outsider"])
def test_the_tree_and_a_unit_are_reference_data_for_every_signed_in_user(cast, session, who):
    client = session(getattr(cast, who))
    tree = client.get(f"{API}/units/tree", {"root": cast.province.pk})
    assert tree.status_code == 200
    assert [n["id"] for n in tree.json()] == [cast.province.pk]
    detail = client.get(f"{API}/units/{cast.dept_a.pk}")
    assert detail.status_code == 200
    assert detail.json()["code"] == "P99-STP"


def test_an_anonymous_visitor_may_not_read_the_registry(cast, client):
    for path in ("/units", "/units/tree", f"/units/{cast.dept_a.pk}"):
        response = client.get(API + path)
        assert response.status_code == 401
        assert vietnamese(response.json()["detail"])


def test_units_are_found_by_a_name_without_accents_and_by_code(cast, session):
    client = session(cast.officer_a)
    by_name = client.get(f"{API}/units", {"q": "so tu phap"}).json()
    assert [u["id"] for u in by_name["items"]] == [cast.dept_a.pk]
    by_prefix = client.get(f"{API}/units", {"q": "Sở T"}).json()
    assert {u["id"] for u in by_prefix["items"]} == {cast.dept_a.pk, cast.dept_b.pk}
    by_code = client.get(f"{API}/units", {"q": "P99-STC"}).json()
    assert [u["id"] for u in by_code["items"]] == [cast.dept_b.pk]


def test_units_are_found_by_a_former_name(cast, session):
    services.alias_add(unit=cast.dept_a, name="Sở Tư pháp cũ", actor=cast.manager)
    found = session(cast.officer_a).get(f"{API}/units", {"q": "so tu phap cu"}).json()
    assert [u["id"] for u in found["items"]] == [cast.dept_a.pk]


def test_units_are_filtered_by_kind_parent_and_validity(cast, session):
    ended = make_unit("Sở Cũ", UnitKind.DEPARTMENT, parent=cast.province, valid_to=dt.date(2020, 12, 31))
    client = session(cast.officer_a)

    provinces = client.get(f"{API}/units", {"kind": "province"}).json()
    assert {u["id"] for u in provinces["items"]} == {cast.province.pk, cast.other_province.pk}

    children = client.get(f"{API}/units", {"parent": cast.province.pk}).json()
    assert children["count"] == 4
    assert all(u["parent_id"] == cast.province.pk for u in children["items"])

    current = client.get(f"{API}/units", {"parent": cast.province.pk, "on": "2025-07-01"}).json()
    assert ended.pk not in {u["id"] for u in current["items"]}
    back_then = client.get(f"{API}/units", {"parent": cast.province.pk, "on": "2020-06-01"}).json()
    assert ended.pk in {u["id"] for u in back_then["items"]}


def test_the_unit_list_is_paginated_with_a_total(cast, session):
    client = session(cast.officer_a)
    first = client.get(f"{API}/units", {"limit": 2}).json()
    second = client.get(f"{API}/units", {"limit": 2, "offset": 2}).json()
    assert first["count"] == second["count"] == 5
    assert len(first["items"]) == len(second["items"]) == 2
    assert not {u["id"] for u in first["items"]} & {u["id"] for u in second["items"]}


def test_a_page_larger_than_the_maximum_is_refused_in_vietnamese(cast, session):
    response = session(cast.officer_a).get(f"{API}/units", {"limit": 1000})
    assert response.status_code == 422
    assert response.json()["errors"]["limit"] == ["Phải nhỏ hơn hoặc bằng 200."]


def test_an_unknown_parent_in_the_filter_is_named(cast, session):
    response = session(cast.officer_a).get(f"{API}/units", {"parent": 999999})
    assert response.status_code == 422
    assert "999999" in response.json()["errors"]["parent"][0]


def test_the_tree_starts_at_the_top_level_units_valid_today(cast, session):
    make_unit("Tỉnh Đã Giải Thể", UnitKind.PROVINCE, valid_to=dt.date(2020, 1, 1))
    tree = session(cast.officer_a).get(f"{API}/units/tree").json()
    assert {n["id"] for n in tree} == {cast.province.pk, cast.other_province.pk}
    province = next(n for n in tree if n["id"] == cast.province.pk)
    assert {c["id"] for c in province["children"]} == {cast.home_affairs.pk, cast.dept_a.pk, cast.dept_b.pk}
    assert province["has_children"] is True
    assert all(c["children"] == [] and c["has_children"] is False for c in province["children"])


def test_the_tree_goes_as_deep_as_asked_and_no_deeper(cast, session):
    division = make_unit("Phòng Hành chính", UnitKind.DIVISION, parent=cast.dept_a)
    client = session(cast.officer_a)
    shallow = client.get(f"{API}/units/tree", {"root": cast.province.pk, "depth": 1}).json()
    dept_a = next(c for c in shallow[0]["children"] if c["id"] == cast.dept_a.pk)
    assert dept_a["children"] == [] and dept_a["has_children"] is True
    deep = client.get(f"{API}/units/tree", {"root": cast.province.pk, "depth": 2}).json()
    dept_a = next(c for c in deep[0]["children"] if c["id"] == cast.dept_a.pk)
    assert [c["id"] for c in dept_a["children"]] == [division.pk]
    too_deep = client.get(f"{API}/units/tree", {"root": cast.province.pk, "depth": 4})
    assert too_deep.status_code == 422
    assert "depth" in too_deep.json()["errors"]


def test_the_tree_of_an_unknown_unit_is_not_found(cast, session):
    response = session(cast.officer_a).get(f"{API}/units/tree", {"root": 999999})
    assert response.status_code == 404
    assert response.json()["detail"] == "Không tìm thấy đơn vị."


def test_a_unit_shows_its_parent_aliases_and_lineage(cast, session):
    successor = make_unit("Sở Tư pháp và Nội vụ", UnitKind.DEPARTMENT, parent=cast.province)
    services.lineage_add(
        predecessor=cast.dept_a,
        successor=successor,
        kind=LineageKind.MERGED_INTO,
        effective_date=dt.date(2025, 7, 1),
        actor=cast.manager,
    )
    services.alias_add(unit=cast.dept_a, name="STP", actor=cast.manager)
    response = session(cast.outsider).get(f"{API}/units/{cast.dept_a.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["parent"] == {"id": cast.province.pk, "code": "P99", "name": "Tỉnh Thử Nghiệm", "kind": "province"}
    assert [a["name"] for a in body["aliases"]] == ["STP"]
    assert body["predecessors"] == []
    [link] = body["successors"]
    assert link["successor"]["id"] == successor.pk
    assert (link["kind"], link["effective_date"]) == ("merged_into", "2025-07-01")
    assert body["is_current"] is True
    assert response["ETag"] == f'"{body["updated_at"]}"'

    after = session(cast.outsider).get(f"{API}/units/{successor.pk}").json()
    assert [p["predecessor"]["id"] for p in after["predecessors"]] == [cast.dept_a.pk]


def test_an_unknown_unit_is_not_found(cast, session):
    response = session(cast.officer_a).get(f"{API}/units/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Không tìm thấy đơn vị.", "errors": None}


# --- creating units -------------------------------------------------------------------------------------------------

NEW_UNIT = {"code": "P99-SXD", "name": "Sở Xây dựng", "kind": "department"}


def test_a_manager_of_the_parent_creates_a_unit_and_it_is_audited(cast, session):
    response = session(cast.manager).post(
        f"{API}/units", {**NEW_UNIT, "parent": cast.province.pk, "reason": "thành lập"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    unit = OrgUnit.objects.get(pk=body["id"])
    assert (unit.code, unit.parent_id, unit.path) == ("P99-SXD", cast.province.pk, f"{cast.province.path}{unit.pk}/")
    event = AuditEvent.objects.get(action="unit.create", object_id=str(unit.pk))
    assert (event.actor, event.reason) == (cast.manager, "thành lập")


@pytest.mark.parametrize("who", ["officer_a", "other_manager", "outsider"])
def test_others_may_not_create_a_unit_under_the_province(cast, session, who):
    response = session(getattr(cast, who)).post(
        f"{API}/units", {**NEW_UNIT, "parent": cast.province.pk}, content_type="application/json"
    )
    assert response.status_code == 403
    assert vietnamese(response.json()["detail"])
    assert not OrgUnit.objects.filter(code="P99-SXD").exists()


def test_an_anonymous_visitor_may_not_create_a_unit(cast, client):
    response = client.post(f"{API}/units", {**NEW_UNIT, "parent": cast.province.pk}, content_type="application/json")
    assert response.status_code == 401
    assert not OrgUnit.objects.filter(code="P99-SXD").exists()


def test_only_a_system_admin_creates_a_top_level_unit(cast, session):
    top = {"code": "P97", "name": "Tỉnh Mới", "kind": "province"}
    refused = session(cast.manager).post(f"{API}/units", top, content_type="application/json")
    assert refused.status_code == 403
    accepted = session(cast.admin).post(f"{API}/units", top, content_type="application/json")
    assert accepted.status_code == 201
    assert accepted.json()["parent"] is None


def test_a_duplicate_code_is_refused_with_a_vietnamese_message_on_the_field(cast, session):
    response = session(cast.manager).post(
        f"{API}/units",
        {"code": "P99-STP", "name": "Sở Tư pháp thứ hai", "kind": "department", "parent": cast.province.pk},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    [message] = body["errors"]["code"]
    assert "Mã “P99-STP” đã dùng cho “Sở Tư pháp”" in message
    assert body["detail"] == message
    assert OrgUnit.objects.filter(code="P99-STP").count() == 1


def test_a_bad_kind_an_unknown_field_and_a_missing_name_are_named(cast, session):
    response = session(cast.manager).post(
        f"{API}/units",
        {"code": "X1", "kind": "galaxy", "parent": cast.province.pk, "colour": "đỏ"},
        content_type="application/json",
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["name"] == ["Trường này là bắt buộc."]
    assert errors["kind"][0].startswith("Giá trị không hợp lệ; dùng một trong: 'moha'")
    assert errors["colour"] == ["Trường này không được hỗ trợ."]


def test_an_unknown_parent_is_a_field_error(cast, session):
    response = session(cast.admin).post(f"{API}/units", {**NEW_UNIT, "parent": 999999}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"]["parent"] == ["Không tìm thấy đơn vị có id 999999."]


def test_a_body_that_is_not_json_is_refused_in_vietnamese(cast, session):
    response = session(cast.manager).post(f"{API}/units", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "Không đọc được nội dung yêu cầu: JSON không hợp lệ."


# --- updating units -------------------------------------------------------------------------------------------------


def _version(client, unit) -> str:
    return client.get(f"{API}/units/{unit.pk}").json()["updated_at"]


def test_a_manager_renames_a_unit_with_the_version_read_and_it_is_audited(cast, session):
    client = session(cast.manager)
    version = _version(client, cast.dept_a)
    response = client.patch(
        f"{API}/units/{cast.dept_a.pk}",
        {"name": "Sở Tư pháp tỉnh", "updated_at": version, "reason": "đổi tên"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Sở Tư pháp tỉnh"
    assert response.json()["updated_at"] != version
    cast.dept_a.refresh_from_db()
    assert cast.dept_a.name == "Sở Tư pháp tỉnh"
    assert cast.dept_a.code == "P99-STP"  # fields not sent stay as they were
    event = AuditEvent.objects.get(action="unit.update", object_id=str(cast.dept_a.pk))
    assert event.changes["name"] == ["Sở Tư pháp", "Sở Tư pháp tỉnh"]
    assert (event.actor, event.reason) == (cast.manager, "đổi tên")


def test_the_etag_may_be_sent_as_if_match(cast, session):
    client = session(cast.manager)
    etag = client.get(f"{API}/units/{cast.dept_a.pk}")["ETag"]
    response = client.patch(
        f"{API}/units/{cast.dept_a.pk}",
        {"short_name": "STP"},
        content_type="application/json",
        headers={"If-Match": etag},
    )
    assert response.status_code == 200
    assert response["ETag"] != etag
    stale = client.patch(
        f"{API}/units/{cast.dept_a.pk}",
        {"short_name": "TP"},
        content_type="application/json",
        headers={"If-Match": etag},
    )
    assert stale.status_code == 409


def test_a_stale_version_is_refused_with_409_and_nothing_is_written(cast, session):
    mine, theirs = session(cast.manager), session(cast.admin)
    version = _version(mine, cast.dept_a)
    first = theirs.patch(
        f"{API}/units/{cast.dept_a.pk}",
        {"name": "Sở Tư pháp (mới)", "updated_at": version},
        content_type="application/json",
    )
    assert first.status_code == 200
    second = mine.patch(
        f"{API}/units/{cast.dept_a.pk}",
        {"short_name": "STP", "updated_at": version},
        content_type="application/json",
    )
    assert second.status_code == 409
    body = second.json()
    assert "đã được thay đổi" in body["detail"] and body["errors"] is None
    cast.dept_a.refresh_from_db()
    assert cast.dept_a.short_name == ""
    assert AuditEvent.objects.filter(action="unit.update", object_id=str(cast.dept_a.pk)).count() == 1


def test_an_update_without_the_version_read_is_refused(cast, session):
    response = session(cast.manager).patch(
        f"{API}/units/{cast.dept_a.pk}", {"name": "Sở Tư pháp tỉnh"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "updated_at" in response.json()["errors"]
    bad_header = session(cast.manager).patch(
        f"{API}/units/{cast.dept_a.pk}", {"name": "X"}, content_type="application/json", headers={"If-Match": "abc"}
    )
    assert bad_header.status_code == 422
    assert "If-Match" in bad_header.json()["errors"]


def test_moving_a_unit_under_its_own_descendant_is_refused_with_a_field_message(cast, session):
    division = make_unit("Phòng A", UnitKind.DIVISION, parent=cast.dept_a)
    client = session(cast.manager)
    response = client.patch(
        f"{API}/units/{cast.dept_a.pk}",
        {"parent": division.pk, "updated_at": _version(client, cast.dept_a)},
        content_type="application/json",
    )
    assert response.status_code == 422
    [message] = response.json()["errors"]["parent"]
    assert "vòng lặp" in message
    cast.dept_a.refresh_from_db()
    assert cast.dept_a.parent_id == cast.province.pk


def test_a_null_for_a_required_field_is_refused(cast, session):
    client = session(cast.manager)
    response = client.patch(
        f"{API}/units/{cast.dept_a.pk}",
        {"name": None, "updated_at": _version(client, cast.dept_a)},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"]["name"] == ["Phải là một chuỗi ký tự."]


@pytest.mark.parametrize("who", ["officer_a", "officer_b", "other_manager", "outsider"])
def test_others_may_not_update_a_unit(cast, session, who):
    client = session(getattr(cast, who))
    response = client.patch(
        f"{API}/units/{cast.dept_a.pk}",
        {"name": "Đổi trộm", "updated_at": _version(client, cast.dept_a)},
        content_type="application/json",
    )
    assert response.status_code == 403
    cast.dept_a.refresh_from_db()
    assert cast.dept_a.name == "Sở Tư pháp"


def test_an_anonymous_visitor_may_not_update_a_unit(cast, client):
    response = client.patch(f"{API}/units/{cast.dept_a.pk}", {"name": "X"}, content_type="application/json")
    assert response.status_code == 401


def test_updating_an_unknown_unit_is_not_found(cast, session):
    response = session(cast.admin).patch(
        f"{API}/units/999999", {"name": "X", "updated_at": "2025-01-01T00:00:00+00:00"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_moving_a_unit_needs_the_right_to_manage_the_new_parent(cast, session):
    client = session(cast.manager)
    response = client.patch(
        f"{API}/units/{cast.dept_a.pk}",
        {"parent": cast.other_province.pk, "updated_at": _version(client, cast.dept_a)},
        content_type="application/json",
    )
    assert response.status_code == 403
    admin = session(cast.admin)
    moved = admin.patch(
        f"{API}/units/{cast.dept_a.pk}",
        {"parent": cast.other_province.pk, "updated_at": _version(admin, cast.dept_a)},
        content_type="application/json",
    )
    assert moved.status_code == 200
    assert moved.json()["parent"]["id"] == cast.other_province.pk


def test_control_characters_and_broken_text_are_refused_before_the_database(cast, session):
    client = session(cast.manager)
    nul = client.post(
        f"{API}/units",
        {"code": "X\u0000", "name": "Sở \ud800", "kind": "department", "parent": cast.province.pk},
        content_type="application/json",
    )
    assert nul.status_code == 422
    errors = nul.json()["errors"]
    assert errors["code"] == ["Không được chứa ký tự điều khiển (như NUL)."]
    assert errors["name"] == ["Chuỗi ký tự không hợp lệ (không mã hóa được bằng UTF-8)."]
    assert client.get(f"{API}/units", {"q": "a\u0000"}).status_code == 422


def test_a_number_is_not_taken_for_a_day(cast, session):
    response = session(cast.officer_a).get(f"{API}/units", {"on": "20250701"})
    assert response.status_code == 422
    assert response.json()["errors"]["on"] == ["Ngày không hợp lệ; dùng dạng YYYY-MM-DD."]
