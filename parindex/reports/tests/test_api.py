"""The reports API: kinds, jobs (ask, follow, download) and Word templates, with the declared errors."""

import io

import openpyxl
import pytest
from django.test import Client

from parindex.api.tests.conftest import API, CSRF
from parindex.reports.models import DocumentTemplate, ReportJob, ReportState

URL = f"{API}/reports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def api():
    """api(user) → a client signed in as ``user`` that sends the CSRF token like the site's JavaScript."""

    def _api(user):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        client.cookies["csrftoken"] = CSRF
        client.defaults["HTTP_X_CSRFTOKEN"] = CSRF
        return client

    return _api


def post(client, payload, capture=None):
    if capture is None:
        return client.post(f"{URL}/jobs", payload, content_type="application/json")
    with capture(execute=True):
        return client.post(f"{URL}/jobs", payload, content_type="application/json")


# --- kinds ------------------------------------------------------------------------------------------------------------


def test_the_kinds_list_their_formats_and_whether_a_unit_is_needed(api, cast, cyc):
    kinds = {k["kind"]: k for k in api(cast.manager).get(f"{URL}/kinds").json()}
    assert kinds["ranking"]["formats"] == ["xlsx", "pdf"] and not kinds["ranking"]["needs_unit"]
    assert kinds["scorecard"]["needs_unit"] and kinds["scorecard"]["label"] == "Phiếu kết quả Chỉ số của đơn vị"
    assert len(kinds) == 9


def test_the_kinds_of_a_cycle_are_those_the_user_may_ask_for(api, cast, cyc):
    response = api(cast.officer_a).get(f"{URL}/kinds", {"cycle": cyc.cycle.pk})
    assert [k["kind"] for k in response.json()] == ["self_assessment", "scorecard"]
    assert api(cast.outsider).get(f"{URL}/kinds", {"cycle": cyc.cycle.pk}).status_code == 403
    assert api(cast.manager).get(f"{URL}/kinds", {"cycle": 999999}).status_code == 404


# --- jobs -------------------------------------------------------------------------------------------------------------


def test_a_job_is_asked_for_followed_and_downloaded(api, cast, res, django_capture_on_commit_callbacks):
    client = api(cast.manager)
    response = post(
        client, {"kind": "ranking", "format": "xlsx", "cycle": res.cycle.pk}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    job = ReportJob.objects.get(pk=created["id"])
    assert (job.kind, job.format, job.requested_by) == ("ranking", "xlsx", cast.manager)
    one = client.get(f"{URL}/jobs/{job.pk}").json()
    assert one["state"] == "done" and one["percent"] == 100 and one["error"] == ""
    assert one["download_url"] == f"{URL}/jobs/{job.pk}/file" and one["content_type"] == XLSX
    assert one["requested_by"] == "Trần Thị Quản Lý" and one["filename"].endswith(".xlsx")
    file = client.get(one["download_url"])
    assert file.status_code == 200 and file["Content-Type"] == XLSX
    assert file["Content-Disposition"].startswith("attachment;")
    openpyxl.load_workbook(io.BytesIO(b"".join(file.streaming_content)))
    mine = client.get(f"{URL}/jobs").json()
    assert mine["count"] == 1 and mine["items"][0]["id"] == job.pk


def test_a_queued_job_has_no_file_yet(api, cast, res):
    client = api(cast.manager)
    created = post(client, {"kind": "ranking", "format": "xlsx", "cycle": res.cycle.pk}).json()
    assert created["state"] == "queued" and created["download_url"] is None
    response = client.get(f"{URL}/jobs/{created['id']}/file")
    assert response.status_code == 409 and "chưa tạo xong" in response.json()["detail"]


def test_a_failed_job_says_why_and_has_no_file(api, cast, cyc, django_capture_on_commit_callbacks):
    client = api(cast.manager)
    created = post(
        client, {"kind": "ranking", "format": "xlsx", "cycle": cyc.cycle.pk}, django_capture_on_commit_callbacks
    ).json()
    one = client.get(f"{URL}/jobs/{created['id']}").json()
    assert one["state"] == "failed" and "chưa có kết quả" in one["error"] and one["download_url"] is None
    response = client.get(f"{URL}/jobs/{created['id']}/file")
    assert response.status_code == 409 and "chưa có kết quả" in response.json()["detail"]


def test_a_unit_report_names_its_unit(api, cast, cyc):
    client = api(cast.officer_a)
    response = post(
        client, {"kind": "self_assessment", "format": "xlsx", "cycle": cyc.cycle.pk, "unit": cast.dept_a.pk}
    )
    assert response.status_code == 201 and response.json()["unit_name"] == "Sở Tư pháp"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "nope", "format": "xlsx"}, "kind"),
        ({"kind": "results", "format": "pdf"}, "format"),
        ({"kind": "scorecard", "format": "pdf"}, "unit"),
        ({"kind": "scorecard", "format": "pdf", "unit": 10**9}, "unit"),
        ({"kind": "ranking", "format": "xlsx", "group": 10**9}, "group"),
        ({"kind": "ranking"}, "format"),
    ],
)
def test_a_bad_request_is_refused_with_the_field_named(api, cast, cyc, payload, field):
    response = post(api(cast.manager), {"cycle": cyc.cycle.pk, **payload})
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not ReportJob.objects.exists()


def test_errors_401_403_404_and_400(api, cast, cyc, client):
    payload = {"kind": "ranking", "format": "xlsx", "cycle": cyc.cycle.pk}
    assert client.post(f"{URL}/jobs", payload, content_type="application/json").status_code == 401
    assert client.get(f"{URL}/jobs").status_code == 401
    assert post(api(cast.outsider), payload).status_code == 403
    assert post(api(cast.officer_a), payload).status_code == 403
    assert post(api(cast.other_manager), payload).status_code == 403
    assert post(api(cast.manager), {**payload, "cycle": 999999}).status_code == 404
    bad = api(cast.manager).post(f"{URL}/jobs", "{not json", content_type="application/json")
    assert bad.status_code in (400, 422)
    no_csrf = Client(enforce_csrf_checks=True)
    no_csrf.force_login(cast.manager)
    assert no_csrf.post(f"{URL}/jobs", payload, content_type="application/json").status_code == 403
    assert not ReportJob.objects.exists()


def test_someone_elses_job_does_not_exist(api, cast, cyc):
    job = ReportJob.objects.create(
        kind="self_assessment", format="xlsx", cycle=cyc.cycle, unit=cast.dept_a, requested_by=cast.officer_a
    )
    for user in (cast.officer_b, cyc.chair, cast.outsider):
        assert api(user).get(f"{URL}/jobs/{job.pk}").status_code == 404
        assert api(user).get(f"{URL}/jobs/{job.pk}/file").status_code == 404
    assert api(cast.manager).get(f"{URL}/jobs/{job.pk}").status_code == 200
    assert api(cast.officer_b).get(f"{URL}/jobs").json()["count"] == 0
    assert api(cast.manager).get(f"{URL}/jobs/{2**70}").status_code in (404, 422)


def test_a_job_is_shown_with_its_progress(api, cast, cyc):
    job = ReportJob.objects.create(
        kind="ranking",
        format="xlsx",
        cycle=cyc.cycle,
        requested_by=cast.manager,
        state=ReportState.RUNNING,
        progress_done=1,
        progress_total=4,
        progress_label="Đang ghi",
    )
    one = api(cast.manager).get(f"{URL}/jobs/{job.pk}").json()
    assert (one["state"], one["percent"], one["label"], one["state_label"]) == ("running", 25, "Đang ghi", "Đang tạo")


# --- templates --------------------------------------------------------------------------------------------------------


def test_templates_are_listed_uploaded_downloaded_and_reset(api, cast, cyc):
    from parindex.reports.doc_templates import shipped_template

    client = api(cast.manager)
    owner = cast.home_affairs.pk
    listed = client.get(f"{URL}/templates").json()
    assert listed["owner"] == owner and listed["owner_name"] == "Sở Nội vụ"
    decision = next(t for t in listed["templates"] if t["kind"] == "decision")
    assert decision["custom"] is False and decision["fields"]
    shipped = client.get(f"{URL}/templates/shipped/decision")
    assert shipped.status_code == 200 and b"".join(shipped.streaming_content) == shipped_template("decision")

    upload = io.BytesIO(shipped_template("decision"))
    upload.name = "qd-rieng.docx"
    response = client.post(f"{URL}/templates/{owner}/decision", {"file": upload})
    assert response.status_code == 201, response.json()
    assert response.json()["custom"] is True and response.json()["original_name"] == "qd-rieng.docx"
    assert response.json()["uploaded_by"] == "Trần Thị Quản Lý"
    current = client.get(f"{URL}/templates/{owner}/decision")
    assert 'filename="qd-rieng.docx"' in current["Content-Disposition"]

    response = client.post(f"{URL}/templates/{owner}/decision/reset")
    assert response.status_code == 200 and response.json()["custom"] is False
    assert DocumentTemplate.objects.count() == 1


def test_a_broken_template_is_refused_with_422_and_nothing_saved(api, cast, cyc):
    upload = io.BytesIO(b"plain text, not a Word file")
    upload.name = "mau.docx"
    response = api(cast.manager).post(f"{URL}/templates/{cast.home_affairs.pk}/decision", {"file": upload})
    assert response.status_code == 422 and response.json()["detail"]
    assert not DocumentTemplate.objects.exists()


def test_templates_are_for_the_assessing_bodys_managers(api, cast, cyc, client):
    owner = cast.home_affairs.pk
    assert client.get(f"{URL}/templates").status_code == 401
    for user in (cast.officer_a, cyc.chair, cast.outsider, cast.other_manager):
        assert api(user).get(f"{URL}/templates", {"owner": owner}).status_code == 403
        assert api(user).post(f"{URL}/templates/{owner}/decision/reset").status_code == 403
    assert api(cast.manager).get(f"{URL}/templates/{owner}/results").status_code == 404
    assert api(cast.manager).get(f"{URL}/templates", {"owner": 999999}).status_code == 404


def test_every_reports_endpoint_declares_its_errors(client):
    doc = client.get(f"{API}/openapi.json").json()
    paths = {p: ops for p, ops in doc["paths"].items() if p.startswith(URL)}
    assert len(paths) == 8
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "401" in codes, (path, method)
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in codes, (path, method)
            if method == "post" and "json" in str(operation.get("requestBody", {}).get("content", {})):
                assert "400" in codes, (path, method)
    names = set(doc["components"]["schemas"])
    assert {"ReportJobOut", "ReportJobIn", "ReportKindOut", "ReportTemplateOut", "ReportJobPage"} <= names
