"""The report pages: the request form offers only what the user may ask for, the job page follows the job, the
history is paginated, the templates page shows what is in use and takes a replacement."""

import io
import re

import pytest
from django.urls import reverse

from parindex.reports.models import DocumentTemplate, ReportJob, ReportState


def options(body: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', body, re.S)
    assert select, name
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def page(client, **params) -> str:
    response = client.get(reverse("reports:list"), params)
    assert response.status_code == 200
    return response.content.decode()


# --- the request form -------------------------------------------------------------------------------------------------


def test_the_manager_is_offered_every_kind_with_its_description_and_formats(login, cast, cyc):
    body = page(login(cast.manager), cycle=cyc.cycle.pk, kind="ranking")
    assert "Yêu cầu báo cáo" in body
    assert options(body, "cycle") == [str(cyc.cycle.pk)]
    assert len(options(body, "kind")) == 9
    assert options(body, "format") == ["xlsx", "pdf"]
    assert "Xếp hạng, xếp loại và thay đổi so với năm trước" in body
    assert options(body, "group") == ["", str(cyc.group.pk)]
    assert 'name="unit"' not in body


def test_a_unit_report_asks_for_a_unit_among_those_the_user_may_see(login, cast, cyc):
    body = page(login(cast.manager), cycle=cyc.cycle.pk, kind="scorecard")
    assert options(body, "format") == ["pdf", "docx"]
    assert set(options(body, "unit")) == {"", str(cast.dept_a.pk), str(cast.dept_b.pk)}
    body = page(login(cast.officer_a), cycle=cyc.cycle.pk, kind="self_assessment")
    assert options(body, "kind") == ["self_assessment", "scorecard"]
    assert options(body, "unit") == ["", str(cast.dept_a.pk)]
    assert options(body, "format") == ["xlsx", "docx", "pdf"]


def test_the_form_follows_the_kind_when_htmx_asks_again(login, cast, cyc):
    client = login(cast.manager)
    response = client.get(
        reverse("reports:list"), {"cycle": cyc.cycle.pk, "kind": "decision"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert 'id="report-form"' in body and 'hx-trigger="change from:#id_cycle, change from:#id_kind"' in body
    assert options(body, "format") == ["docx", "pdf"]


def test_asking_for_a_report_redirects_to_its_job_page(login, cast, cyc):
    client = login(cast.manager)
    response = client.post(
        reverse("reports:list"), {"cycle": cyc.cycle.pk, "kind": "ranking", "format": "xlsx", "group": cyc.group.pk}
    )
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:job", args=[job.pk])
    assert (job.kind, job.format, job.cycle, job.group, job.requested_by) == (
        "ranking",
        "xlsx",
        cyc.cycle,
        cyc.group,
        cast.manager,
    )
    from parindex.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="reports.requested", actor=cast.manager).count() == 1


def test_a_format_the_kind_does_not_have_is_refused_with_a_message(login, cast, cyc):
    response = login(cast.manager).post(
        reverse("reports:list"), {"cycle": cyc.cycle.pk, "kind": "results", "format": "pdf"}
    )
    assert response.status_code == 200
    assert not ReportJob.objects.exists()
    assert "invalid-feedback" in response.content.decode() and "pdf" in response.content.decode()


def test_a_unit_report_without_a_unit_is_refused(login, cast, cyc):
    response = login(cast.manager).post(
        reverse("reports:list"), {"cycle": cyc.cycle.pk, "kind": "self_assessment", "format": "xlsx"}
    )
    assert response.status_code == 200 and not ReportJob.objects.exists()
    assert "invalid-feedback" in response.content.decode()


def test_another_units_report_is_refused_to_an_officer(login, cast, cyc):
    response = login(cast.officer_b).post(
        reverse("reports:list"),
        {"cycle": cyc.cycle.pk, "kind": "self_assessment", "format": "xlsx", "unit": cast.dept_a.pk},
    )
    assert response.status_code == 200 and not ReportJob.objects.exists()


def test_an_officer_is_told_why_the_scorecard_is_not_yet_open(login, cast, res):
    response = login(cast.officer_a).post(
        reverse("reports:list"),
        {"cycle": res.cycle.pk, "kind": "scorecard", "format": "pdf", "unit": cast.dept_a.pk},
    )
    assert response.status_code == 200 and not ReportJob.objects.exists()
    assert "chưa được công bố" in response.content.decode()


def test_someone_without_a_cycle_is_told_so(login, cast):
    body = page(login(cast.manager))
    assert 'data-testid="no-cycle"' in body


# --- the job page ---------------------------------------------------------------------------------------------------


def test_a_queued_job_shows_a_progress_bar_that_polls(login, cast, cyc):
    job = ReportJob.objects.create(kind="ranking", format="xlsx", cycle=cyc.cycle, requested_by=cast.manager)
    body = login(cast.manager).get(reverse("reports:job", args=[job.pk])).content.decode()
    assert 'class="progress"' in body and 'data-state="queued"' in body
    assert f'hx-get="{reverse("reports:job_state", args=[job.pk])}"' in body and "every 1500ms" in body
    assert "Trần Thị Quản Lý" in body  # who asked


def test_a_running_job_shows_its_percentage_and_step(login, cast, cyc):
    job = ReportJob.objects.create(
        kind="ranking",
        format="xlsx",
        cycle=cyc.cycle,
        requested_by=cast.manager,
        state=ReportState.RUNNING,
        progress_done=3,
        progress_total=10,
        progress_label="Đang ghi bảng xếp hạng",
    )
    body = login(cast.manager).get(reverse("reports:job_state", args=[job.pk])).content.decode()
    assert 'aria-valuenow="30"' in body and "Đang ghi bảng xếp hạng — 3/10" in body
    assert "hx-trigger" in body
    assert "<html" not in body  # a fragment


def test_a_failed_job_shows_its_message_and_stops_polling(login, cast, cyc):
    job = ReportJob.objects.create(
        kind="ranking",
        format="xlsx",
        cycle=cyc.cycle,
        requested_by=cast.manager,
        state=ReportState.FAILED,
        error="Đợt “Chỉ số CCHC năm 2026” chưa có kết quả đã tính.",
    )
    body = login(cast.manager).get(reverse("reports:job_state", args=[job.pk])).content.decode()
    assert "Không tạo được báo cáo." in body and "chưa có kết quả đã tính" in body
    assert "hx-trigger" not in body and "Tải về" not in body


def test_a_done_job_shows_the_download_with_filename_size_and_requester(login, cast, cyc):
    from django.core.files.base import ContentFile

    job = ReportJob.objects.create(
        kind="ranking", format="xlsx", cycle=cyc.cycle, requested_by=cast.manager, state=ReportState.DONE
    )
    job.file.save("xep-hang-2026.xlsx", ContentFile(b"x" * 2048), save=False)
    job.filename, job.size = "xep-hang-2026.xlsx", 2048
    job.save(update_fields=["file", "filename", "size"])
    body = login(cast.manager).get(reverse("reports:job", args=[job.pk])).content.decode()
    assert reverse("reports:download", args=[job.pk]) in body
    assert "xep-hang-2026.xlsx" in body and "2,0\xa0KB" in body and "Trần Thị Quản Lý yêu cầu lúc" in body
    assert "hx-trigger" not in body


# --- lists ------------------------------------------------------------------------------------------------------------


def test_my_reports_are_paginated_and_mine_only(login, cast, cyc):
    ReportJob.objects.bulk_create(
        [ReportJob(kind="plan", format="xlsx", cycle=cyc.cycle, requested_by=cast.manager) for _ in range(30)]
        + [ReportJob(kind="ranking", format="pdf", cycle=cyc.cycle, requested_by=cyc.chair)]
    )
    client = login(cast.manager)
    first = client.get(reverse("reports:mine")).content.decode()
    assert first.count("Kế hoạch triển khai") == 25 and "Bảng xếp hạng" not in first
    assert "Trang 1/2" in first
    second = client.get(reverse("reports:mine"), {"trang": 2}).content.decode()
    assert second.count("Kế hoạch triển khai") == 5


def test_the_manager_sees_everyone_s_jobs_of_the_cycle(login, cast, cyc):
    ReportJob.objects.create(kind="ranking", format="pdf", cycle=cyc.cycle, requested_by=cyc.chair)
    ReportJob.objects.create(
        kind="self_assessment", format="docx", cycle=cyc.cycle, unit=cast.dept_a, requested_by=cast.officer_a
    )
    body = login(cast.manager).get(reverse("reports:cycle_jobs", args=[cyc.cycle.pk])).content.decode()
    assert "Ngô Văn Chủ Tịch" in body and "Lê Văn Tư Pháp" in body and "Sở Tư pháp" in body
    listing = login(cast.manager).get(reverse("reports:list")).content.decode()
    assert reverse("reports:cycle_jobs", args=[cyc.cycle.pk]) in listing


def test_the_navigation_offers_reports_to_those_who_may_ask(login, cast, cyc):
    def keys(user):
        body = login(user).get(reverse("home")).content.decode()
        return set(re.findall(r'data-nav="([a-z]+)"', body))

    assert "reports" in keys(cast.manager)
    assert "reports" in keys(cast.officer_a)  # their unit takes part in the cycle
    assert "reports" in keys(cyc.member)  # a council seat without a role
    assert "reports" not in keys(cast.outsider)


# --- Word templates ---------------------------------------------------------------------------------------------------


def test_the_templates_page_lists_each_document_with_its_fields(login, cast, cyc):
    from parindex.reports.doc_templates import template_fields
    from parindex.reports.registry import TEMPLATE_KINDS

    body = login(cast.manager).get(reverse("reports:templates")).content.decode()
    assert body.count('data-testid="current-template"') == len(TEMPLATE_KINDS)
    assert "Đang dùng mẫu gốc" in body
    assert "Quyết định công bố kết quả" in body
    for field in template_fields("decision")[:3]:
        assert field in body
    assert reverse("reports:template_shipped", args=["decision"]) in body


def test_the_shipped_template_downloads_as_a_word_file(login, cast, cyc):
    response = login(cast.manager).get(reverse("reports:template_shipped", args=["decision"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_a_file_that_is_not_a_word_document_is_refused_with_its_message(login, cast, cyc):
    client = login(cast.manager)
    upload = io.BytesIO(b"not a docx at all")
    upload.name = "quyet-dinh.docx"
    response = client.post(
        reverse("reports:template_upload", args=[cast.home_affairs.pk, "decision"]), {"file": upload}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="upload-errors"' in body
    assert not DocumentTemplate.objects.exists()


def test_a_replacement_is_used_shown_and_reset_to_the_shipped_one(login, cast, cyc):
    from parindex.reports.doc_templates import shipped_template

    client = login(cast.manager)
    owner = cast.home_affairs.pk
    upload = io.BytesIO(shipped_template("decision"))
    upload.name = "qd-cong-bo-rieng.docx"
    response = client.post(reverse("reports:template_upload", args=[owner, "decision"]), {"file": upload})
    assert response.status_code == 302
    template = DocumentTemplate.objects.get(active=True)
    assert (template.kind, template.owner, template.uploaded_by) == ("decision", cast.home_affairs, cast.manager)
    body = client.get(response["Location"]).content.decode()
    assert "qd-cong-bo-rieng.docx" in body and "Trần Thị Quản Lý" in body and "Mẫu riêng" in body
    current = client.get(reverse("reports:template_download", args=[owner, "decision"]))
    assert 'filename="qd-cong-bo-rieng.docx"' in current["Content-Disposition"]
    response = client.post(reverse("reports:template_reset", args=[owner, "decision"]))
    assert response.status_code == 302
    assert not DocumentTemplate.objects.filter(active=True).exists()
    assert DocumentTemplate.objects.count() == 1  # kept, never deleted


@pytest.mark.parametrize("method", ["get", "post"])
def test_templates_need_a_kind_with_a_word_version(login, cast, cyc, method):
    client = login(cast.manager)
    url = reverse("reports:template_download", args=[cast.home_affairs.pk, "nope"])
    assert getattr(client, method)(url).status_code in (404, 405)


def test_the_admin_shows_jobs_and_templates_read_only(client, cast, cyc):
    cast.admin.is_staff = True
    cast.admin.is_superuser = True
    cast.admin.save(update_fields=["is_staff", "is_superuser"])
    job = ReportJob.objects.create(kind="ranking", format="xlsx", cycle=cyc.cycle, requested_by=cast.manager)
    client.force_login(cast.admin)
    assert client.get(reverse("admin:reports_reportjob_changelist")).status_code == 200
    assert client.get(reverse("admin:reports_reportjob_change", args=[job.pk])).status_code == 200
    assert client.get(reverse("admin:reports_documenttemplate_changelist")).status_code == 200
    assert client.get(reverse("admin:reports_reportjob_add")).status_code == 403
    client.post(reverse("admin:reports_reportjob_change", args=[job.pk]), {"state": "done"})
    job.refresh_from_db()
    assert job.state == ReportState.QUEUED
