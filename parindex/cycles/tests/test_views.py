"""The cycle pages: access first for every role, then what managers and units do on them."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from parindex.core.models import AuditEvent
from parindex.cycles import services
from parindex.cycles.factories import CLOSES, inside, vn
from parindex.cycles.models import Extension, Participant, Responsibility, Task, TaskAttachment, Window

pytestmark = [pytest.mark.django_db]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROLES = ["manager", "officer_a", "officer_b", "other_manager", "outsider", None]


@pytest.fixture
def now_inside():
    with time_machine.travel(inside("self_assessment")):
        yield


@pytest.fixture
def attachment(task, cast):
    return services.task_attachment_add(
        task=task, upload=SimpleUploadedFile("ke-hoach.pdf", PDF, content_type="application/pdf"), actor=cast.manager
    )


def client_for(cast, role):
    c = Client()
    if role is not None:
        c.force_login(getattr(cast, role))
    return c


READ = {"manager": 200, "officer_a": 200, "officer_b": 200, "other_manager": 403, "outsider": 403, None: 302}
MANAGE = {"manager": 200, "officer_a": 403, "officer_b": 403, "other_manager": 403, "outsider": 403, None: 302}
TASK_READ = {"manager": 200, "officer_a": 200, "officer_b": 403, "other_manager": 403, "outsider": 403, None: 302}


def pages(cyc, cast, task, attachment):
    c, t, a = cyc.cycle.pk, task.pk, attachment.pk
    participant = Participant.objects.get(cycle=cyc.cycle, unit=cast.dept_b)
    return [
        ("/dot-danh-gia/", {**READ, "other_manager": 200, "outsider": 200}),
        ("/dot-danh-gia/tao-moi/", {**MANAGE, "other_manager": 200}),
        (f"/dot-danh-gia/{c}/", READ),
        (f"/dot-danh-gia/{c}/thoi-han/", READ),
        (f"/dot-danh-gia/{c}/ke-hoach/", READ),
        (f"/dot-danh-gia/{c}/ke-hoach/xuat.xlsx", READ),
        (f"/dot-danh-gia/{c}/nhiem-vu-don-vi/", READ),
        (f"/dot-danh-gia/{c}/sua/", MANAGE),
        (f"/dot-danh-gia/{c}/thoi-han/self_assessment/", MANAGE),
        (f"/dot-danh-gia/{c}/gia-han/", MANAGE),
        (f"/dot-danh-gia/{c}/ke-hoach/them/", MANAGE),
        (f"/dot-danh-gia/{c}/ke-hoach/nhap/", MANAGE),
        (f"/dot-danh-gia/{c}/ke-hoach/{t}/sua/", MANAGE),
        (f"/dot-danh-gia/{c}/ke-hoach/{t}/huy/", MANAGE),
        (f"/dot-danh-gia/{c}/don-vi/{participant.pk}/rut/", MANAGE),
        (f"/dot-danh-gia/{c}/ke-hoach/{t}/", TASK_READ),
        (f"/dot-danh-gia/{c}/dinh-kem/{a}/", TASK_READ),
        (f"/dot-danh-gia/{c}/phan-cong/{cast.dept_a.pk}/", TASK_READ),
        (f"/dot-danh-gia/{c}/phan-cong/{cast.dept_a.pk}/xuat.xlsx", TASK_READ),
    ]


def test_every_page_checks_access_for_every_role(cyc, cast, task, attachment, now_inside):
    for url, expected in pages(cyc, cast, task, attachment):
        for role in ROLES:
            response = client_for(cast, role).get(url)
            assert response.status_code == expected[role], (url, role, response.status_code)
            if expected[role] == 302:
                assert response["Location"].startswith("/tai-khoan/") or "login" in response["Location"]


def test_the_council_and_viewers_read_the_cycle(cyc, cast, now_inside):
    for user in (cyc.chair, cyc.member, cyc.viewer, cyc.leader_a):
        c = Client()
        c.force_login(user)
        assert c.get(f"/dot-danh-gia/{cyc.cycle.pk}/").status_code == 200, user
        assert c.get(f"/dot-danh-gia/{cyc.cycle.pk}/gia-han/").status_code == 403


def test_a_missing_cycle_is_404(cast, login):
    assert login(cast.manager).get("/dot-danh-gia/999999/").status_code == 404


def post_pages(cyc, cast, task, attachment):
    c, t, a = cyc.cycle.pk, task.pk, attachment.pk
    return [
        (f"/dot-danh-gia/{c}/trang-thai/", {"status": "closed"}),
        (f"/dot-danh-gia/{c}/bo-chi-so/", {"group": cyc.group.pk, "framework": cyc.framework.pk}),
        (f"/dot-danh-gia/{c}/don-vi/them/", {"unit": "P99-SNV", "group": cyc.group.pk}),
        (f"/dot-danh-gia/{c}/ke-hoach/{t}/dinh-kem/", {"file": SimpleUploadedFile("a.pdf", PDF)}),
        (f"/dot-danh-gia/{c}/dinh-kem/{a}/go/", {}),
        (f"/dot-danh-gia/{c}/ke-hoach/nhap/xac-nhan/", {"token": "abc"}),
    ]


@pytest.mark.parametrize("role", ["officer_a", "officer_b", "other_manager", "outsider"])
def test_manager_only_posts_are_refused_to_others_and_change_nothing(cyc, cast, task, attachment, now_inside, role):
    events = AuditEvent.objects.count()
    for url, data in post_pages(cyc, cast, task, attachment):
        response = client_for(cast, role).post(url, data)
        assert response.status_code == 403, (url, role)
    assert client_for(cast, None).post(post_pages(cyc, cast, task, attachment)[0][0], {}).status_code == 302
    assert AuditEvent.objects.count() == events
    cyc.cycle.refresh_from_db()
    assert cyc.cycle.status == "active"
    assert TaskAttachment.objects.filter(removed_at__isnull=True).count() == 1


# --- windows and extensions ---------------------------------------------------------------------------------------


def test_a_manager_moves_a_window_in_vietnam_time_with_a_reason(cyc, cast, login, now_inside):
    c = login(cast.manager)
    url = f"/dot-danh-gia/{cyc.cycle.pk}/thoi-han/self_assessment/"
    form = c.get(url).content.decode()
    assert 'value="2026-12-15"' in form and 'value="17:00"' in form
    data = {"opens_date": "2026-11-01", "opens_time": "08:00", "closes_date": "2026-12-18", "closes_time": ""}
    response = c.post(url, data)
    assert response.status_code == 200
    assert "Lý do thay đổi" in response.content.decode()
    assert Window.objects.get(cycle=cyc.cycle, kind="self_assessment").closes_at == CLOSES["self_assessment"]
    response = c.post(url, {**data, "reason": "Theo Công văn 45"})
    assert response.status_code == 302
    window = Window.objects.get(cycle=cyc.cycle, kind="self_assessment")
    assert window.closes_at == vn(2026, 12, 18, 17)  # an empty time is 17:00 in Vietnam
    assert AuditEvent.objects.filter(action="cycle.window_set", reason="Theo Công văn 45").exists()
    page = c.get(f"/dot-danh-gia/{cyc.cycle.pk}/").content.decode()
    assert "17:00 ngày 18/12/2026" in page


def test_an_extension_earlier_than_the_close_is_refused_on_the_form(cyc, cast, login, now_inside):
    c = login(cast.manager)
    url = f"/dot-danh-gia/{cyc.cycle.pk}/gia-han/"
    data = {"unit": cast.dept_a.pk, "kind": "self_assessment", "until_date": "2026-12-10", "reason": "Mất điện"}
    response = c.post(url, data)
    assert response.status_code == 200
    assert (
        "Gia hạn phải sau thời điểm đóng của “Tự đánh giá, chấm điểm” (17:00 ngày 15/12/2026)"
        in response.content.decode()
    )
    assert not Extension.objects.exists()
    response = c.post(url, {**data, "unit": cast.other_province.pk, "until_date": "2026-12-20"})
    assert response.status_code == 200 and not Extension.objects.exists()
    response = c.post(url, {**data, "until_date": "2026-12-20"})
    assert response.status_code == 302
    extension = Extension.objects.get()
    assert extension.until == vn(2026, 12, 20, 17) and extension.granted_by == cast.manager
    page = c.get(f"/dot-danh-gia/{cyc.cycle.pk}/").content.decode()
    assert "Mất điện" in page and "Đang hiệu lực" in page


def test_units_see_their_own_extension_in_the_countdown(cyc, cast, login):
    with time_machine.travel(inside("self_assessment")):
        services.extension_grant(
            cycle=cyc.cycle,
            unit=cast.dept_a,
            kind="self_assessment",
            until=vn(2026, 12, 20, 17),
            reason="x",
            actor=cast.manager,
        )
    with time_machine.travel(CLOSES["self_assessment"] + dt.timedelta(days=1)):
        page_a = login(cast.officer_a).get(f"/dot-danh-gia/{cyc.cycle.pk}/thoi-han/").content.decode()
        assert "còn 3 ngày 23 giờ" in page_a and "được gia hạn đến 17:00 ngày 20/12/2026" in page_a
        page_b = login(cast.officer_b).get(f"/dot-danh-gia/{cyc.cycle.pk}/thoi-han/").content.decode()
        assert "đã đóng lúc 17:00 ngày 15/12/2026" in page_b
        # Another unit's extension is not for officer_b to ask about: the general state is shown.
        asked = login(cast.officer_b).get(f"/dot-danh-gia/{cyc.cycle.pk}/thoi-han/?don-vi={cast.dept_a.pk}")
        assert "được gia hạn" not in asked.content.decode()


def test_revoking_an_extension_from_the_page(cyc, cast, login, now_inside):
    extension = services.extension_grant(
        cycle=cyc.cycle, unit=cast.dept_a, kind="explanation", until=vn(2027, 1, 28, 17), reason="x", actor=cast.manager
    )
    c = login(cast.manager)
    url = f"/dot-danh-gia/{cyc.cycle.pk}/gia-han/{extension.pk}/thu-hoi/"
    assert c.post(url, {"reason": ""}).status_code == 200
    assert c.post(url, {"reason": "Nhầm"}).status_code == 302
    extension.refresh_from_db()
    assert extension.revoked_at is not None
    assert login(cast.officer_a).post(url, {"reason": "x"}).status_code == 403


# --- cycles, participants -----------------------------------------------------------------------------------------


def test_a_manager_creates_a_cycle_only_for_a_body_they_manage(cast, login):
    c = login(cast.manager)
    response = c.post("/dot-danh-gia/tao-moi/", {"year": 2027, "name": "Chỉ số 2027", "assessor": cast.home_affairs.pk})
    assert response.status_code == 302
    response = c.post("/dot-danh-gia/tao-moi/", {"year": 2027, "name": "X", "assessor": cast.other_province.pk})
    assert response.status_code == 200  # not a choice for this manager
    assert AuditEvent.objects.filter(action="cycle.created").count() == 1


def test_adding_and_withdrawing_a_participant(cyc, cast, login, now_inside):
    c = login(cast.manager)
    response = c.post(f"/dot-danh-gia/{cyc.cycle.pk}/don-vi/them/", {"unit": "P98", "group": cyc.group.pk}, follow=True)
    assert "Bạn không quản lý đơn vị “Tỉnh Bên Cạnh”" in response.content.decode()
    c.post(f"/dot-danh-gia/{cyc.cycle.pk}/don-vi/them/", {"unit": "P99-SNV", "group": cyc.group.pk})
    participant = Participant.objects.get(cycle=cyc.cycle, unit=cast.home_affairs)
    url = f"/dot-danh-gia/{cyc.cycle.pk}/don-vi/{participant.pk}/rut/"
    assert c.post(url, {"reason": ""}).status_code == 200
    assert c.post(url, {"reason": "Không thuộc đối tượng"}).status_code == 302
    participant.refresh_from_db()
    assert participant.withdrawn_at is not None
    page = c.get(f"/dot-danh-gia/{cyc.cycle.pk}/").content.decode()
    assert "Đã rút khỏi đợt" in page and "Chưa bắt đầu" in page


# --- tasks --------------------------------------------------------------------------------------------------------


def test_units_see_only_their_tasks_and_managers_the_overdue_ones(cyc, cast, task, login):
    services.task_create(cycle=cyc.cycle, actor=cast.manager, title="Việc của Sở Tài chính", lead_unit=cast.dept_b)
    with time_machine.travel(vn(2026, 12, 20, 9)):
        page = login(cast.manager).get(f"/dot-danh-gia/{cyc.cycle.pk}/ke-hoach/").content.decode()
        assert "1 nhiệm vụ quá hạn" in page and "table-danger" in page
        only = login(cast.manager).get(f"/dot-danh-gia/{cyc.cycle.pk}/ke-hoach/?overdue=on").content.decode()
        assert "Gửi báo cáo tự đánh giá" in only and "Việc của Sở Tài chính" not in only
        page_b = login(cast.officer_b).get(f"/dot-danh-gia/{cyc.cycle.pk}/ke-hoach/").content.decode()
        assert "Việc của Sở Tài chính" in page_b and "Gửi báo cáo tự đánh giá" not in page_b
        mine = login(cast.officer_a).get(f"/dot-danh-gia/{cyc.cycle.pk}/nhiem-vu-don-vi/").content.decode()
        assert "Gửi báo cáo tự đánh giá" in mine and "Việc của Sở Tài chính" not in mine


def test_the_lead_unit_updates_the_status_and_a_cooperating_unit_cannot(cyc, cast, task, login, now_inside):
    services.task_update(task=task, actor=cast.manager, cooperating_units=[cast.dept_b])
    task.refresh_from_db()
    url = f"/dot-danh-gia/{cyc.cycle.pk}/ke-hoach/{task.pk}/tinh-trang/"
    data = {"status": "done", "note": "Đã gửi", "updated_at": task.updated_at.isoformat()}
    assert login(cast.officer_b).get(f"/dot-danh-gia/{cyc.cycle.pk}/ke-hoach/{task.pk}/").status_code == 200
    assert login(cast.officer_b).post(url, data).status_code == 403
    assert login(cast.officer_a).post(url, data).status_code == 302
    task.refresh_from_db()
    assert task.status == "done"
    response = login(cast.officer_a).post(url, {**data, "status": "in_progress"}, follow=True)
    assert "đã được thay đổi lúc" in response.content.decode()  # the version read before is stale
    task.refresh_from_db()
    assert task.status == "done"


def test_a_manager_edits_and_cancels_a_task(cyc, cast, task, login, now_inside):
    c = login(cast.manager)
    url = f"/dot-danh-gia/{cyc.cycle.pk}/ke-hoach/{task.pk}/sua/"
    data = {
        "number": "1",
        "title": task.title,
        "lead_unit": cast.dept_a.pk,
        "cooperating_units": [cast.dept_b.pk],
        "deadline": "2026-12-20",
        "status": "in_progress",
        "updated_at": task.updated_at.isoformat(),
    }
    assert c.post(url, data).status_code == 302
    task.refresh_from_db()
    assert task.deadline == dt.date(2026, 12, 20)
    assert [u.pk for u in task.cooperating_units.all()] == [cast.dept_b.pk]
    stale = c.post(url, {**data, "deadline": "2026-12-25"})
    assert stale.status_code == 200 and 'data-testid="conflict"' in stale.content.decode()
    assert c.post(url, {**data, "lead_unit": "", "updated_at": task.updated_at.isoformat()}).status_code == 200
    cancel = f"/dot-danh-gia/{cyc.cycle.pk}/ke-hoach/{task.pk}/huy/"
    assert c.post(cancel, {"reason": "Không còn cần"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "cancelled"


def test_attachments_are_served_only_as_attachments_to_people_who_see_the_task(cyc, cast, task, attachment, login):
    url = f"/dot-danh-gia/{cyc.cycle.pk}/dinh-kem/{attachment.pk}/"
    response = login(cast.officer_a).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    assert login(cast.officer_b).get(url).status_code == 403
    services.task_attachment_remove(attachment=attachment, actor=cast.manager)
    assert login(cast.officer_a).get(url).status_code == 404


def test_an_upload_of_the_wrong_type_is_refused_and_nothing_stored(cyc, cast, task, login, now_inside):
    url = f"/dot-danh-gia/{cyc.cycle.pk}/ke-hoach/{task.pk}/dinh-kem/"
    response = login(cast.manager).post(url, {"file": SimpleUploadedFile("virus.pdf", b"MZ\x90 exe")}, follow=True)
    assert "không phải là tài liệu được chấp nhận" in response.content.decode()
    assert not TaskAttachment.objects.exists()


def test_importing_the_plan_previews_then_writes_on_confirmation(cyc, cast, login, now_inside):
    from parindex.cycles.tests.test_formats import GOOD, workbook

    c = login(cast.manager)
    url = f"/dot-danh-gia/{cyc.cycle.pk}/ke-hoach/nhap/"
    response = c.post(url, {"file": SimpleUploadedFile("ke-hoach.xlsx", workbook(GOOD))})
    page = response.content.decode()
    assert "Sẽ thêm 3, cập nhật 0, giữ nguyên 0 nhiệm vụ." in page
    assert "Thành viên Tổ thẩm định" in page and 'data-testid="import-warnings"' in page
    assert not Task.objects.exists()
    token = response.context["token"]
    assert c.post(f"{url}xac-nhan/", {"token": token}).status_code == 302
    assert Task.objects.count() == 3
    bad = c.post(url, {"file": SimpleUploadedFile("x.xlsx", workbook([[1, "", "", "", "", "", "", ""]]))})
    assert "Dòng 2, cột “Nhiệm vụ”: thiếu nội dung nhiệm vụ." in bad.content.decode()
    assert "token" not in bad.context or not bad.context.get("token")


# --- responsibility matrix ----------------------------------------------------------------------------------------


def test_the_unit_edits_its_matrix_and_another_unit_cannot(cyc, cast, login, now_inside):
    url = f"/dot-danh-gia/{cyc.cycle.pk}/phan-cong/{cast.dept_a.pk}/"
    n = cyc.nodes
    data = {f"n{n['1.1'].pk}-division": "Phòng Hành chính", f"n{n['1.1'].pk}-person": cast.officer_a.pk}
    assert login(cast.officer_b).post(url, data).status_code == 403
    assert login(cast.other_manager).post(url, data).status_code == 403
    assert login(cast.officer_a).post(url, data).status_code == 302
    row = Responsibility.objects.get()
    assert (row.node.code, row.division, row.person) == ("1.1", "Phòng Hành chính", cast.officer_a)
    bad = login(cast.officer_a).post(url, {f"n{n['1.2'].pk}-division": "", f"n{n['1.2'].pk}-cooperating": "VP"})
    assert "Tiêu chí 1.2: cần ghi bộ phận thực hiện." in bad.content.decode()
    assert Responsibility.objects.count() == 1
    assert login(cast.manager).post(url, {f"n{n['2.1'].pk}-division": "Phòng CNTT"}).status_code == 302
    assert Responsibility.objects.count() == 2
