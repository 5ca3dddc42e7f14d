"""A unit's to-do card on the home page: for each active cycle where the user is an officer or a leader, the state
of the unit's assessment, what is left to do and by when (the unit's extension included), with links."""

import datetime as dt

import time_machine
from django.urls import reverse

from parindex.assessments.services import entry_self_save
from parindex.cycles.factories import CLOSES, entry, inside
from parindex.cycles.models import Extension, Task, TaskStatus


def cards(client) -> list[str]:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode().split('data-testid="todo"')[1:]


def card_for(client, assessment) -> str:
    found = [c for c in cards(client) if c.startswith(f' data-assessment="{assessment.pk}"')]
    assert len(found) == 1
    return found[0].split('data-testid="home-unit"')[0]


def test_an_officer_sees_what_is_left_and_by_when(login, cast, cyc):
    with time_machine.travel(inside("self_assessment"), tick=False):
        e = entry(cyc.assessment_a, "1.1")
        entry_self_save(entry_id=e.pk, version=e.version, declared="97", actor=cast.officer_a)
        card = card_for(login(cast.officer_a), cyc.assessment_a)
    assert "Việc cần làm: Sở Tư pháp" in card and "Chỉ số CCHC năm 2026" in card
    assert "Đang tự đánh giá" in card
    assert "3 tiêu chí chưa tự chấm điểm" in card and "đã chấm 1/4" in card
    assert "1 tiêu chí có điểm nhưng chưa có tài liệu kiểm chứng hoặc giải trình" in card
    assert "Hạn “Tự đánh giá, chấm điểm”: 17:00 15/12/2026 (còn 43 ngày 9 giờ)" in card
    assert reverse("assessments:grid", args=[cyc.assessment_a.pk]) in card


def test_each_user_sees_only_their_own_units(login, cast, cyc):
    with time_machine.travel(inside("self_assessment")):
        assert len(cards(login(cast.officer_b))) == 1
        assert card_for(login(cast.officer_b), cyc.assessment_b)
        assert cards(login(cast.outsider)) == []
        assert cards(login(cast.manager)) == []  # a manager, not the unit's officer: the dashboard is theirs
        assert cards(login(cyc.appraiser)) == []


def test_cycles_not_in_progress_have_no_card(login, cast, cyc):
    cyc.cycle.status = "draft"
    cyc.cycle.save(update_fields=["status"])
    with time_machine.travel(inside("self_assessment")):
        assert cards(login(cast.officer_a)) == []


def test_the_deadline_includes_the_units_extension(login, cast, cyc):
    until = CLOSES["self_assessment"] + dt.timedelta(days=5)
    Extension.objects.create(
        cycle=cyc.cycle, unit=cast.dept_a, kind="self_assessment", until=until, reason="lý do", granted_by=cast.manager
    )
    with time_machine.travel(CLOSES["self_assessment"] + dt.timedelta(days=1), tick=False):
        card = card_for(login(cast.officer_a), cyc.assessment_a)
        other = card_for(login(cast.officer_b), cyc.assessment_b)
    assert "17:00 20/12/2026 (còn 4 ngày" in card and "đã gia hạn" in card
    assert "đã kết thúc lúc 17:00 15/12/2026" in other


def test_a_leader_is_asked_to_review_and_submit(login, cyc):
    cyc.assessment_a.status = "awaiting_review"
    cyc.assessment_a.save(update_fields=["status"])
    with time_machine.travel(inside("self_assessment")):
        assert "Bản tự đánh giá chờ bạn duyệt và gửi" in card_for(login(cyc.leader_a), cyc.assessment_a)


def test_explanations_requested_and_unanswered_are_listed_with_their_window(login, cast, cyc):
    cyc.assessment_a.status = "explanation_requested"
    cyc.assessment_a.save(update_fields=["status"])
    for code, answered in (("1.1", None), ("1.2", inside("explanation"))):
        e = entry(cyc.assessment_a, code)
        e.explanation_request = "Đề nghị giải trình"
        e.explanation_requested_at = inside("appraisal_1")
        e.explanation_answered_at = answered
        e.save(update_fields=["explanation_request", "explanation_requested_at", "explanation_answered_at"])
    with time_machine.travel(inside("explanation")):
        card = card_for(login(cast.officer_a), cyc.assessment_a)
    assert "1 yêu cầu giải trình chưa trả lời" in card
    assert "Hạn “Giải trình”: 17:00 25/01/2027" in card
    assert reverse("appraisals:explanations", args=[cyc.assessment_a.pk]) in card
    assert "chưa tự chấm điểm" not in card


def test_tasks_the_unit_leads_and_has_not_finished(login, cast, cyc):
    Task.objects.create(cycle=cyc.cycle, title="Báo cáo", lead_unit=cast.dept_a, deadline=dt.date(2026, 11, 1))
    Task.objects.create(cycle=cyc.cycle, title="Xong", lead_unit=cast.dept_a, status=TaskStatus.DONE)
    Task.objects.create(cycle=cyc.cycle, title="Của đơn vị khác", lead_unit=cast.dept_b)
    with time_machine.travel(inside("self_assessment")):
        card = card_for(login(cast.officer_a), cyc.assessment_a)
    assert "1 nhiệm vụ kế hoạch đơn vị chủ trì chưa hoàn thành" in card and "(1 quá hạn)" in card


def test_a_submitted_unit_is_told_it_may_still_add_evidence(login, cast, cyc):
    cyc.assessment_a.status = "submitted"
    cyc.assessment_a.save(update_fields=["status"])
    with time_machine.travel(inside("self_assessment")):
        card = card_for(login(cast.officer_a), cyc.assessment_a)
    assert "Đã gửi bản tự đánh giá" in card and "chưa tự chấm điểm" not in card
    assert "Hạn “Bổ sung tài liệu kiểm chứng”: 17:00 31/12/2026" in card


def test_the_home_page_stays_cheap_for_a_unit_officer(login, cast, cyc, django_assert_max_num_queries):
    client = login(cast.officer_a)
    client.get(reverse("home"))
    with time_machine.travel(inside("self_assessment")), django_assert_max_num_queries(14):
        client.get(reverse("home"))
