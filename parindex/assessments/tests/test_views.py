"""The pages: who sees and who edits the grid, each row saved through htmx (totals out of band), conflicts shown
with both values, a closed window turning the grid read-only, bad input refused with nothing stored, uploads (a
2 GB upload refused before it is read), the leader's workflow and the XLSX."""

import datetime as dt
import io
import json

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from parindex.assessments import services
from parindex.assessments.models import AssessmentStatus, Evidence, Submission
from parindex.cycles.factories import CLOSES, entry, inside

from .conftest import PDF, fill, pdf

HX = {"HTTP_HX_REQUEST": "true"}


def grid_url(a):
    return f"/tu-danh-gia/{a.pk}/"


def row_url(a, e):
    return f"/tu-danh-gia/{a.pk}/dong/{e.pk}/"


# --- access -----------------------------------------------------------------------------------------------------


def test_the_grid_opens_for_the_unit_and_its_overseers_only(cyc, cast, login, client):
    a = cyc.assessment_a
    with time_machine.travel(inside("self_assessment")):
        for user in (cast.officer_a, cyc.leader_a):
            page = login(user).get(grid_url(a))
            assert page.status_code == 200
            assert b'name="declared"' in page.content and b'data-testid="readonly"' not in page.content
        for user in (cast.manager, cyc.viewer, cyc.chair, cyc.member, cyc.appraiser, cast.admin):
            page = login(user).get(grid_url(a))
            assert page.status_code == 200, user
            assert b'name="declared"' not in page.content, user  # read-only
            assert "chỉ cán bộ, lãnh đạo của đơn vị mới được cập nhật" in page.content.decode()
        for user in (cast.officer_b, cast.outsider, cast.other_manager):
            assert login(user).get(grid_url(a)).status_code == 403, user
        assert login(cast.officer_a).get("/tu-danh-gia/999999/").status_code == 404
        client.logout()
        response = client.get(grid_url(a))
        assert response.status_code == 302 and "/dang-nhap/" in response["Location"]


def test_only_the_units_people_save_a_row(cyc, cast, login, client):
    a = cyc.assessment_a
    e = entry(a, "1.1")
    with time_machine.travel(inside("self_assessment")):
        for user in (cast.officer_b, cast.manager, cyc.viewer, cyc.chair, cast.outsider, cast.admin):
            response = login(user).post(row_url(a, e), {"declared": "97", "version": 1}, **HX)
            assert response.status_code == 403, user
        client.logout()
        assert client.post(row_url(a, e), {"declared": "97", "version": 1}).status_code == 302
    e.refresh_from_db()
    assert e.declared is None and e.version == 1


def test_the_list_shows_what_the_user_may_see_with_progress_and_deadlines(cyc, cast, login):
    with time_machine.travel(inside("self_assessment")):
        fill(cyc.assessment_a, cast.officer_a, {"1.1": "97", "1.2": "yes"})
        page = login(cast.officer_a).get("/tu-danh-gia/").content.decode()
        assert "Sở Tư pháp" in page and "Sở Tài chính" not in page
        assert "2/4 tiêu chí" in page
        assert "17:00 ngày 15/12/2026" in page and "17:00 ngày 31/12/2026" in page
        page = login(cast.manager).get("/tu-danh-gia/").content.decode()
        assert "Sở Tư pháp" in page and "Sở Tài chính" in page and "0/4 tiêu chí" in page
        page = login(cast.manager).get("/tu-danh-gia/", {"trang-thai": "in_progress"}).content.decode()
        assert "Sở Tư pháp" in page and "Sở Tài chính" not in page
        assert "Không có bản tự đánh giá" in login(cast.outsider).get("/tu-danh-gia/").content.decode()


# --- the grid ---------------------------------------------------------------------------------------------------


def test_the_grid_shows_every_column_grouped_by_field(cyc, cast, login):
    with time_machine.travel(inside("self_assessment")):
        page = login(cast.officer_a).get(grid_url(cyc.assessment_a)).content.decode()
    for header in ("STT", "Tiêu chí", "Điểm tối đa", "Số liệu kê khai", "Cách chấm điểm", "Tài liệu kiểm chứng"):
        assert header in page
    assert (
        page.index('data-testid="heading-1"')
        < page.index('data-testid="row-1.1"')
        < page.index('data-testid="heading-2"')
    )
    assert "Tỷ lệ ≥ 95%: 3; &lt; 95%: 0 (điểm)" in page  # how it is scored
    assert '<option value="yes"' in page  # yes/no criterion 1.2
    assert "0/4 tiêu chí" in page
    survey = page[page.index('data-testid="row-3.1"') :]
    survey = survey[: survey.index("</tr>")]
    assert "không tự chấm" in survey and 'name="declared"' not in survey


def test_the_grid_is_read_in_a_few_queries(cyc, cast, login, django_assert_max_num_queries):
    client = login(cast.officer_a)
    with time_machine.travel(inside("self_assessment")):
        client.get(grid_url(cyc.assessment_a))
        with django_assert_max_num_queries(16):
            assert client.get(grid_url(cyc.assessment_a)).status_code == 200


def test_a_row_is_saved_and_comes_back_with_its_new_version_and_the_totals(cyc, cast, login):
    a = cyc.assessment_a
    e = entry(a, "1.1")
    with time_machine.travel(inside("self_assessment")):
        response = login(cast.officer_a).post(
            row_url(a, e), {"declared": "97,5", "explanation": "", "version": 1}, HTTP_HX_TRIGGER_NAME="declared", **HX
        )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="row-{e.pk}"')
    assert 'name="version" value="2"' in body and 'data-testid="saved"' in body
    assert 'data-testid="points-1.1">3<' in body
    assert f'<span id="sum-{cyc.nodes["1"].pk}" data-testid="sum-1" hx-swap-oob="true">3</span>' in body
    assert 'id="grid-summary"' in body and "1/4 tiêu chí" in body
    assert "cần giải trình" in body  # 3 points claimed, no evidence yet
    e.refresh_from_db()
    assert e.declared == 97.5 and str(e.self_points) == "3.00" and e.version == 2


def test_a_ratio_typed_as_a_fraction_is_scored(cyc, cast, login):
    a = cyc.assessment_a
    e = entry(a, "1.1")
    with time_machine.travel(inside("self_assessment")):
        login(cast.officer_a).post(row_url(a, e), {"declared": "45/50", "version": 1}, **HX)
    e.refresh_from_db()
    assert e.declared == {"numerator": 45, "denominator": 50} and str(e.self_points) == "0.00"


def test_saving_the_explanation_alone_keeps_the_declared_value(cyc, cast, login):
    a = cyc.assessment_a
    e = entry(a, "1.1")
    client = login(cast.officer_a)
    with time_machine.travel(inside("self_assessment")):
        client.post(row_url(a, e), {"declared": "97", "version": 1}, HTTP_HX_TRIGGER_NAME="declared", **HX)
        body = client.post(
            row_url(a, e),
            {"declared": "abc", "explanation": "Báo cáo đang trình ký", "version": 2},
            HTTP_HX_TRIGGER_NAME="explanation",
            **HX,
        ).content.decode()
    e.refresh_from_db()
    assert e.declared == 97 and e.explanation == "Báo cáo đang trình ký" and e.version == 3
    assert "cần giải trình" not in body


@pytest.mark.parametrize(
    ("code", "declared", "message"),
    [
        ("1.3", "3", "phải trong khoảng 0–2"),  # above the maximum
        ("1.3", "-0,5", "phải trong khoảng 0–2"),  # below zero
        ("1.3", "0,3", "phải theo bước 0,5"),  # off the step
        ("1.1", "chín mươi", "không phải là số"),  # wrong type
        ("1.1", "120", "phải trong khoảng 0–100%"),  # ratio above 100%
        ("1.1", "60/50", "phải trong khoảng 0 đến mẫu số"),
        ("2.1", "2,5", "phải là số nguyên"),
        ("1.2", "maybe", "không phải Có/Không"),
    ],
)
def test_bad_input_is_refused_in_the_row_and_nothing_is_stored(cyc, cast, login, code, declared, message):
    a = cyc.assessment_a
    e = entry(a, code)
    with time_machine.travel(inside("self_assessment")):
        response = login(cast.officer_a).post(row_url(a, e), {"declared": declared, "version": 1}, **HX)
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps it: the row shows the message
    assert 'data-testid="row-error"' in body and message in body and f"Tiêu chí {code}" in body
    assert f'value="{declared}"' in body or code == "1.2"  # what was typed stays in the input
    e.refresh_from_db()
    assert e.declared is None and e.self_points is None and e.version == 1


def test_a_conflict_shows_the_other_value_and_lets_the_user_choose(cyc, cast, login):
    a = cyc.assessment_a
    e = entry(a, "1.1")
    with time_machine.travel(inside("self_assessment")):
        services.entry_self_save(entry_id=e.pk, version=1, declared="96", actor=cyc.leader_a)
        client = login(cast.officer_a)
        body = client.post(row_url(a, e), {"declared": "80", "explanation": "", "version": 1}, **HX).content.decode()
        e.refresh_from_db()
        assert e.declared == "96" and e.version == 2  # not overwritten
        assert 'data-testid="conflict"' in body and "Đỗ Văn Lãnh Đạo" in body
        assert 'data-testid="conflict-theirs">96%<' in body and 'data-testid="conflict-mine">80<' in body
        assert "Dùng giá trị của tôi" in body and "Giữ giá trị mới" in body
        assert 'name="version" value="2"' in body
        mine = body[body.index('hx-vals="') + 9 :]
        mine = json.loads(mine[: mine.index('"')].replace("&quot;", '"'))
        assert mine == {"declared": "80", "explanation": "", "version": 2}
        # "use mine": the same post with the new version
        body = client.post(row_url(a, e), mine, **HX).content.decode()
        assert 'data-testid="saved"' in body
        # "keep the new value": the row as stored
        assert 'data-testid="conflict"' not in client.get(row_url(a, e), **HX).content.decode()
    e.refresh_from_db()
    assert e.declared == 80 and e.version == 3


def test_a_save_after_the_close_turns_the_grid_read_only_with_the_reason(cyc, cast, login):
    a = cyc.assessment_a
    e = entry(a, "1.1")
    with time_machine.travel(CLOSES["self_assessment"] + dt.timedelta(seconds=1)):
        response = login(cast.officer_a).post(row_url(a, e), {"declared": "97", "version": 1}, **HX)
    body = response.content.decode()
    assert response["HX-Retarget"] == "#grid" and response["HX-Reswap"] == "outerHTML"
    assert 'data-testid="closed"' in body and "đã kết thúc lúc 17:00 ngày 15/12/2026" in body
    assert 'name="declared"' not in body
    e.refresh_from_db()
    assert e.declared is None


def test_a_second_before_the_close_the_row_is_still_saved(cyc, cast, login):
    a = cyc.assessment_a
    e = entry(a, "1.1")
    with time_machine.travel(CLOSES["self_assessment"] - dt.timedelta(seconds=1)):
        body = login(cast.officer_a).post(row_url(a, e), {"declared": "97", "version": 1}, **HX).content.decode()
    assert 'data-testid="saved"' in body


def test_the_grid_after_the_close_is_read_only_and_says_since_when(cyc, cast, login):
    with time_machine.travel(CLOSES["self_assessment"] + dt.timedelta(hours=1)):
        page = login(cast.officer_a).get(grid_url(cyc.assessment_a)).content.decode()
    assert 'name="declared"' not in page
    assert "đã kết thúc lúc 17:00 ngày 15/12/2026" in page


# --- evidence through the pages ---------------------------------------------------------------------------------


def test_a_file_is_uploaded_from_a_row_and_the_row_comes_back_with_it(cyc, cast, login):
    a = cyc.assessment_a
    e = entry(a, "1.1")
    client = login(cast.officer_a)
    with time_machine.travel(inside("self_assessment")):
        panel = client.get(f"/tu-danh-gia/{a.pk}/dong/{e.pk}/tai-lieu/", **HX).content.decode()
        assert 'data-testid="upload-form"' in panel
        response = client.post(
            f"/tu-danh-gia/{a.pk}/tai-lieu/tai-len/?entry={e.pk}",
            {"file": pdf(), "title": "Báo cáo thống kê", "number": "12/BC", "issued_on": "2026-10-30"},
            **HX,
        )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith(f'<tr id="row-{e.pk}"')
    doc = Evidence.objects.get()
    assert f"/tu-danh-gia/tai-lieu/{doc.pk}/tai-ve/" in body and "Báo cáo thống kê" in body
    assert doc.entry_links.get().entry == e


def test_a_bad_upload_from_a_row_shows_the_reason(cyc, cast, login):
    a = cyc.assessment_a
    e = entry(a, "1.1")
    with time_machine.travel(inside("self_assessment")):
        body = (
            login(cast.officer_a)
            .post(
                f"/tu-danh-gia/{a.pk}/tai-lieu/tai-len/?entry={e.pk}",
                {"file": pdf("that.pdf", b"hello, just text"), "title": "Giả"},
                **HX,
            )
            .content.decode()
        )
    assert 'data-testid="evidence-error"' in body and "theo nội dung" in body
    assert not Evidence.objects.exists()


def test_a_2_gb_upload_is_refused_before_its_body_is_read(cyc, cast, login, monkeypatch):
    from django.core.handlers.wsgi import LimitedStream

    read = []
    monkeypatch.setattr(LimitedStream, "read", lambda self, *args: read.append(args) or b"")
    a = cyc.assessment_a
    e = entry(a, "1.1")
    with time_machine.travel(inside("self_assessment")):
        response = login(cast.officer_a).post(
            f"/tu-danh-gia/{a.pk}/tai-lieu/tai-len/?entry={e.pk}",
            data=b"x" * 100,
            content_type="multipart/form-data; boundary=BoUnDaRy",
            CONTENT_LENGTH=str(2 * 1024**3),
            **HX,
        )
    assert response.status_code == 200
    assert "vượt giới hạn 20,0 MB" in response.content.decode()
    assert read == [] and not Evidence.objects.exists()


def test_an_upload_just_over_the_limit_is_stopped_by_the_handler(cyc, cast, login, settings):
    settings.PARINDEX_EVIDENCE_MAX_BYTES = 2000
    a = cyc.assessment_a
    with time_machine.travel(inside("self_assessment")):
        response = login(cast.officer_a).post(
            f"/tu-danh-gia/{a.pk}/tai-lieu/tai-len/",
            {"file": pdf(content=PDF + b"0" * 2500), "title": "Lớn", "next": "documents"},
        )
    assert response.status_code == 302
    assert not Evidence.objects.exists()
    page = login(cast.officer_a).get(response["Location"]).content.decode()
    assert "vượt giới hạn" in page


def test_the_upload_view_checks_the_csrf_token(cyc, cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.officer_a)
    with time_machine.travel(inside("self_assessment")):
        response = client.post(f"/tu-danh-gia/{cyc.assessment_a.pk}/tai-lieu/tai-len/", {"file": pdf(), "title": "A"})
    assert response.status_code == 403
    assert not Evidence.objects.exists()


def test_uploads_to_another_units_report_are_refused(cyc, cast, login):
    with time_machine.travel(inside("self_assessment")):
        response = login(cast.officer_b).post(
            f"/tu-danh-gia/{cyc.assessment_a.pk}/tai-lieu/tai-len/", {"file": pdf(), "title": "A"}
        )
    assert response.status_code == 403 and not Evidence.objects.exists()


def test_documents_are_reused_detached_and_withdrawn_from_the_pages(cyc, cast, login):
    a = cyc.assessment_a
    e11, e12 = entry(a, "1.1"), entry(a, "1.2")
    client = login(cast.officer_a)
    with time_machine.travel(inside("self_assessment")):
        doc = services.evidence_upload(
            assessment=a, upload=pdf(), title="Báo cáo", actor=cast.officer_a, entry_id=e11.pk
        )
        panel = client.get(f"/tu-danh-gia/{a.pk}/dong/{e12.pk}/tai-lieu/", **HX).content.decode()
        assert f'<option value="{doc.pk}">Báo cáo</option>' in panel
        body = client.post(f"/tu-danh-gia/{a.pk}/dong/{e12.pk}/gan-tai-lieu/", {"evidence": doc.pk}, **HX)
        assert "Báo cáo" in body.content.decode()
        client.post(f"/tu-danh-gia/{a.pk}/dong/{e11.pk}/bo-tai-lieu/{doc.pk}/", **HX)
        assert list(doc.entry_links.values_list("entry_id", flat=True)) == [e12.pk]
        page = client.get(f"/tu-danh-gia/{a.pk}/tai-lieu/").content.decode()
        assert "Báo cáo" in page and "1.2" in page
        client.post(f"/tu-danh-gia/{a.pk}/tai-lieu/{doc.pk}/go/", {"next": "documents"})
    doc.refresh_from_db()
    assert doc.withdrawn_at is not None


# --- workflow through the pages ---------------------------------------------------------------------------------


def test_the_leader_sees_the_problems_that_block_the_submission(cyc, cast, login):
    a = cyc.assessment_a
    with time_machine.travel(inside("self_assessment")):
        fill(a, cast.officer_a, {"1.1": "97"})
        page = login(cyc.leader_a).post(f"/tu-danh-gia/{a.pk}/gui/").content.decode()
    assert 'data-testid="submit-problems"' in page
    assert "Tiêu chí 1.1" in page and "Tiêu chí 1.2" in page and "Tiêu chí 2.1" in page
    a.refresh_from_db()
    assert a.status == AssessmentStatus.IN_PROGRESS


def test_an_officer_cannot_submit_return_or_withdraw(cyc, cast, login, filled):
    client = login(cast.officer_a)
    with time_machine.travel(inside("self_assessment")):
        for path in ("gui", "tra-lai", "rut-lai"):
            assert client.post(f"/tu-danh-gia/{filled.pk}/{path}/", {"reason": "x"}).status_code == 403
        for user in (cast.manager, cast.officer_b):
            assert login(user).post(f"/tu-danh-gia/{filled.pk}/trinh-duyet/").status_code == 403
    filled.refresh_from_db()
    assert filled.status == AssessmentStatus.IN_PROGRESS


def test_the_workflow_through_the_pages(cyc, cast, login, filled):
    officer, leader = login(cast.officer_a), Client()
    leader.force_login(cyc.leader_a)
    with time_machine.travel(inside("self_assessment")):
        officer.post(f"/tu-danh-gia/{filled.pk}/trinh-duyet/")
        filled.refresh_from_db()
        assert filled.status == AssessmentStatus.AWAITING_REVIEW
        leader.post(f"/tu-danh-gia/{filled.pk}/tra-lai/", {"reason": ""})
        filled.refresh_from_db()
        assert filled.status == AssessmentStatus.AWAITING_REVIEW  # no reason, no return
        leader.post(f"/tu-danh-gia/{filled.pk}/tra-lai/", {"reason": "Kiểm tra lại 1.1"})
        page = officer.get(grid_url(filled)).content.decode()
        assert "Kiểm tra lại 1.1" in page and "Lãnh đạo trả lại" in page
        response = leader.post(f"/tu-danh-gia/{filled.pk}/gui/")
        assert response.status_code == 302
        page = leader.get(grid_url(filled)).content.decode()
        assert "Đã gửi bản tự đánh giá (lần 1)" in page and 'data-testid="submission-xlsx"' in page
        assert 'name="declared"' not in page
        leader.post(f"/tu-danh-gia/{filled.pk}/rut-lai/")
        filled.refresh_from_db()
        assert filled.status == AssessmentStatus.IN_PROGRESS


def test_the_narrative_is_saved_from_the_page(cyc, cast, login, filled):
    client = login(cast.officer_a)
    with time_machine.travel(inside("self_assessment")):
        client.post(
            f"/tu-danh-gia/{filled.pk}/kho-khan-de-xuat/",
            {"difficulties": "Thiếu máy", "proposals": "Cấp kinh phí", "version": filled.version},
        )
        filled.refresh_from_db()
        assert filled.difficulties == "Thiếu máy" and filled.proposals == "Cấp kinh phí"
        client.post(
            f"/tu-danh-gia/{filled.pk}/kho-khan-de-xuat/",
            {"difficulties": "Khác", "proposals": "", "version": filled.version - 1},
        )
    filled.refresh_from_db()
    assert filled.difficulties == "Thiếu máy"


# --- XLSX -------------------------------------------------------------------------------------------------------


def _sheet(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def test_the_submitted_report_downloads_as_xlsx_from_its_frozen_copy(cyc, cast, login, filled):
    with time_machine.travel(inside("self_assessment")):
        e = entry(filled, "1.1")
        services.entry_self_save(entry_id=e.pk, version=e.version, explanation='=HYPERLINK("x")', actor=cast.officer_a)
        services.assessment_submit(assessment=filled, actor=cyc.leader_a)
        services.assessment_withdraw(assessment=filled, actor=cyc.leader_a)
        services.entry_self_save(entry_id=e.pk, version=e.version + 1, declared="99", actor=cast.officer_a)
    for user in (cyc.leader_a, cast.manager):
        response = login(user).get(f"/tu-danh-gia/{filled.pk}/ban-da-gui/1/xlsx/")
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="tu-danh-gia-p99-stp-lan-1.xlsx"'
    ws = _sheet(response.content)
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r and r[0]}
    assert rows["1.1"][3] == "90%" and rows["1.1"][5] == 0  # the frozen value, not 99%
    assert rows["1.1"][8] == '\'=HYPERLINK("x")'  # formula-safe
    header_row = next(i for i, r in enumerate(ws.iter_rows(values_only=True), start=1) if r and r[0] == "STT")
    assert ws.freeze_panes == f"C{header_row + 1}"
    assert ws.auto_filter.ref.startswith(f"A{header_row}:")
    assert ws.cell(row=header_row + 2, column=3).number_format == "0.00"
    current = _sheet(login(cast.officer_a).get(f"/tu-danh-gia/{filled.pk}/xlsx/").content)
    rows = {r[0]: r for r in current.iter_rows(values_only=True) if r and r[0]}
    assert rows["1.1"][3] == "99%" and rows["1.1"][5] == 3
    assert login(cast.officer_b).get(f"/tu-danh-gia/{filled.pk}/ban-da-gui/1/xlsx/").status_code == 403
    assert login(cast.officer_a).get(f"/tu-danh-gia/{filled.pk}/ban-da-gui/9/xlsx/").status_code == 404
    assert Submission.objects.get().withdrawn_at is not None


def test_the_export_command_writes_the_current_grid_and_a_submission(cyc, cast, filled, tmp_path):
    from django.core.management import CommandError, call_command

    with time_machine.travel(inside("self_assessment")):
        services.assessment_submit(assessment=filled, actor=cyc.leader_a)
    out = tmp_path / "a.xlsx"
    call_command("export_assessment", "--assessment", str(filled.pk), "--output", str(out))
    assert any(r and r[0] == "1.1" for r in _sheet(out.read_bytes()).iter_rows(values_only=True))
    call_command("export_assessment", "--assessment", str(filled.pk), "--output", str(out), "--submission", "latest")
    assert "lần 1" in _sheet(out.read_bytes())["A1"].value
    with pytest.raises(CommandError):
        call_command("export_assessment", "--assessment", "999999", "--output", str(out))
    with pytest.raises(CommandError):
        call_command("export_assessment", "--assessment", str(filled.pk), "--output", str(out), "--submission", "5")
