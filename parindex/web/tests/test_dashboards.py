"""Dashboards: the cycle at a glance for index managers (units by state, deadlines, survey progress, draft results by
class, overdue tasks), the leaders' overview of published results with the year-over-year movement, and a unit's own
result on its home page. Each with its data, its charts (inline SVG), and who may see what: drafts never reach
viewers nor units."""

import datetime as dt
from decimal import Decimal as D

import pytest
import time_machine
from django.urls import reverse

from parindex.cycles.factories import inside
from parindex.cycles.models import Task, TaskStatus
from parindex.orgs.factories import UserFactory, grant
from parindex.orgs.models import Role
from parindex.scoring.models import JobState, ResultSet, ResultStatus, UnitResult
from parindex.scoring.services import resultset_approve, resultset_publish
from parindex.web import selectors

OVERVIEW = "/tong-quan/"


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def glance_url(cyc) -> str:
    return reverse("web:progress", args=[cyc.cycle.pk])


def block(page: str, testid: str) -> str:
    """The markup of the element carrying ``data-testid=testid``, up to the next block of the same level."""
    return page.split(f'data-testid="{testid}"')[1].split('data-testid="glance-')[0]


def svg_count(html: str) -> int:
    return html.count("<svg ")


def publish(res, cast):
    resultset_approve(result_set=res.result_set, actor=res.chair)
    res.result_set = resultset_publish(result_set=res.result_set, actor=cast.manager, decision="QĐ 15/QĐ-UBND")
    return res


def previous_year(res, cast, *, status=ResultStatus.PUBLISHED, a="70.00", b="60.00") -> ResultSet:
    """A 2025 set of the same group: Sở Tư pháp at ``a`` %, Sở Tài chính at ``b`` %."""
    rs = ResultSet.objects.create(
        year=2025, group=res.group, status=status, job_state=JobState.DONE, title="Chỉ số CCHC năm 2025"
    )
    for rank, (unit, percent) in enumerate(sorted(((cast.dept_a, a), (cast.dept_b, b)), key=lambda x: -D(x[1])), 1):
        UnitResult.objects.create(
            result_set=rs,
            unit=unit,
            percent=D(percent),
            points=D(percent) / 10,
            rank=rank,
            class_code="C",
            class_name="C",
            components={"1": {"percent": "50.00"}, "2": {"percent": "40.00"}},
        )
    return rs


@pytest.fixture
def published(res, cast):
    return publish(res, cast)


# --- the cycle at a glance (managers) ------------------------------------------------------------------------------


def test_the_glance_counts_units_by_state_with_a_chart(login, cast, cyc):
    page = body(login(cast.manager).get(glance_url(cyc)))
    states = block(page, "glance-states")
    assert '<tr data-state="not_started">' in states
    assert states.split('data-state="not_started"')[1].split('data-testid="state-count">')[1].startswith("2<")
    assert svg_count(states) == 1 and "<title" in states and "Chưa bắt đầu: 2 đơn vị" in states
    chart = states.split("</figure>")[0]
    assert "Đã gửi" not in chart  # only the states holding units are drawn; the table lists them all
    assert '<tr data-state="submitted">' in states
    assert "theo trạng thái tự đánh giá" in states and "theo xếp loại" not in states  # the relabelled alternative
    assert "#don-vi" in states


def test_the_glance_lists_the_open_and_next_deadlines(login, cast, cyc):
    with time_machine.travel(inside("self_assessment"), tick=False):
        page = body(login(cast.manager).get(glance_url(cyc)))
    deadlines = block(page, "glance-deadlines")
    opened = [chunk.split('"')[0] for chunk in deadlines.split('data-testid="deadline-open" data-kind="')[1:]]
    assert opened == ["self_assessment", "supplementary", "survey"]  # the soonest close first
    assert "hạn 17:00 15/12/2026 (còn 43 ngày 9 giờ)" in deadlines
    upcoming = [chunk.split('"')[0] for chunk in deadlines.split('data-testid="deadline-upcoming" data-kind="')[1:]]
    assert upcoming == ["appraisal_1", "explanation", "appraisal_2"]
    assert reverse("cycles:windows", args=[cyc.cycle.pk]) in deadlines


def test_the_glance_says_when_there_is_no_survey(login, cast, cyc):
    surveys = block(body(login(cast.manager).get(glance_url(cyc))), "glance-surveys")
    assert 'data-testid="no-survey"' in surveys and svg_count(surveys) == 0


def test_the_glance_shows_survey_progress_per_group_as_the_survey_counts_it(login, cast, srv):
    from parindex.surveys.progress import progress_counts
    from parindex.surveys.tests.synthetic import invite, respond

    s = srv.survey
    respond(s, group=srv.officials, rated_unit=cast.dept_a, answers="ABC")
    invite(s, group=srv.officials, rated_unit=cast.dept_a, name="Nguyễn Văn Chưa Trả Lời")
    invite(s, group=srv.officials, rated_unit=cast.dept_b, name="Trần Thị Chưa Mở")
    respond(s, group=srv.citizens, rated_unit=cast.dept_a, answers="AAB")
    respond(s, group=srv.citizens, rated_unit=cast.dept_b, answers="AB", status="in_progress", name="Lê Đang Làm")

    data = selectors.cycle_surveys(s.cycle, cast.manager)
    assert len(data) == 1
    groups = {g["name"]: (g["invited"], g["answered"], g["rate"]) for g in data[0]["groups"]}
    assert groups == {"Lãnh đạo, công chức sở": (3, 1, D("33.33")), "Người dân, tổ chức": (2, 1, D("50.00"))}
    counts = {g["name"]: (g["counts"].invited, g["counts"].answered) for g in progress_counts(survey=s).groups}
    assert counts == {name: (i, a) for name, (i, a, _r) in groups.items()}
    assert (data[0]["invited"], data[0]["answered"], data[0]["rate"]) == (5, 2, D("40.00"))

    page = body(login(cast.manager).get(reverse("web:progress", args=[s.cycle_id])))
    surveys = block(page, "glance-surveys")
    assert "2/5 phiếu đã trả lời (40,00%)" in surveys
    assert surveys.count('data-testid="survey-group"') == 2 and "33,33%" in surveys
    assert svg_count(surveys) == 1 and "Lãnh đạo, công chức sở: 1/3 phiếu" in surveys
    assert reverse("surveys:progress", args=[s.pk]) in surveys


def test_the_glance_shows_draft_results_by_class_with_a_link_to_the_ranking(login, cast, res):
    page = body(login(cast.manager).get(glance_url(res)))
    results = block(page, "glance-results")
    assert 'data-status="draft"' in results and "Dự thảo" in results
    classes = {
        chunk.split('"')[0]: chunk.split('<td class="text-end">')[1].split("<")[0]
        for chunk in results.split('data-testid="class-count" data-class="')[1:]
    }
    assert classes == {"A": "0", "B": "0", "C": "0", "D": "2"}
    assert svg_count(results) == 1 and "Loại D: 2 đơn vị (100,0%)" in results
    assert reverse("scoring:detail", args=[res.result_set.pk]) in results


def test_the_glance_shows_the_published_set_once_published(login, cast, published):
    results = block(body(login(cast.manager).get(glance_url(published))), "glance-results")
    assert 'data-status="published"' in results


def test_the_glance_says_when_results_are_not_computed(login, cast, cyc):
    results = block(body(login(cast.manager).get(glance_url(cyc))), "glance-results")
    assert "Chưa tính kết quả" in results and svg_count(results) == 0


def test_the_council_chair_sees_the_draft_results_on_the_glance(login, res):
    results = block(body(login(res.chair).get(glance_url(res))), "glance-results")
    assert 'data-status="draft"' in results


def test_the_glance_lists_overdue_tasks_with_links(login, cast, cyc):
    late = Task.objects.create(cycle=cyc.cycle, number="1", title="Ban hành kế hoạch", deadline=dt.date(2026, 3, 1))
    Task.objects.create(cycle=cyc.cycle, number="2", title="Đã xong", deadline=dt.date(2026, 3, 1), status="done")
    Task.objects.create(cycle=cyc.cycle, number="3", title="Còn hạn", deadline=dt.date(2099, 1, 1))
    Task.objects.create(
        cycle=cyc.cycle, number="4", title="Đã hủy", deadline=dt.date(2026, 3, 1), status=TaskStatus.CANCELLED
    )
    with time_machine.travel(inside("self_assessment"), tick=False):
        overdue = block(body(login(cast.manager).get(glance_url(cyc))), "glance-overdue")
    assert "Ban hành kế hoạch" in overdue and "(1)" in overdue
    assert "Đã xong" not in overdue and "Còn hạn" not in overdue and "Đã hủy" not in overdue
    assert reverse("cycles:task_detail", args=[cyc.cycle.pk, late.pk]) in overdue
    assert reverse("cycles:plan", args=[cyc.cycle.pk]) in overdue


@pytest.mark.parametrize("who", ["viewer", "officer_a", "leader_a", "other_manager", "outsider", "member"])
def test_the_glance_is_refused_to_everyone_else(login, cast, res, who):
    user = getattr(cast, who, None) or getattr(res, who)
    response = login(user).get(glance_url(res))
    assert response.status_code == 403
    assert "Dự thảo" not in response.content.decode()


def test_the_glance_sends_anonymous_visitors_to_login(client, res):
    response = client.get(glance_url(res))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_charts_are_drawn_once_for_the_same_data(login, cast, res, monkeypatch):
    from parindex.reports import charts

    drawn = []
    original = charts.class_distribution
    monkeypatch.setattr(charts, "class_distribution", lambda *a, **k: drawn.append(a) or original(*a, **k))
    client = login(cast.manager)
    first = body(client.get(glance_url(res)))
    assert len(drawn) == 2  # units by state, results by class
    second = body(client.get(glance_url(res)))
    assert len(drawn) == 2
    assert block(first, "glance-results") == block(second, "glance-results")


def test_the_glance_costs_a_bounded_number_of_queries(login, cast, res, srv, django_assert_max_num_queries):
    from parindex.cycles.services import participant_add
    from parindex.orgs.factories import make_unit

    client = login(cast.manager)
    client.get(glance_url(res))  # warm the session
    for i in range(30):
        unit = make_unit(f"Xã số {i}", "commune", parent=cast.province)
        participant_add(cycle=res.cycle, unit=unit, group=res.group, actor=cast.manager)
    with django_assert_max_num_queries(30):  # 23 today: the glance adds about six grouped queries
        assert body(client.get(glance_url(res)))


# --- the leaders' overview (viewers) -------------------------------------------------------------------------------


def test_a_viewer_sees_the_published_ranking_with_charts_and_scorecard_links(login, cast, published):
    rs = published.result_set
    page = body(login(published.viewer).get(OVERVIEW))
    assert page.count('data-testid="overview-set"') == 1
    rows = page.split('data-testid="ranking-row"')[1:]
    assert [r.split('data-unit="')[1].split('"')[0] for r in rows] == ["P99-STC", "P99-STP"]
    assert "66,67" in rows[0] and "58,33" in rows[1]
    assert reverse("scoring:unit", args=[rs.pk, cast.dept_b.pk]) in rows[0]
    assert reverse("scoring:detail", args=[rs.pk]) in page
    ranking_chart = page.split('data-testid="ranking-chart"')[1].split("</figure>")[0]
    assert "<svg " in ranking_chart and "1. Sở Tài chính 66,67%" in ranking_chart
    classes = page.split('data-testid="overview-classes"')[1].split('data-testid="movement"')[0]
    assert svg_count(classes) == 1 and "Loại D: 2 đơn vị" in classes
    assert 'data-testid="no-previous"' in page  # nothing published for 2025


def test_the_overview_shows_the_movement_against_the_previous_published_year(login, cast, published):
    previous_year(published, cast, a="70.00", b="60.00")
    data = selectors.leader_overview(published.viewer)
    m = data["blocks"][0]["movement"]
    assert m["previous"].year == 2025
    assert (m["rose_count"], m["fell_count"], m["same_count"], m["compared"]) == (1, 1, 0, 2)
    assert [(r["unit"], r["percent_change"]) for r in m["rose"]] == [("Sở Tài chính", D("6.67"))]
    assert [(r["unit"], r["percent_change"]) for r in m["fell"]] == [("Sở Tư pháp", D("-11.67"))]
    assert m["average_change"] == D("-2.50")  # (6.67 − 11.67) / 2
    assert (m["average"], m["previous_average"]) == (D("62.50"), D("65.00"))

    page = body(login(published.viewer).get(OVERVIEW))
    movement = page.split('data-testid="movement"')[1]
    assert 'data-testid="average-change">-2,50<' in movement
    assert "So với kết quả đã công bố năm 2025" in movement
    assert "Sở Tài chính" in movement.split('data-testid="rose"')[1].split("</ol>")[0]
    assert "Sở Tư pháp" in movement.split('data-testid="fell"')[1].split("</ol>")[0]


def test_the_overview_offers_earlier_published_sets(login, cast, published):
    earlier = previous_year(published, cast)
    client = login(published.viewer)
    page = body(client.get(OVERVIEW))
    assert page.count('data-testid="overview-set"') == 1  # the latest of the group
    assert f"?bo={earlier.pk}" in page
    chosen = body(client.get(OVERVIEW, {"bo": earlier.pk}))
    assert f'data-set="{earlier.pk}"' in chosen and "70,00" in chosen


def test_a_viewer_never_sees_draft_results(login, cast, res):
    viewer = res.viewer
    page = body(login(viewer).get(OVERVIEW))
    assert 'data-testid="no-results"' in page
    assert "66,67" not in page and "58,33" not in page
    assert login(viewer).get(OVERVIEW, {"bo": res.result_set.pk}).status_code == 404
    resultset_approve(result_set=res.result_set, actor=res.chair)  # approved is not published either
    assert 'data-testid="no-results"' in body(login(viewer).get(OVERVIEW))
    assert 'data-testid="unit-result"' not in body(login(viewer).get(reverse("home")))


def test_a_draft_of_the_previous_year_never_feeds_the_movement(login, cast, published):
    draft = previous_year(published, cast, status=ResultStatus.DRAFT, a="12.34", b="43.21")
    page = body(login(published.viewer).get(OVERVIEW))
    assert "12,34" not in page and "43,21" not in page and "-45" not in page
    assert 'data-testid="no-previous"' in page
    assert f"?bo={draft.pk}" not in page
    assert login(published.viewer).get(OVERVIEW, {"bo": draft.pk}).status_code == 404


def test_the_overview_of_another_province_shows_nothing_of_ours(login, cast, published):
    viewer_b = UserFactory(username="viewer_b")
    grant(viewer_b, cast.other_province, Role.VIEWER, includes_subunits=True)
    page = body(login(viewer_b).get(OVERVIEW))
    assert 'data-testid="no-results"' in page and "Sở Tài chính" not in page
    assert login(viewer_b).get(OVERVIEW, {"bo": published.result_set.pk}).status_code == 404


def test_a_viewer_on_the_province_alone_follows_its_bodies_results(login, cast, published):
    viewer = UserFactory(username="viewer_only_province")
    grant(viewer, cast.province, Role.VIEWER)  # without sub-units: the province's own results still count
    assert 'data-testid="overview-set"' in body(login(viewer).get(OVERVIEW))


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_managers_see_the_overview_too_published_only(login, cast, res, who):
    page = body(login(getattr(cast, who)).get(OVERVIEW))
    assert 'data-testid="no-results"' in page and "58,33" not in page


@pytest.mark.parametrize("who", ["officer_a", "outsider"])
def test_the_overview_is_refused_to_units_and_outsiders(login, cast, published, who):
    response = login(getattr(cast, who)).get(OVERVIEW)
    assert response.status_code == 403
    assert "đơn vị xem kết quả của mình tại trang chủ" in response.content.decode()


def test_the_overview_sends_anonymous_visitors_to_login(client, published):
    response = client.get(OVERVIEW)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_overview_rejects_a_malformed_choice(login, published):
    assert login(published.viewer).get(OVERVIEW, {"bo": "abc"}).status_code == 404


def test_the_navigation_offers_the_overview_to_followers_only(login, cast, cyc):
    assert 'data-nav="overview"' in body(login(cyc.viewer).get(reverse("home")))
    assert 'data-testid="overview-link"' in body(login(cyc.viewer).get(reverse("home")))
    assert 'data-nav="overview"' in body(login(cast.manager).get(reverse("home")))
    assert 'data-nav="overview"' not in body(login(cast.officer_a).get(reverse("home")))
    assert 'data-nav="overview"' not in body(login(cast.outsider).get(reverse("home")))


def test_the_ranking_chart_keeps_the_first_and_last_units_of_a_long_ranking(published):
    rows = [{"unit": f"Xã {i:03d}", "percent": D(100 - i) / 2, "class": "D", "class_code": "D"} for i in range(100)]
    drawn = selectors.ranking_chart(rows, published.result_set, "Cấp xã")
    assert "Xã 000" in drawn.alt and "Xã 019" in drawn.alt and "Xã 099" in drawn.alt
    assert "Xã 020" not in drawn.alt and "Xã 079" not in drawn.alt
    assert "20 đơn vị dẫn đầu và 20 đơn vị cuối bảng" in drawn.alt


# --- a unit's own result on its home page --------------------------------------------------------------------------


def unit_card(page: str, code: str) -> str:
    return page.split(f'data-testid="unit-result" data-unit="{code}"')[1].split('data-testid="unit-result"')[0]


@pytest.mark.parametrize("who", ["officer_a", "leader_a"])
def test_a_unit_sees_its_own_published_result_with_profile_and_trend(login, cast, published, who):
    previous_year(published, cast)
    user = getattr(cast, who, None) or getattr(published, who)
    page = body(login(user).get(reverse("home")))
    assert page.count('data-testid="unit-result"') == 1
    card = unit_card(page, "P99-STP")
    assert 'data-testid="unit-index">58,33<' in card
    assert 'data-testid="unit-rank">2/2<' in card and 'data-testid="unit-class">Loại D<' in card
    components = card.split('data-testid="unit-components"')[1].split("</table>")[0]
    assert ">83,33<" in components and ">91,67<" in components
    assert "unit-result-draft" not in card and "Đã công bố" in card
    profile = card.split('data-testid="profile-chart"')[1].split("</figure>")[0]
    assert "<svg " in profile and "1. Cải cách thủ tục hành chính: đơn vị 83,33%, bình quân nhóm 91,67%" in profile
    trend = card.split('data-testid="trend-chart"')[1].split("</figure>")[0]
    assert "<svg " in trend and "Chỉ số (2025: 70,00%, 2026: 58,33%)" in trend
    assert reverse("scoring:unit", args=[published.result_set.pk, cast.dept_a.pk]) in card
    assert "Sở Tài chính" not in card and "66,67" not in card


def test_the_unit_card_data(cast, published):
    card = selectors.unit_result_card(cast.officer_a, cast.dept_a)
    assert (card["row"].percent, card["row"].rank, card["ranked"], card["units_total"]) == (D("58.33"), 2, 2, 2)
    assert [(c["value"], c["average"]) for c in card["components"]] == [
        (D("83.33"), D("91.67")),
        (D("100.00"), D("100.00")),
        (None, None),
    ]
    assert card["trend"]["years"] == [2026]


def test_another_units_officer_sees_only_their_own(login, cast, published):
    page = body(login(cast.officer_b).get(reverse("home")))
    assert page.count('data-testid="unit-result"') == 1
    card = unit_card(page, "P99-STC")
    assert 'data-testid="unit-rank">1/2<' in card and "Sở Tư pháp" not in card


def test_a_unit_never_sees_its_draft_result(login, cast, res):
    for user in (cast.officer_a, res.leader_a):
        page = body(login(user).get(reverse("home")))
        card = unit_card(page, "P99-STP")
        assert 'data-testid="unit-result-none"' in card
        assert "58,33" not in page and "unit-result-draft" not in page
    resultset_approve(result_set=res.result_set, actor=res.chair)
    assert "58,33" not in body(login(cast.officer_a).get(reverse("home")))


def test_a_unit_sees_its_published_result_while_a_newer_draft_is_computed(login, cast, published):
    from parindex.assessments.models import Entry
    from parindex.scoring.services import resultset_compute

    Entry.objects.filter(assessment=published.assessment_a, node__code="1.3").update(round1_points=D("2"))
    resultset_compute(cycle=published.cycle, group=published.group, actor=cast.manager, run_now=True)
    card = unit_card(body(login(cast.officer_a).get(reverse("home"))), "P99-STP")
    assert 'data-testid="unit-index">58,33<' in card and "unit-result-draft" not in card


def test_a_council_chair_who_leads_a_unit_sees_its_draft_marked_as_such(login, cast, res):
    grant(res.chair, cast.dept_a, Role.UNIT_LEADER)
    card = unit_card(body(login(res.chair).get(reverse("home"))), "P99-STP")
    assert 'data-testid="unit-result-draft"' in card and 'data-testid="unit-index">58,33<' in card
    trend = card.split('data-testid="trend-chart"')[1].split("</figure>")[0]
    assert "2026: 58,33%" in trend  # the draft's year joins the trend


@pytest.mark.parametrize("who", ["manager", "viewer", "outsider", "other_manager"])
def test_those_without_a_unit_role_get_no_unit_card(login, cast, published, who):
    user = getattr(cast, who, None) or getattr(published, who)
    assert 'data-testid="unit-result"' not in body(login(user).get(reverse("home")))


def test_a_unit_with_no_result_is_told_so(login, cast, cyc):
    card = unit_card(body(login(cast.officer_a).get(reverse("home"))), "P99-STP")
    assert "chưa có kết quả Chỉ số được công bố" in card
