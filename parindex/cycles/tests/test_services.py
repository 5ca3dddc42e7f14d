"""Writes on cycles: each audited, bad input refused naming the field (or row), and then nothing stored."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from parindex.core.exceptions import ConflictError
from parindex.core.models import AuditEvent, Notification
from parindex.cycles import services
from parindex.cycles.factories import CLOSES, WINDOWS, inside, vn
from parindex.cycles.models import Extension, Participant, Responsibility, Task, TaskAttachment, Window

pytestmark = [pytest.mark.django_db]


def field_errors(exc_info) -> dict:
    return exc_info.value.message_dict


# --- cycles, status, participants ---------------------------------------------------------------------------------


def test_creating_a_cycle_is_audited_and_a_duplicate_name_refused(cast):
    cycle = services.cycle_create(year=2027, name="Chỉ số 2027", assessor=cast.home_affairs, actor=cast.manager)
    event = AuditEvent.objects.get(action="cycle.created")
    assert event.object_id == str(cycle.pk) and event.actor == cast.manager
    with pytest.raises(ValidationError) as exc:
        services.cycle_create(year=2027, name="Chỉ số 2027", assessor=cast.home_affairs, actor=cast.manager)
    assert "name" in field_errors(exc)
    with pytest.raises(ValidationError) as exc:
        services.cycle_create(year=1999, name="Cũ", assessor=cast.home_affairs, actor=cast.manager)
    assert "year" in field_errors(exc)


def test_reopening_a_closed_cycle_needs_a_reason(cyc, cast):
    services.cycle_status_set(cycle=cyc.cycle, status="closed", actor=cast.manager)
    with pytest.raises(ValidationError) as exc:
        services.cycle_status_set(cycle=cyc.cycle, status="active", actor=cast.manager)
    assert "reason" in field_errors(exc)
    cyc.cycle.refresh_from_db()
    assert cyc.cycle.status == "closed"
    with pytest.raises(ValidationError):
        services.cycle_status_set(cycle=cyc.cycle, status="draft", actor=cast.manager)
    services.cycle_status_set(cycle=cyc.cycle, status="active", actor=cast.manager, reason="Bổ sung đơn vị")
    event = AuditEvent.objects.filter(action="cycle.status_set").latest("id")
    assert event.changes == {"status": ["closed", "active"]} and event.reason == "Bổ sung đơn vị"


def test_a_withdrawn_unit_leaves_the_cycle_and_can_come_back(cyc, cast):
    participant = Participant.objects.get(cycle=cyc.cycle, unit=cast.dept_b)
    with pytest.raises(ValidationError) as exc:
        services.participant_withdraw(participant=participant, actor=cast.manager, reason=" ")
    assert "reason" in field_errors(exc)
    services.participant_withdraw(participant=participant, actor=cast.manager, reason="Sáp nhập")
    participant.refresh_from_db()
    assert participant.withdrawn_at is not None
    assert AuditEvent.objects.filter(action="cycle.participant_withdrawn", reason="Sáp nhập").exists()
    services.participant_add(cycle=cyc.cycle, unit=cast.dept_b, group=cyc.group, actor=cast.manager)
    participant.refresh_from_db()
    assert participant.withdrawn_at is None
    assert AuditEvent.objects.filter(action="cycle.participant_added", object_id=str(participant.pk)).exists()


# --- windows ------------------------------------------------------------------------------------------------------


def test_moving_a_window_needs_a_reason_and_is_audited_with_old_and_new(cyc, cast):
    opens, closes = WINDOWS["self_assessment"]
    new_close = vn(2026, 12, 18, 17)
    with pytest.raises(ValidationError) as exc:
        services.window_set(
            cycle=cyc.cycle, kind="self_assessment", opens_at=opens, closes_at=new_close, actor=cast.manager
        )
    assert "reason" in field_errors(exc)
    assert Window.objects.get(cycle=cyc.cycle, kind="self_assessment").closes_at == closes
    services.window_set(
        cycle=cyc.cycle, kind="self_assessment", opens_at=opens, closes_at=new_close, actor=cast.manager, reason="QĐ 12"
    )
    event = AuditEvent.objects.filter(action="cycle.window_set").latest("id")
    assert event.reason == "QĐ 12"
    assert [dt.datetime.fromisoformat(v) for v in event.changes["closes_at"]] == [closes, new_close]


def test_a_window_closing_before_it_opens_is_refused_and_nothing_changes(cyc, cast):
    opens, closes = WINDOWS["explanation"]
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.window_set(
            cycle=cyc.cycle, kind="explanation", opens_at=opens, closes_at=opens, actor=cast.manager, reason="x"
        )
    assert "closes_at" in field_errors(exc)
    with pytest.raises(ValidationError) as exc:
        services.window_set(
            cycle=cyc.cycle, kind="nope", opens_at=opens, closes_at=closes, actor=cast.manager, reason="x"
        )
    assert "kind" in field_errors(exc)
    with pytest.raises(ValidationError):
        services.window_set(
            cycle=cyc.cycle,
            kind="explanation",
            opens_at=dt.datetime(2027, 1, 16, 8),
            closes_at=dt.datetime(2027, 1, 25, 17),
            actor=cast.manager,
            reason="x",
        )
    assert Window.objects.get(cycle=cyc.cycle, kind="explanation").closes_at == closes
    assert AuditEvent.objects.count() == before


# --- extensions ---------------------------------------------------------------------------------------------------


@pytest.fixture
def after_close():
    with time_machine.travel(CLOSES["self_assessment"] + dt.timedelta(hours=1)):
        yield


def test_granting_an_extension_is_audited_and_notifies_the_unit(cyc, cast, after_close):
    until = vn(2026, 12, 22, 17)
    extension = services.extension_grant(
        cycle=cyc.cycle, unit=cast.dept_a, kind="self_assessment", until=until, reason="Mất điện", actor=cast.manager
    )
    event = AuditEvent.objects.get(action="cycle.extension_granted")
    assert event.unit == cast.dept_a and event.reason == "Mất điện"
    assert [dt.datetime.fromisoformat(v) for v in event.changes["until"]] == [CLOSES["self_assessment"], until]
    notified = set(
        Notification.objects.filter(key=f"cycle-extension:{extension.pk}").values_list("user__username", flat=True)
    )
    assert notified == {"officer_a", "leader_a"}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"until": CLOSES["self_assessment"]}, "until"),
        ({"until": CLOSES["self_assessment"] - dt.timedelta(days=1)}, "until"),
        ({"kind": "appraisal_1"}, "kind"),
        ({"reason": "  "}, "reason"),
        ({"unit": "other_province"}, "unit"),
    ],
)
def test_a_bad_extension_is_refused_naming_the_field_and_nothing_is_stored(cyc, cast, after_close, change, field):
    values = {"unit": cast.dept_a, "kind": "self_assessment", "until": vn(2026, 12, 22, 17), "reason": "Lý do"}
    values.update(change)
    if values["unit"] == "other_province":
        values["unit"] = cast.other_province
    with pytest.raises(ValidationError) as exc:
        services.extension_grant(cycle=cyc.cycle, actor=cast.manager, **values)
    assert field in field_errors(exc)
    assert not Extension.objects.exists()
    assert not AuditEvent.objects.filter(action="cycle.extension_granted").exists()


def test_a_withdrawn_unit_gets_no_extension(cyc, cast, after_close):
    participant = Participant.objects.get(cycle=cyc.cycle, unit=cast.dept_b)
    services.participant_withdraw(participant=participant, actor=cast.manager, reason="Sáp nhập")
    with pytest.raises(ValidationError) as exc:
        services.extension_grant(
            cycle=cyc.cycle,
            unit=cast.dept_b,
            kind="self_assessment",
            until=vn(2026, 12, 22),
            reason="x",
            actor=cast.manager,
        )
    assert "unit" in field_errors(exc)


@pytest.mark.parametrize("who", ["officer_a", "other_manager", "outsider"])
def test_only_a_manager_of_the_assessing_body_grants_an_extension(cyc, cast, after_close, who):
    with pytest.raises(PermissionDenied):
        services.extension_grant(
            cycle=cyc.cycle,
            unit=cast.dept_a,
            kind="self_assessment",
            until=vn(2026, 12, 22, 17),
            reason="Lý do",
            actor=getattr(cast, who),
        )
    assert not Extension.objects.exists()


def test_revoking_needs_a_reason_is_audited_and_happens_once(cyc, cast, after_close):
    extension = services.extension_grant(
        cycle=cyc.cycle,
        unit=cast.dept_a,
        kind="supplementary",
        until=vn(2027, 1, 3, 17),
        reason="x",
        actor=cast.manager,
    )
    with pytest.raises(ValidationError) as exc:
        services.extension_revoke(extension=extension, actor=cast.manager, reason="")
    assert "reason" in field_errors(exc)
    services.extension_revoke(extension=extension, actor=cast.manager, reason="Đã nộp đủ")
    extension.refresh_from_db()
    assert extension.revoked_by == cast.manager and extension.revoke_reason == "Đã nộp đủ"
    assert AuditEvent.objects.filter(action="cycle.extension_revoked", reason="Đã nộp đủ").count() == 1
    with pytest.raises(ValidationError):
        services.extension_revoke(extension=extension, actor=cast.manager, reason="again")
    with pytest.raises(PermissionDenied):
        services.extension_revoke(extension=extension, actor=cast.officer_a, reason="again")


# --- tasks --------------------------------------------------------------------------------------------------------


def test_tasks_are_numbered_audited_and_a_duplicate_number_or_missing_lead_refused(cyc, cast, task):
    assert task.number == "1"
    second = services.task_create(
        cycle=cyc.cycle, actor=cast.manager, title="Họp Tổ thẩm định", lead_text="Tổ thẩm định"
    )
    assert second.number == "2" and second.lead_unit is None
    assert AuditEvent.objects.filter(action="cycle.task_created").count() == 2
    with pytest.raises(ValidationError) as exc:
        services.task_create(cycle=cyc.cycle, actor=cast.manager, title="Trùng", number="2", lead_unit=cast.dept_b)
    assert "number" in field_errors(exc)
    with pytest.raises(ValidationError) as exc:
        services.task_create(cycle=cyc.cycle, actor=cast.manager, title="Không ai chủ trì")
    assert "lead_unit" in field_errors(exc)
    with pytest.raises(ValidationError) as exc:
        services.task_create(cycle=cyc.cycle, actor=cast.manager, title=" ", lead_unit=cast.dept_b)
    assert "title" in field_errors(exc)
    assert Task.objects.count() == 2


def test_a_stale_task_update_is_a_conflict_with_the_other_value(cyc, cast, task):
    read = task.updated_at
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)):
        services.task_update(task=task, actor=cast.manager, expected_updated_at=read, product="Báo cáo số 1")
    with pytest.raises(ConflictError) as exc:
        services.task_update(task=task, actor=cast.manager, expected_updated_at=read, product="Báo cáo khác")
    assert exc.value.current["product"] == "Báo cáo số 1"
    task.refresh_from_db()
    assert task.product == "Báo cáo số 1"
    event = AuditEvent.objects.get(action="cycle.task_updated")
    assert event.changes == {"product": ["Báo cáo", "Báo cáo số 1"]}


def test_the_lead_unit_reports_progress_but_cannot_cancel(cyc, cast, task):
    services.task_status_set(task=task, status="done", note="Đã gửi", actor=cast.officer_a)
    task.refresh_from_db()
    assert task.status == "done" and task.completed_at is not None and task.note == "Đã gửi"
    assert AuditEvent.objects.filter(action="cycle.task_status_set", actor=cast.officer_a).exists()
    with pytest.raises(ValidationError) as exc:
        services.task_status_set(task=task, status="cancelled", actor=cast.officer_a)
    assert "status" in field_errors(exc)
    services.task_status_set(task=task, status="in_progress", actor=cast.officer_a)
    task.refresh_from_db()
    assert task.completed_at is None


def test_cancelling_needs_a_reason_and_keeps_the_task(cyc, cast, task):
    with pytest.raises(ValidationError) as exc:
        services.task_cancel(task=task, actor=cast.manager, reason="")
    assert "reason" in field_errors(exc)
    services.task_cancel(task=task, actor=cast.manager, reason="Trùng nhiệm vụ 2")
    task.refresh_from_db()
    assert task.status == "cancelled"
    assert AuditEvent.objects.filter(action="cycle.task_cancelled", reason="Trùng nhiệm vụ 2").exists()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_an_attachment_is_checked_by_content_and_stored_with_its_hash(cyc, cast, task):
    fake = SimpleUploadedFile("bao-cao.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        services.task_attachment_add(task=task, upload=fake, actor=cast.manager)
    assert "file" in field_errors(exc)
    assert not TaskAttachment.objects.exists()
    good = SimpleUploadedFile("../../Kế hoạch <b>.pdf", PDF, content_type="application/pdf")
    attachment = services.task_attachment_add(task=task, upload=good, actor=cast.manager)
    assert attachment.original_name == "Kế hoạch b.pdf"
    assert len(attachment.sha256) == 64 and attachment.size == len(PDF)
    assert AuditEvent.objects.filter(action="cycle.task_attachment_added").exists()
    services.task_attachment_remove(attachment=attachment, actor=cast.manager, reason="Nhầm tệp")
    attachment.refresh_from_db()
    assert attachment.removed_at is not None


# --- responsibility matrix ----------------------------------------------------------------------------------------


def test_the_matrix_is_saved_all_or_nothing_and_audited(cyc, cast):
    participant = Participant.objects.get(cycle=cyc.cycle, unit=cast.dept_a)
    n = cyc.nodes
    with pytest.raises(ValidationError) as exc:
        services.responsibilities_save(
            participant=participant,
            rows={
                n["1.1"].pk: {"division": "Phòng Hành chính", "cooperating": "", "note": ""},
                n["1.2"].pk: {"division": "", "cooperating": "Văn phòng", "note": ""},
                n["2.1"].pk: {"division": "Phòng CNTT", "person": cast.officer_b},
            },
            actor=cast.officer_a,
        )
    assert set(field_errors(exc)) == {"1.2.division", "2.1.person"}
    assert not Responsibility.objects.exists()
    counts = services.responsibilities_save(
        participant=participant,
        rows={
            n["1.1"].pk: {"division": "Phòng Hành chính", "cooperating": "Văn phòng Sở", "person": cast.officer_a},
            n["2.1"].pk: {"division": "Phòng CNTT"},
        },
        actor=cast.officer_a,
    )
    assert counts == {"created": 2, "updated": 0, "cleared": 0}
    counts = services.responsibilities_save(
        participant=participant,
        rows={n["2.1"].pk: {"division": ""}, n["1.1"].pk: {"division": "Phòng TTHC"}},
        actor=cast.officer_a,
    )
    assert counts == {"created": 0, "updated": 1, "cleared": 1}
    assert list(Responsibility.objects.values_list("node__code", "division")) == [("1.1", "Phòng TTHC")]
    event = AuditEvent.objects.filter(action="cycle.responsibilities_saved").latest("id")
    assert event.changes == {
        "1.1.division": ["Phòng Hành chính", "Phòng TTHC"],
        "1.1.cooperating": ["Văn phòng Sở", ""],
        "1.1.person": [str(cast.officer_a.pk), None],
        "2.1.division": ["Phòng CNTT", None],
    }


def test_a_node_of_another_framework_is_refused(cyc, cast):
    from parindex.frameworks.models import Node

    participant = Participant.objects.get(cycle=cyc.cycle, unit=cast.dept_a)
    foreign = Node.objects.exclude(framework=cyc.framework).first()
    key = foreign.pk if foreign else 10**9
    with pytest.raises(ValidationError):
        services.responsibilities_save(participant=participant, rows={key: {"division": "X"}}, actor=cast.manager)
    assert not Responsibility.objects.exists()


def test_writes_in_a_closed_cycle_are_refused(cyc, cast, task):
    services.cycle_status_set(cycle=cyc.cycle, status="closed", actor=cast.manager)
    with time_machine.travel(inside("self_assessment")), pytest.raises(ValidationError):
        services.task_create(cycle=cyc.cycle, actor=cast.manager, title="Mới", lead_unit=cast.dept_a)
    assert Task.objects.count() == 1
