"""The self-assessment router: access first; PATCH answers 200 with the new version, 409 with the other writer's
values, 403 with the window's message, 422 naming the field; uploads, workflow, submissions and XLSX."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from parindex.assessments import services
from parindex.assessments.models import AssessmentStatus, Evidence, Submission
from parindex.cycles.factories import CLOSES, entry, inside
from parindex.orgs import services as org_services

from .conftest import PDF, fill, pdf

API = "/api/v1/assessments"


@pytest.fixture
def api():
    def _api(user):
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return _api


def patch(client, a, e, **body):
    return client.patch(f"{API}/{a.pk}/entries/{e.pk}", body, content_type="application/json")


# --- reading ----------------------------------------------------------------------------------------------------


def test_the_list_holds_only_what_the_caller_may_see(cyc, cast, api):
    def units(user, **query):
        return sorted(i["unit"]["code"] for i in api(user).get(API, query).json()["items"])

    assert units(cast.officer_a) == ["P99-STP"]
    assert units(cyc.leader_a) == ["P99-STP"]
    assert units(cast.manager) == ["P99-STC", "P99-STP"]
    assert units(cyc.chair) == ["P99-STC", "P99-STP"]
    assert units(cast.outsider) == []
    assert units(cast.other_manager) == []
    assert units(cast.manager, unit=cast.dept_b.pk) == ["P99-STC"]
    assert units(cast.manager, status="submitted") == []
    assert api(None).get(API).status_code == 401
    item = api(cast.officer_a).get(API).json()["items"][0]
    assert item["criteria_total"] == 4 and item["criteria_done"] == 0 and item["status"] == "not_started"


def test_the_grid_carries_node_info_declared_points_evidence_and_versions(cyc, cast, api):
    a = cyc.assessment_a
    with time_machine.travel(inside("self_assessment")):
        fill(a, cast.officer_a, {"1.1": "97", "1.3": "1,5"})
        doc = services.evidence_upload(
            assessment=a, upload=pdf(), title="BC", actor=cast.officer_a, entry_id=entry(a, "1.1").pk
        )
    data = api(cast.manager).get(f"{API}/{a.pk}").json()
    assert data["total"] == 4.5 and data["max_total"] == 12 and data["criteria_done"] == 2
    assert data["missing"] == ["1.3"]
    by_code = {e["node"]["code"]: e for e in data["entries"]}
    assert list(by_code) == ["1.1", "1.2", "1.3", "2.1", "3.1"]
    e11 = by_code["1.1"]
    assert e11["node"]["parent"] == "1" and e11["node"]["max_points"] == 3 and e11["node"]["depth"] == 2
    assert e11["input"]["type"] == "percent" and e11["declared"] == "97" and e11["self_points"] == 3
    assert e11["evidence"] == [doc.pk] and e11["version"] == 2 and e11["updated_by"] == "Lê Văn Tư Pháp"
    assert by_code["1.2"]["input"]["type"] == "yes_no"
    assert by_code["1.3"]["input"]["type"] == "points" and by_code["1.3"]["missing_evidence"]
    assert by_code["3.1"]["self_scored"] is False
    for user in (cast.officer_b, cast.outsider, cast.other_manager):
        assert api(user).get(f"{API}/{a.pk}").status_code == 403
    assert api(None).get(f"{API}/{a.pk}").status_code == 401
    assert api(cast.manager).get(f"{API}/999999").status_code == 404


# --- PATCH ------------------------------------------------------------------------------------------------------


def test_a_patch_saves_and_answers_with_the_new_version(cyc, cast, api):
    a = cyc.assessment_a
    e = entry(a, "1.1")
    with time_machine.travel(inside("self_assessment")):
        response = patch(api(cast.officer_a), a, e, declared={"numerator": 49, "denominator": 50}, version=1)
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 2 and body["self_points"] == 3 and body["declared_text"] == "49/50 (98%)"
    with time_machine.travel(inside("self_assessment")):
        body = patch(api(cast.officer_a), a, e, explanation="Có báo cáo", version=2).json()
    assert body["declared"] == {"numerator": 49, "denominator": 50} and body["explanation"] == "Có báo cáo"


def test_a_stale_version_is_a_409_with_the_current_values(cyc, cast, api):
    a = cyc.assessment_a
    e = entry(a, "1.3")
    with time_machine.travel(inside("self_assessment")):
        assert patch(api(cyc.leader_a), a, e, declared="1.5", version=1).status_code == 200
        response = patch(api(cast.officer_a), a, e, declared="2", version=1)
    assert response.status_code == 409
    body = response.json()
    assert body["current"]["self_points"] == "1.50" and body["current"]["version"] == 2
    assert "Đỗ Văn Lãnh Đạo" in body["detail"]
    e.refresh_from_db()
    assert str(e.self_points) == "1.50"


def test_a_patch_after_the_close_is_a_403_naming_the_window_and_the_moment(cyc, cast, api):
    a = cyc.assessment_a
    e = entry(a, "1.1")
    with time_machine.travel(CLOSES["self_assessment"] + dt.timedelta(seconds=1)):
        response = patch(api(cast.officer_a), a, e, declared="97", version=1)
    assert response.status_code == 403
    assert "Tự đánh giá, chấm điểm" in response.json()["detail"]
    assert "17:00 ngày 15/12/2026" in response.json()["detail"]
    with time_machine.travel(CLOSES["self_assessment"] - dt.timedelta(seconds=1)):
        assert patch(api(cast.officer_a), a, e, declared="97", version=1).status_code == 200


@pytest.mark.parametrize(
    ("code", "declared", "message"),
    [
        ("1.3", 2.5, "phải trong khoảng 0–2"),
        ("1.3", -1, "phải trong khoảng 0–2"),
        ("1.3", 0.3, "phải theo bước 0,5"),
        ("1.1", "nhiều", "không phải là số"),
        ("1.1", True, "cần một số"),
        ("1.1", 100.5, "0–100%"),
        ("1.1", {"numerator": 51, "denominator": 50}, "mẫu số"),
        ("2.1", -3, "số nguyên không âm"),
        ("1.2", "có lẽ", "không phải Có/Không"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(cyc, cast, api, code, declared, message):
    a = cyc.assessment_a
    e = entry(a, code)
    with time_machine.travel(inside("self_assessment")):
        response = patch(api(cast.officer_a), a, e, declared=declared, version=1)
    assert response.status_code == 422
    errors = response.json()["errors"]["declared"]
    assert message in errors[0] and f"Tiêu chí {code}" in errors[0]
    e.refresh_from_db()
    assert e.declared is None and e.version == 1


def test_a_survey_criterion_cannot_be_self_scored(cyc, cast, api):
    a = cyc.assessment_a
    with time_machine.travel(inside("self_assessment")):
        response = patch(api(cast.officer_a), a, entry(a, "3.1"), declared=80, version=1)
    assert response.status_code == 422 and "không tự chấm" in response.json()["errors"]["declared"][0]


def test_a_missing_version_or_an_unknown_field_is_a_422(cyc, cast, api):
    a = cyc.assessment_a
    e = entry(a, "1.1")
    with time_machine.travel(inside("self_assessment")):
        assert "version" in patch(api(cast.officer_a), a, e, declared=97).json()["errors"]
        assert "points" in patch(api(cast.officer_a), a, e, points=3, version=1).json()["errors"]


def test_only_the_units_people_may_patch(cyc, cast, api):
    a = cyc.assessment_a
    e = entry(a, "1.1")
    b = entry(cyc.assessment_b, "1.1")
    with time_machine.travel(inside("self_assessment")):
        for user in (cast.officer_b, cast.manager, cyc.viewer, cyc.chair, cyc.appraiser, cast.outsider, cast.admin):
            assert patch(api(user), a, e, declared=97, version=1).status_code == 403, user
        assert patch(api(None), a, e, declared=97, version=1).status_code == 401
        # An entry of another report through this report's address
        assert patch(api(cast.officer_a), a, b, declared=97, version=1).status_code == 404
    e.refresh_from_db()
    b.refresh_from_db()
    assert e.version == 1 and b.version == 1


def test_a_personal_token_works_without_csrf(cyc, cast):
    _token, key = org_services.api_token_create(user=cast.officer_a, name="bench", actor=cast.officer_a)
    a = cyc.assessment_a
    e = entry(a, "1.1")
    client = Client(enforce_csrf_checks=True)
    with time_machine.travel(inside("self_assessment")):
        response = client.patch(
            f"{API}/{a.pk}/entries/{e.pk}",
            {"declared": 97, "version": 1},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
    assert response.status_code == 200 and response.json()["version"] == 2


# --- evidence ---------------------------------------------------------------------------------------------------


def test_upload_attach_detach_withdraw_and_download(cyc, cast, api):
    a = cyc.assessment_a
    e11, e12 = entry(a, "1.1"), entry(a, "1.2")
    client = api(cast.officer_a)
    with time_machine.travel(inside("self_assessment")):
        response = client.post(
            f"{API}/{a.pk}/evidence",
            {
                "file": pdf("bc.pdf"),
                "title": "Báo cáo",
                "number": "5/BC",
                "issued_on": "2026-11-02",
                "entry_id": e11.pk,
            },
        )
        assert response.status_code == 201, response.content
        doc = response.json()
        assert doc["sha256"] and doc["entries"] == [e11.pk] and doc["issued_on"] == "2026-11-02"
        assert client.post(f"{API}/{a.pk}/entries/{e12.pk}/evidence/{doc['id']}").json()["entries"] == [
            e11.pk,
            e12.pk,
        ]
        assert client.delete(f"{API}/{a.pk}/entries/{e11.pk}/evidence/{doc['id']}").json()["entries"] == [e12.pk]
        link = client.post(
            f"{API}/{a.pk}/evidence/link",
            {"url": "https://example.gov.vn/qd.pdf", "title": "Quyết định", "entry_id": e11.pk},
            content_type="application/json",
        )
        assert link.status_code == 201 and link.json()["kind"] == "link"
        bad = client.post(
            f"{API}/{a.pk}/evidence/link", {"url": "javascript:alert(1)", "title": "X"}, content_type="application/json"
        )
        assert bad.status_code == 422 and "url" in bad.json()["errors"]
        download = api(cast.manager).get(f"{API}/{a.pk}/evidence/{doc['id']}/download")
        assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["X-Content-Type-Options"] == "nosniff"
        assert api(cast.officer_b).get(f"{API}/{a.pk}/evidence/{doc['id']}/download").status_code == 403
        assert client.get(f"{API}/{a.pk}/evidence/{link.json()['id']}/download").status_code == 422
        withdrawn = client.post(f"{API}/{a.pk}/evidence/{doc['id']}/withdraw", {}, content_type="application/json")
        assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"]
    assert len(client.get(f"{API}/{a.pk}/evidence").json()) == 2


def test_a_wrong_type_or_a_too_large_upload_is_refused_with_nothing_stored(cyc, cast, api, settings):
    a = cyc.assessment_a
    client = api(cast.officer_a)
    with time_machine.travel(inside("self_assessment")):
        fake = client.post(
            f"{API}/{a.pk}/evidence",
            {"file": SimpleUploadedFile("a.pdf", b"<html><script>alert(1)</script></html>"), "title": "X"},
        )
        assert fake.status_code == 422 and "theo nội dung" in fake.json()["errors"]["file"][0]
        settings.PARINDEX_EVIDENCE_MAX_BYTES = 1500
        big = client.post(f"{API}/{a.pk}/evidence", {"file": pdf(content=PDF + b"0" * 2000), "title": "X"})
        assert big.status_code == 413 and "vượt giới hạn" in big.json()["detail"]
        huge = client.post(
            f"{API}/{a.pk}/evidence",
            data=b"x" * 10,
            content_type="multipart/form-data; boundary=B",
            CONTENT_LENGTH=str(2 * 1024**3),
        )
        assert huge.status_code == 413
        other = api(cast.officer_b).post(f"{API}/{a.pk}/evidence", {"file": pdf(), "title": "X"})
        assert other.status_code == 403
        assert api(None).post(f"{API}/{a.pk}/evidence", {"file": pdf(), "title": "X"}).status_code == 401
    assert not Evidence.objects.exists()


# --- workflow, submissions --------------------------------------------------------------------------------------


def test_the_workflow_on_the_api(cyc, cast, api, filled):
    officer, leader = api(cast.officer_a), api(cyc.leader_a)
    with time_machine.travel(inside("self_assessment")):
        assert officer.post(f"{API}/{filled.pk}/send-for-review").json()["status"] == "awaiting_review"
        assert officer.post(f"{API}/{filled.pk}/submit").status_code == 403
        assert api(cast.manager).post(f"{API}/{filled.pk}/send-for-review").status_code == 403
        refused = leader.post(f"{API}/{filled.pk}/return", {"reason": ""}, content_type="application/json")
        assert refused.status_code == 422
        returned = leader.post(f"{API}/{filled.pk}/return", {"reason": "Sửa 1.1"}, content_type="application/json")
        assert returned.json()["status"] == "returned" and returned.json()["status_note"] == "Sửa 1.1"
        submitted = leader.post(f"{API}/{filled.pk}/submit")
        assert submitted.status_code == 201 and submitted.json()["number"] == 1
        again = leader.post(f"{API}/{filled.pk}/submit")
        assert again.status_code == 422 and "Đã gửi" in again.json()["detail"]
        withdrawn = leader.post(f"{API}/{filled.pk}/withdraw", {}, content_type="application/json")
        assert withdrawn.json()["status"] == "in_progress"
        e = entry(filled, "1.1")
        patch(officer, filled, e, declared=99, version=e.version)
    subs = api(cast.manager).get(f"{API}/{filled.pk}/submissions").json()
    assert subs[0]["number"] == 1 and subs[0]["withdrawn_by"] == "Đỗ Văn Lãnh Đạo" and subs[0]["total_points"] == 0
    xlsx = api(cast.manager).get(f"{API}/{filled.pk}/submissions/1/xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = {r[0]: r for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True) if r[0]}
    assert rows["1.1"][5] == 0
    assert api(cast.manager).get(f"{API}/{filled.pk}/submissions/2/xlsx").status_code == 404
    assert api(cast.officer_b).get(f"{API}/{filled.pk}/submissions").status_code == 403
    current = api(cast.officer_a).get(f"{API}/{filled.pk}/xlsx")
    rows = {r[0]: r for r in load_workbook(io.BytesIO(current.content)).active.iter_rows(values_only=True) if r[0]}
    assert rows["1.1"][5] == 3
    assert Submission.objects.get().withdrawn_at is not None


def test_a_submission_with_gaps_is_a_422_listing_each_criterion(cyc, cast, api):
    a = cyc.assessment_a
    with time_machine.travel(inside("self_assessment")):
        fill(a, cast.officer_a, {"1.1": "97"})
        response = api(cyc.leader_a).post(f"{API}/{a.pk}/submit")
    assert response.status_code == 422
    entries = response.json()["errors"]["entries"]
    assert [p.split(" (")[0] for p in entries] == ["Tiêu chí 1.1", "Tiêu chí 1.2", "Tiêu chí 1.3", "Tiêu chí 2.1"]
    a.refresh_from_db()
    assert a.status == AssessmentStatus.IN_PROGRESS


def test_the_narrative_on_the_api(cyc, cast, api, filled):
    with time_machine.travel(inside("self_assessment")):
        body = {"difficulties": "Thiếu người", "version": filled.version}
        ok = api(cast.officer_a).patch(f"{API}/{filled.pk}", body, content_type="application/json")
        assert ok.status_code == 200
        stale = api(cyc.leader_a).patch(f"{API}/{filled.pk}", body, content_type="application/json")
        assert stale.status_code == 409 and stale.json()["current"]["difficulties"] == "Thiếu người"
