"""Report jobs from the page: queued until the transaction commits, then built (the immediate backend in tests), done
with a complete file or failed with a readable message and no file."""

import io

import openpyxl
import pytest
from django.urls import reverse

from parindex.reports.models import ReportJob, ReportState

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def ask(client, capture, **data) -> ReportJob:
    with capture(execute=True):
        response = client.post(reverse("reports:list"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ReportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))
    return job


def download(client, job) -> bytes:
    response = client.get(reverse("reports:download", args=[job.pk]))
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def test_a_job_waits_in_the_queue_until_its_request_is_committed(login, cast, res):
    response = login(cast.manager).post(
        reverse("reports:list"), {"cycle": res.cycle.pk, "kind": "ranking", "format": "xlsx"}
    )
    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert job.state == ReportState.QUEUED and job.percent == 0 and not job.file
    assert job.progress_label == "Đang chờ đến lượt…"


def test_the_ranking_is_built_kept_and_downloaded_as_excel(login, cast, res, django_capture_on_commit_callbacks):
    client = login(cast.manager)
    job = ask(client, django_capture_on_commit_callbacks, cycle=res.cycle.pk, kind="ranking", format="xlsx")
    assert job.state == ReportState.DONE, job.error
    assert job.percent == 100 and job.progress_done == job.progress_total >= 1 and job.progress_label == "Hoàn tất"
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at
    assert job.filename.endswith(".xlsx") and job.size > 0 and job.error == ""
    response, content = download(client, job)
    assert response["Content-Type"] == XLSX
    assert f'filename="{job.filename}"' in response["Content-Disposition"]
    assert len(content) == job.size
    book = openpyxl.load_workbook(io.BytesIO(content))
    text = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "Sở Tài chính" in text and "Sở Tư pháp" in text
    page = client.get(reverse("reports:job", args=[job.pk])).content.decode()
    assert job.filename in page and "hx-trigger" not in page


def test_a_report_whose_data_is_missing_fails_with_a_readable_message_and_no_file(
    login, cast, cyc, django_capture_on_commit_callbacks
):
    client = login(cast.manager)
    job = ask(client, django_capture_on_commit_callbacks, cycle=cyc.cycle.pk, kind="ranking", format="xlsx")
    assert job.state == ReportState.FAILED
    assert "chưa có kết quả" in job.error and "Chỉ số CCHC năm 2026" in job.error
    assert not job.file and job.size == 0 and job.filename == ""
    assert job.finished_at is not None
    body = client.get(reverse("reports:job", args=[job.pk])).content.decode()
    assert "Không tạo được báo cáo." in body and "chưa có kết quả" in body
    assert client.get(reverse("reports:download", args=[job.pk])).status_code == 404


def test_a_plan_without_tasks_fails_and_a_plan_with_tasks_is_built(
    login, cast, cyc, django_capture_on_commit_callbacks
):
    from parindex.cycles.services import task_create

    client = login(cast.manager)
    failed = ask(client, django_capture_on_commit_callbacks, cycle=cyc.cycle.pk, kind="plan", format="xlsx")
    assert failed.state == ReportState.FAILED and "chưa có nhiệm vụ" in failed.error
    task_create(cycle=cyc.cycle, actor=cast.manager, title="=Rà soát thủ tục hành chính", lead_unit=cast.dept_a)
    job = ask(client, django_capture_on_commit_callbacks, cycle=cyc.cycle.pk, kind="plan", format="xlsx")
    assert job.state == ReportState.DONE, job.error
    _, content = download(client, job)
    book = openpyxl.load_workbook(io.BytesIO(content))
    values = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert any("Rà soát thủ tục hành chính" in str(v) for v in values)
    assert "=Rà soát thủ tục hành chính" not in values  # neutralised, not a formula


def test_an_officer_builds_their_units_self_assessment_in_word(login, cast, scored, django_capture_on_commit_callbacks):
    client = login(cast.officer_a)
    job = ask(
        client,
        django_capture_on_commit_callbacks,
        cycle=scored.cycle.pk,
        kind="self_assessment",
        format="docx",
        unit=cast.dept_a.pk,
    )
    assert job.state == ReportState.DONE, job.error
    assert job.unit == cast.dept_a
    response, content = download(client, job)
    assert response["Content-Type"] == DOCX and content[:2] == b"PK"
    import docx

    text = "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)
    assert "Sở Tư pháp" in text.replace("SỞ TƯ PHÁP", "Sở Tư pháp")


def test_a_published_decision_is_built_for_a_viewer(login, cast, res, django_capture_on_commit_callbacks):
    from parindex.scoring.services import resultset_approve, resultset_publish

    resultset_approve(result_set=res.result_set, actor=res.chair)
    resultset_publish(result_set=res.result_set, actor=cast.manager)
    client = login(res.viewer)
    job = ask(client, django_capture_on_commit_callbacks, cycle=res.cycle.pk, kind="decision", format="docx")
    assert job.state == ReportState.DONE, job.error
    response, content = download(client, job)
    assert response["Content-Type"] == DOCX and content[:2] == b"PK"
    # the manager of the cycle sees it too; the chair (not a manager) does not
    assert login(cast.manager).get(reverse("reports:job", args=[job.pk])).status_code == 200
    assert login(res.chair).get(reverse("reports:job", args=[job.pk])).status_code == 404


@pytest.mark.parametrize(("kind", "fmt"), [("ranking", "pdf"), ("results", "xlsx")])
def test_cycle_reports_build_for_the_council_chair(login, cast, res, django_capture_on_commit_callbacks, kind, fmt):
    client = login(res.chair)
    job = ask(client, django_capture_on_commit_callbacks, cycle=res.cycle.pk, kind=kind, format=fmt)
    assert job.state == ReportState.DONE, job.error
    response, content = download(client, job)
    assert response["Content-Type"].startswith("application/")
    assert content[:4] == (b"%PDF" if fmt == "pdf" else b"PK\x03\x04")


def test_the_service_can_build_at_once(cast, res):
    from parindex.reports.services import report_request

    job = report_request(kind="ranking", fmt="xlsx", cycle=res.cycle, actor=cast.manager, run_now=True)
    assert job.state == ReportState.DONE and job.size > 0
