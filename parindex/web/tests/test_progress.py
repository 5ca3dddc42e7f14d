"""The progress dashboard of a cycle (index managers of the assessing body, the council chair): every unit's state
with counts per state, self-scoring progress, criteria claiming points without evidence, appraisers' workload,
overdue tasks of the plan, the windows; the same data on the API. Queries stay bounded whatever the number of
units."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from parindex.appraisals.models import Assignment, CouncilMember, MemberRole
from parindex.assessments.services import entry_self_save
from parindex.cycles.factories import entry, inside
from parindex.cycles.models import Task, TaskStatus
from parindex.orgs.factories import UserFactory, make_unit


def url(cyc) -> str:
    return reverse("web:progress", args=[cyc.cycle.pk])


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def save(assessment, code, declared, actor, explanation=None):
    e = entry(assessment, code)
    kwargs = {"explanation": explanation} if explanation is not None else {}
    return entry_self_save(entry_id=e.pk, version=e.version, declared=declared, actor=actor, **kwargs)


def unit_row(page: str, code: str) -> str:
    return page.split(f'data-unit="{code}"')[1].split("</tr>")[0]


# --- access --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "admin", "chair"])
def test_managers_and_the_council_chair_see_the_dashboard(login, cast, cyc, who):
    user = getattr(cast, who, None) or getattr(cyc, who)
    page = body(login(user).get(url(cyc)))
    assert "Sở Tư pháp" in page and "Sở Tài chính" in page


@pytest.mark.parametrize("who", ["officer_a", "leader_a", "other_manager", "outsider", "appraiser", "member", "viewer"])
def test_everyone_else_is_refused(login, cast, cyc, who):
    user = getattr(cast, who, None) or getattr(cyc, who)
    response = login(user).get(url(cyc))
    assert response.status_code == 403
    assert "Bảng tiến độ dành cho quản lý Chỉ số" in response.content.decode()


def test_a_chair_by_seat_in_the_council_sees_it_without_a_role(login, cyc):
    chair = UserFactory(username="seat_chair")
    CouncilMember.objects.create(council=cyc.council, user=chair, role=MemberRole.CHAIR)
    assert body(login(chair).get(url(cyc)))
    assert "Tiến độ" in body(login(chair).get(reverse("home")))


def test_anonymous_visitors_are_sent_to_login(client, cyc):
    for target in (url(cyc), reverse("web:progress")):
        response = client.get(target)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_missing_cycle_is_not_found(login, cast, cyc):
    assert login(cast.manager).get(reverse("web:progress", args=[cyc.cycle.pk + 999])).status_code == 404


def test_the_picker_lists_the_cycles_in_scope(login, cast, cyc):
    assert "Chỉ số CCHC năm 2026" in body(login(cast.manager).get(reverse("web:progress")))
    assert "Chưa có đợt đánh giá nào" in body(login(cast.other_manager).get(reverse("web:progress")))
    assert login(cast.officer_a).get(reverse("web:progress")).status_code == 403
    assert login(cast.outsider).get(reverse("web:progress")).status_code == 403


# --- what it shows -------------------------------------------------------------------------------------------------


def test_counts_follow_the_entries_saved(login, cast, cyc):
    with time_machine.travel(inside("self_assessment")):
        save(cyc.assessment_a, "1.1", "97", cast.officer_a)  # 3 points, no evidence, no explanation
        save(cyc.assessment_a, "1.2", "có", cast.officer_a, explanation="Đã niêm yết tại bộ phận một cửa")
        save(cyc.assessment_a, "2.1", "0", cast.officer_a)  # no points claimed: nothing to prove
        page = body(login(cast.manager).get(url(cyc)))
    row_a = unit_row(page, cast.dept_a.code)
    assert 'data-testid="done">3/4<' in row_a
    assert 'data-testid="missing">1<' in row_a
    assert "Đang tự đánh giá" in row_a
    row_b = unit_row(page, cast.dept_b.code)
    assert 'data-testid="done">0/4<' in row_b and 'data-testid="missing">0<' in row_b
    assert "Chưa bắt đầu" in row_b
    assert 'data-state="in_progress" data-count="1"' in page
    assert 'data-state="not_started" data-count="1"' in page
    assert 'data-state="submitted" data-count="0"' in page


def test_filters_by_state_group_and_name(login, cast, cyc):
    with time_machine.travel(inside("self_assessment")):
        save(cyc.assessment_a, "1.1", "97", cast.officer_a)
    client = login(cast.manager)
    page = body(client.get(url(cyc) + "?trang-thai=in_progress"))
    assert 'data-unit="P99-STP"' in page and 'data-unit="P99-STC"' not in page
    page = body(client.get(url(cyc) + "?trang-thai=confirmed"))
    assert "Không có đơn vị nào khớp bộ lọc." in page
    page = body(client.get(url(cyc) + "?q=tài chính"))
    assert 'data-unit="P99-STC"' in page and 'data-unit="P99-STP"' not in page
    page = body(client.get(url(cyc) + f"?nhom={cyc.group.pk}"))
    assert 'data-unit="P99-STC"' in page and 'data-unit="P99-STP"' in page
    page = body(client.get(url(cyc) + "?trang-thai=khong-co&nhom=abc"))  # nonsense filters are ignored
    assert 'data-unit="P99-STC"' in page and 'data-unit="P99-STP"' in page


def test_a_withdrawn_unit_is_left_out(login, cast, cyc):
    from django.utils import timezone

    participant = cyc.assessment_b.participant
    participant.withdrawn_at = timezone.now()
    participant.save(update_fields=["withdrawn_at"])
    page = body(login(cast.manager).get(url(cyc)))
    assert 'data-unit="P99-STC"' not in page


def test_the_appraisers_workload(login, cast, cyc):
    # The appraiser has field 1 everywhere (3 criteria × 2 units); give them Sở Tài chính too (+ its criterion 2.1).
    Assignment.objects.create(cycle=cyc.cycle, appraiser=cyc.appraiser, unit=cast.dept_b)
    other = UserFactory(username="appraiser2", full_name="Đinh Văn Vòng Hai")
    Assignment.objects.create(cycle=cyc.cycle, appraiser=other, node=cyc.nodes["1.1"], unit=cast.dept_a)
    Assignment.objects.create(cycle=cyc.cycle, appraiser=other, node=cyc.nodes["2"], unit=cast.dept_a)
    e = entry(cyc.assessment_a, "1.1")
    e.round1_points = 3
    e.save(update_fields=["round1_points"])
    e = entry(cyc.assessment_b, "2.1")
    e.round1_points, e.round2_points = 1, 2
    e.save(update_fields=["round1_points", "round2_points"])
    page = body(login(cast.manager).get(url(cyc)))
    first = page.split('data-appraiser="appraiser"')[1].split("</tr>")[0]
    assert 'data-testid="assigned">7<' in first  # 1.1, 1.2, 1.3 in both units + 2.1 of Sở Tài chính; 3.1 is a survey
    assert 'data-testid="round1">2<' in first and 'data-testid="round2">1<' in first
    second = page.split('data-appraiser="appraiser2"')[1].split("</tr>")[0]
    assert 'data-testid="assigned">2<' in second  # 1.1 and 2.1 of Sở Tư pháp
    assert 'data-testid="round1">1<' in second and 'data-testid="round2">0<' in second


def test_an_ended_assignment_is_not_counted(login, cast, cyc):
    from django.utils import timezone

    Assignment.objects.filter(cycle=cyc.cycle).update(ended_at=timezone.now())
    assert "Chưa phân công thẩm định." in body(login(cast.manager).get(url(cyc)))


def test_overdue_tasks_are_listed(login, cast, cyc):
    today = dt.date(2026, 11, 20)
    Task.objects.create(cycle=cyc.cycle, number="1", title="Ban hành kế hoạch", deadline=today - dt.timedelta(days=1))
    Task.objects.create(
        cycle=cyc.cycle, number="2", title="Đã xong", deadline=today - dt.timedelta(days=5), status=TaskStatus.DONE
    )
    Task.objects.create(cycle=cyc.cycle, number="3", title="Còn hạn", deadline=today)
    Task.objects.create(
        cycle=cyc.cycle, number="4", title="Đã hủy", deadline=today - dt.timedelta(days=2), status=TaskStatus.CANCELLED
    )
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)):
        page = body(login(cast.manager).get(url(cyc)))
    overdue = page.split('data-testid="overdue"')[1].split("</table>")[0]
    assert "Ban hành kế hoạch" in overdue
    assert "Đã xong" not in overdue and "Còn hạn" not in overdue and "Đã hủy" not in overdue


def test_the_windows_are_shown_with_their_countdown(login, cast, cyc):
    with time_machine.travel(inside("self_assessment")):
        page = body(login(cast.manager).get(url(cyc)))
    windows = page.split('data-testid="windows"')[1]
    assert "Tự đánh giá, chấm điểm" in windows and "còn 43 ngày" in windows


def test_the_dashboard_costs_the_same_queries_for_many_units(login, cast, cyc, django_assert_max_num_queries):
    from parindex.cycles.services import participant_add

    client = login(cast.manager)
    client.get(url(cyc))  # warm the session
    for i in range(30):
        unit = make_unit(f"Xã số {i}", "commune", parent=cast.province)
        participant_add(cycle=cyc.cycle, unit=unit, group=cyc.group, actor=cast.manager)
    Assignment.objects.create(cycle=cyc.cycle, appraiser=cyc.appraiser, unit=unit)
    with django_assert_max_num_queries(30):
        assert body(client.get(url(cyc)))


# --- API -----------------------------------------------------------------------------------------------------------


def api(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_api_gives_the_same_data(cast, cyc):
    with time_machine.travel(inside("self_assessment")):
        save(cyc.assessment_a, "1.1", "97", cast.officer_a)
        data = api(cast.manager).get(f"/api/v1/progress/{cyc.cycle.pk}").json()
    assert data["units_total"] == 2 and data["count"] == 2
    states = {s["status"]: s["count"] for s in data["states"]}
    assert states["in_progress"] == 1 and states["not_started"] == 1
    unit_a = next(u for u in data["units"] if u["unit"]["code"] == "P99-STP")
    assert (unit_a["criteria_done"], unit_a["criteria_total"], unit_a["missing_evidence"]) == (1, 4, 1)
    assert data["workload"][0]["appraiser"]["username"] == "appraiser" and data["workload"][0]["assigned"] == 6
    window = next(w for w in data["windows"] if w["kind"] == "self_assessment")
    assert window["is_open"] is True and window["seconds_left"] > 0


def test_the_api_filters_and_pages(cast, cyc):
    client = api(cyc.chair)
    data = client.get(f"/api/v1/progress/{cyc.cycle.pk}?status=not_started&limit=1").json()
    assert data["count"] == 2 and len(data["units"]) == 1
    response = client.get(f"/api/v1/progress/{cyc.cycle.pk}?status=nonsense")
    assert response.status_code == 422


@pytest.mark.parametrize("who", ["officer_a", "other_manager", "outsider"])
def test_the_api_refuses_others(cast, cyc, who):
    response = api(getattr(cast, who)).get(f"/api/v1/progress/{cyc.cycle.pk}")
    assert response.status_code == 403
    assert "Bảng tiến độ" in response.json()["detail"]


def test_the_api_needs_a_signed_in_user_and_an_existing_cycle(client, cast, cyc):
    assert client.get(f"/api/v1/progress/{cyc.cycle.pk}").status_code == 401
    assert api(cast.manager).get(f"/api/v1/progress/{cyc.cycle.pk + 999}").status_code == 404
