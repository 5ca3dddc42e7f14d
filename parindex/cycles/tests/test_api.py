"""The cycles router: access first on every endpoint, declared shapes, 409 on a stale task, 422 naming the field."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from parindex.core.models import AuditEvent
from parindex.cycles.factories import CLOSES, inside, vn
from parindex.cycles.models import Extension, Responsibility, Task, Window

pytestmark = [pytest.mark.django_db]
API = "/api/v1/cycles"
ROLES = ["manager", "officer_a", "officer_b", "other_manager", "outsider", None]


@pytest.fixture
def now_inside():
    with time_machine.travel(inside("self_assessment")):
        yield


def call(api, cast, role, method, url, data=None):
    client = api(getattr(cast, role) if role else None)
    if method == "get":
        return client.get(url, data or {})
    return getattr(client, method)(url, data or {}, content_type="application/json")


READ = {"manager": 200, "officer_a": 200, "officer_b": 200, "other_manager": 403, "outsider": 403, None: 401}
TASK_READ = {**READ, "officer_b": 403}


def test_every_read_endpoint_checks_access(api, cast, cyc, task, now_inside):
    c = cyc.cycle.pk
    endpoints = [
        (f"{API}/{c}", READ),
        (f"{API}/{c}/windows", READ),
        (f"{API}/{c}/window-states", READ),
        (f"{API}/{c}/extensions", READ),
        (f"{API}/{c}/participants", READ),
        (f"{API}/{c}/tasks", READ),
        (f"{API}/{c}/plan.xlsx", READ),
        (f"{API}/{c}/tasks/{task.pk}", TASK_READ),
        (f"{API}/{c}/responsibilities/{cast.dept_a.pk}", TASK_READ),
    ]
    for url, expected in endpoints:
        for role in ROLES:
            response = call(api, cast, role, "get", url)
            assert response.status_code == expected[role], (url, role, response.status_code)
            if response.status_code >= 400:
                assert response.json()["detail"]
    assert call(api, cast, "manager", "get", f"{API}/999999").status_code == 404
    listed = {role: call(api, cast, role, "get", API).json()["count"] for role in ROLES[:-1]}
    assert listed == {"manager": 1, "officer_a": 1, "officer_b": 1, "other_manager": 0, "outsider": 0}


def manager_writes(cyc, cast, task):
    c = cyc.cycle.pk
    extension_body = {
        "unit": cast.dept_a.pk,
        "kind": "self_assessment",
        "until": "2026-12-20T17:00:00+07:00",
        "reason": "x",
    }
    return [
        ("post", f"{API}/{c}/status", {"status": "closed"}),
        (
            "put",
            f"{API}/{c}/windows/council",
            {"opens_at": "2027-02-06T08:00:00+07:00", "closes_at": "2027-02-21T17:00:00+07:00", "reason": "x"},
        ),
        ("post", f"{API}/{c}/extensions", extension_body),
        ("post", f"{API}/{c}/participants", {"unit": cast.home_affairs.pk, "group": cyc.group.code}),
        ("post", f"{API}/{c}/tasks", {"title": "Việc mới", "lead_unit": cast.dept_a.pk}),
        ("post", f"{API}/{c}/tasks/{task.pk}/cancel", {"reason": "x"}),
        ("patch", f"{API}/{c}/tasks/{task.pk}", {"updated_at": task.updated_at.isoformat(), "title": "Đổi"}),
    ]


@pytest.mark.parametrize("role", ["officer_b", "other_manager", "outsider", None])
def test_manager_writes_are_refused_to_others_and_change_nothing(api, cast, cyc, task, now_inside, role):
    events = AuditEvent.objects.count()
    for method, url, body in manager_writes(cyc, cast, task):
        response = call(api, cast, role, method, url, body)
        assert response.status_code == (401 if role is None else 403), (method, url, role, response.status_code)
    assert AuditEvent.objects.count() == events
    assert not Extension.objects.exists()


def test_the_lead_unit_may_patch_only_status_and_note(api, cast, cyc, task, now_inside):
    url = f"{API}/{cyc.cycle.pk}/tasks/{task.pk}"
    response = call(api, cast, "officer_a", "patch", url, {"updated_at": task.updated_at.isoformat(), "title": "Đổi"})
    assert response.status_code == 422 and "title" in response.json()["errors"]
    response = call(api, cast, "officer_a", "patch", url, {"updated_at": task.updated_at.isoformat(), "status": "done"})
    assert response.status_code == 200 and response.json()["status"] == "done"
    for method, target, body in manager_writes(cyc, cast, task)[:6]:
        assert call(api, cast, "officer_a", method, target, body).status_code == 403, target


def test_a_stale_task_patch_is_a_409_with_the_current_values(api, cast, cyc, task, now_inside):
    url = f"{API}/{cyc.cycle.pk}/tasks/{task.pk}"
    read = call(api, cast, "manager", "get", url).json()["updated_at"]
    with time_machine.travel(inside("self_assessment") + dt.timedelta(seconds=5)):
        first = call(api, cast, "manager", "patch", url, {"updated_at": read, "product": "Báo cáo số 1"})
        assert first.status_code == 200
        second = call(api, cast, "manager", "patch", url, {"updated_at": read, "product": "Khác"})
    assert second.status_code == 409
    assert second.json()["current"]["product"] == "Báo cáo số 1"
    task.refresh_from_db()
    assert task.product == "Báo cáo số 1"
    missing = call(api, cast, "manager", "patch", url, {"product": "x"})
    assert missing.status_code == 422 and "updated_at" in missing.json()["errors"]


def test_windows_are_set_with_a_reason_and_states_count_down(api, cast, cyc, now_inside):
    url = f"{API}/{cyc.cycle.pk}/windows/self_assessment"
    body = {"opens_at": "2026-11-01T08:00:00+07:00", "closes_at": "2026-12-18T17:00:00+07:00"}
    refused = call(api, cast, "manager", "put", url, body)
    assert refused.status_code == 422 and "reason" in refused.json()["errors"]
    naive = call(api, cast, "manager", "put", url, {**body, "closes_at": "2026-12-18T17:00:00", "reason": "x"})
    assert naive.status_code == 422
    backwards = call(
        api, cast, "manager", "put", url, {**body, "closes_at": "2026-10-18T17:00:00+07:00", "reason": "x"}
    )
    assert backwards.status_code == 422 and "closes_at" in backwards.json()["errors"]
    assert Window.objects.get(cycle=cyc.cycle, kind="self_assessment").closes_at == CLOSES["self_assessment"]
    ok = call(api, cast, "manager", "put", url, {**body, "reason": "QĐ 12"})
    assert ok.status_code == 200
    assert dt.datetime.fromisoformat(ok.json()["closes_at"]) == vn(2026, 12, 18, 17)
    states = {s["kind"]: s for s in call(api, cast, "officer_a", "get", f"{API}/{cyc.cycle.pk}/window-states").json()}
    assert states["self_assessment"]["is_open"] and states["self_assessment"]["countdown"] == "còn 46 ngày 8 giờ"
    assert states["appraisal_1"]["not_yet_open"] and "05/01/2027" in states["appraisal_1"]["message"]
    assert (
        call(api, cast, "manager", "put", f"{API}/{cyc.cycle.pk}/windows/bogus", {**body, "reason": "x"}).status_code
        == 422
    )


def test_extensions_through_the_api(api, cast, cyc, now_inside):
    url = f"{API}/{cyc.cycle.pk}/extensions"
    body = {"unit": cast.dept_a.pk, "kind": "self_assessment", "until": "2026-12-10T17:00:00+07:00", "reason": "Ốm"}
    early = call(api, cast, "manager", "post", url, body)
    assert early.status_code == 422 and "until" in early.json()["errors"]
    outsider_unit = call(
        api,
        cast,
        "manager",
        "post",
        url,
        {**body, "unit": cast.other_province.pk, "until": "2026-12-20T17:00:00+07:00"},
    )
    assert outsider_unit.status_code == 422 and "unit" in outsider_unit.json()["errors"]
    wrong_kind = call(api, cast, "manager", "post", url, {**body, "kind": "council"})
    assert wrong_kind.status_code == 422
    assert not Extension.objects.exists()
    created = call(api, cast, "manager", "post", url, {**body, "until": "2026-12-20T17:00:00+07:00"})
    assert created.status_code == 201 and created.json()["active"] is True
    ext_id = created.json()["id"]
    assert [e["id"] for e in call(api, cast, "officer_a", "get", url).json()] == [ext_id]
    assert call(api, cast, "officer_b", "get", url).json() == []
    with time_machine.travel(CLOSES["self_assessment"] + dt.timedelta(days=1)):
        states = call(api, cast, "officer_a", "get", f"{API}/{cyc.cycle.pk}/window-states", {"unit": cast.dept_a.pk})
        assert {s["kind"]: s for s in states.json()}["self_assessment"]["is_open"] is True
        denied = call(api, cast, "officer_b", "get", f"{API}/{cyc.cycle.pk}/window-states", {"unit": cast.dept_a.pk})
        assert denied.status_code == 422
    revoked = call(api, cast, "manager", "post", f"{url}/{ext_id}/revoke", {"reason": "Nhầm"})
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert call(api, cast, "manager", "post", f"{url}/{ext_id}/revoke", {"reason": ""}).status_code == 422


def test_cycles_and_participants_through_the_api(api, cast, cyc, now_inside):
    created = call(
        api, cast, "manager", "post", API, {"year": 2027, "name": "Chỉ số 2027", "assessor": cast.home_affairs.pk}
    )
    assert created.status_code == 201 and created.json()["status"] == "draft"
    other = call(api, cast, "manager", "post", API, {"year": 2027, "name": "X", "assessor": cast.other_province.pk})
    assert other.status_code == 403
    detail = call(api, cast, "officer_a", "get", f"{API}/{cyc.cycle.pk}").json()
    assert detail["participant_count"] == 2 and detail["can_manage"] is False
    assert [p["group"] for p in detail["plans"]] == [cyc.group.code]
    url = f"{API}/{cyc.cycle.pk}/participants"
    added = call(api, cast, "manager", "post", url, {"unit": cast.home_affairs.pk, "group": cyc.group.code})
    assert added.status_code == 201 and added.json()["assessment_status"] == "not_started"
    foreign = call(api, cast, "manager", "post", url, {"unit": cast.other_province.pk, "group": cyc.group.code})
    assert foreign.status_code == 422 and "unit" in foreign.json()["errors"]
    withdrawn = call(api, cast, "manager", "post", f"{url}/{added.json()['id']}/withdraw", {"reason": "Nhầm"})
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"]
    status = call(api, cast, "manager", "post", f"{API}/{cyc.cycle.pk}/status", {"status": "draft"})
    assert status.status_code == 422 and "reason" in status.json()["errors"]


def test_tasks_plan_export_and_import_through_the_api(api, cast, cyc, now_inside):
    url = f"{API}/{cyc.cycle.pk}/tasks"
    created = call(
        api, cast, "manager", "post", url, {"title": "Việc", "lead_unit": cast.dept_a.pk, "deadline": "2026-11-01"}
    )
    assert created.status_code == 201 and created.json()["number"] == "1"
    no_lead = call(api, cast, "manager", "post", url, {"title": "Việc"})
    assert no_lead.status_code == 422 and "lead_unit" in no_lead.json()["errors"]
    foreign = call(api, cast, "manager", "post", url, {"title": "Việc", "lead_unit": cast.other_province.pk})
    assert foreign.status_code == 422
    listing = call(api, cast, "manager", "get", url, {"overdue": "true"}).json()
    assert listing["overdue_count"] == 1 and listing["items"][0]["overdue"] is True
    assert call(api, cast, "officer_b", "get", url).json()["count"] == 0
    exported = call(api, cast, "officer_a", "get", f"{API}/{cyc.cycle.pk}/plan.xlsx")
    assert exported.status_code == 200 and exported["Content-Disposition"].startswith("attachment;")
    ws = load_workbook(io.BytesIO(exported.content)).active
    assert ws.cell(row=2, column=2).value == "Việc"
    plan = f"{API}/{cyc.cycle.pk}/plan"
    client = api(cast.manager)
    preview = client.post(plan, {"file": SimpleUploadedFile("p.xlsx", exported.content), "dry_run": "true"})
    assert preview.status_code == 200 and preview.json()["unchanged"] == 1 and preview.json()["applied"] is False
    from parindex.cycles.tests.test_formats import workbook

    bad = client.post(
        plan, {"file": SimpleUploadedFile("p.xlsx", workbook([[9, "Việc", "Sở Tư pháp", "", "", "hôm qua", "", ""]]))}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"]["file"] == [
        "Dòng 2, cột “Thời hạn”: “hôm qua” không phải ngày hợp lệ (ghi theo dạng dd/mm/yyyy)."
    ]
    assert Task.objects.count() == 1
    assert api(cast.officer_a).post(plan, {"file": SimpleUploadedFile("p.xlsx", exported.content)}).status_code == 403


def test_the_matrix_through_the_api(api, cast, cyc, now_inside):
    url = f"{API}/{cyc.cycle.pk}/responsibilities/{cast.dept_a.pk}"
    rows = call(api, cast, "officer_a", "get", url).json()
    assert [r["node"] for r in rows][:3] == ["1", "1.1", "1.2"]
    body = {"rows": [{"node": "1.1", "division": "Phòng TTHC", "person": cast.officer_a.pk}]}
    assert call(api, cast, "officer_b", "put", url, body).status_code == 403
    assert call(api, cast, "other_manager", "put", url, body).status_code == 403
    saved = call(api, cast, "officer_a", "put", url, body)
    assert saved.status_code == 200 and saved.json() == {"created": 1, "updated": 0, "cleared": 0}
    bad = call(api, cast, "officer_a", "put", url, {"rows": [{"node": "9.9", "division": "X"}]})
    assert bad.status_code == 422 and "9.9" in bad.json()["errors"]
    assert Responsibility.objects.get().person == cast.officer_a
    assert (
        call(api, cast, "manager", "get", f"{API}/{cyc.cycle.pk}/responsibilities/{cast.other_province.pk}").status_code
        == 404
    )


def test_every_endpoint_declares_its_errors():
    from parindex.api.api import api

    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/cycles"):
            continue
        for method, operation in operations.items():
            codes = {str(code) for code in operation["responses"]}
            assert {"401", "403", "422"} <= codes, (method, path, codes)
            if "{" in path:
                assert "404" in codes, (method, path)
