"""Progress counts per unit, group and day; non-respondents with personal data only for the unit's coordinators; the
pages and endpoints of progress, flags, voiding, cancelling and points, for every role."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parindex.cycles.factories import vn
from parindex.orgs.factories import UserFactory, grant
from parindex.orgs.models import Role
from parindex.surveys import flags, progress
from parindex.surveys.access_progress import personal_q
from parindex.surveys.models import Cancellation, Flag, FlagKind, ResponseStatus, SurveyScore

from .synthetic import invite, respond

API = "/api/v1/surveys"


@pytest.fixture
def world(srv, cast):
    """dept_a: officials 3 invited (1 answered, 1 opened), citizens 2 invited (2 answered, one of them voided later);
    dept_b: officials 1 invited, not answered. One response too fast (a flag)."""
    s = srv.survey
    respond(s, group=srv.officials, rated_unit=cast.dept_a, answers="ABC", submitted=vn(2026, 11, 10, 9), seconds=7)
    invite(s, group=srv.officials, rated_unit=cast.dept_a, name="Nguyễn Văn Chưa Mở", email="chuamo@example.vn")
    invite(s, group=srv.officials, rated_unit=cast.dept_a, name="Trần Thị Đã Mở", opened=True)
    respond(s, group=srv.citizens, rated_unit=cast.dept_a, answers="AAB", submitted=vn(2026, 11, 10, 23, 30))
    respond(s, group=srv.citizens, rated_unit=cast.dept_a, answers="BAB", submitted=vn(2026, 11, 12, 8))
    respond(s, group=srv.officials, rated_unit=cast.dept_b, answers="AB", status="in_progress", name="Lê Đang Làm")
    flags.detect_flags(survey=s, straight_lining_min_questions=3)
    coordinator_b = UserFactory(username="coordinator_b", full_name="Điều Phối Sở Tài Chính")
    grant(coordinator_b, cast.dept_b, Role.SURVEY_COORDINATOR)
    srv.coordinator_b = coordinator_b
    return srv


def test_progress_counts_per_unit_group_and_day(world, cast):
    data = progress.progress_counts(survey=world.survey)
    assert (data.total.invited, data.total.opened, data.total.answered) == (6, 5, 3)
    assert data.total.rate == D("50.00")
    units = {u.unit_id: u for u in data.units}
    a, b = units[cast.dept_a.pk], units[cast.dept_b.pk]
    assert (a.counts.invited, a.counts.answered, a.counts.not_answered) == (5, 3, 2)
    assert a.counts.rate == D("60.00")
    assert a.by_group[world.officials.pk].answered == 1 and a.by_group[world.citizens.pk].answered == 2
    assert (b.counts.invited, b.counts.opened, b.counts.in_progress, b.counts.answered) == (1, 1, 1, 0)
    assert data.units[0].unit_id == cast.dept_b.pk  # lowest rate first
    groups = {g["code"]: g["counts"] for g in data.groups}
    assert (groups["can-bo"].invited, groups["can-bo"].answered) == (4, 1)
    # 23:30 on 10/11 in Vietnam is the 10th, whatever UTC says.
    assert [(d["day"], d["answered"], d["cumulative"]) for d in data.days] == [
        (dt.date(2026, 11, 10), 2, 2),
        (dt.date(2026, 11, 12), 1, 3),
    ]


def test_voided_responses_leave_the_answered_count(world, cast):
    response = world.survey.responses.filter(group=world.citizens).first()
    flags.response_void(response=response, reason="Trùng", actor=cast.manager)
    data = progress.progress_counts(survey=world.survey, unit=cast.dept_a)
    assert (data.total.answered, data.total.voided, data.total.not_answered) == (2, 1, 2)


def test_the_counts_take_a_bounded_number_of_queries(world, cast):
    with CaptureQueriesContext(connection) as ctx:
        progress.progress_counts(survey=world.survey)
    assert len(ctx.captured_queries) <= 4


def test_non_respondents_are_those_invited_without_a_submitted_answer(world, cast):
    names = set(
        progress.non_respondents(survey=world.survey, personal=personal_q(world.coordinator)).values_list(
            "full_name", flat=True
        )
    )
    assert names == {"Nguyễn Văn Chưa Mở", "Trần Thị Đã Mở", "Lê Đang Làm"}
    only_b = progress.non_respondents(survey=world.survey, personal=personal_q(world.coordinator_b))
    assert [r.full_name for r in only_b] == ["Lê Đang Làm"]
    assert not progress.non_respondents(survey=world.survey, personal=personal_q(cast.manager))


# --- the page ---------------------------------------------------------------------------------------------------


def _progress(client, world, unit=None):
    url = reverse("surveys:progress", args=[world.survey.pk])
    return client.get(url, {"don-vi": unit.pk} if unit else {})


def test_the_coordinator_of_the_unit_sees_non_respondents_with_their_contacts(world, cast, login):
    response = _progress(login(world.coordinator), world, cast.dept_a)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nguyễn Văn Chưa Mở" in html and "chuamo@example.vn" in html
    assert "Trả lời nhanh bất thường" in html and "7 giây" in html  # the flag with its evidence


def test_a_coordinator_of_another_unit_sees_only_their_unit(world, cast, login):
    client = login(world.coordinator_b)
    response = _progress(client, world)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sở Tài chính" in html and f"unit-row-{cast.dept_a.pk}" not in html
    assert _progress(client, world, cast.dept_a).status_code == 403
    own = _progress(client, world, cast.dept_b).content.decode()
    assert "Lê Đang Làm" in own


def test_managers_and_viewers_see_counts_but_no_personal_data(world, cast, cyc, login):
    for user in (cast.manager, cyc.viewer):
        response = _progress(login(user), world, cast.dept_a)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Nguyễn Văn Chưa Mở" not in html and "chuamo@example.vn" not in html
        assert 'data-testid="personal-hidden"' in html


def test_officers_outsiders_and_other_provinces_may_not_follow_progress(world, cast, login, client):
    for user in (cast.officer_a, cast.outsider, cast.other_manager):
        assert _progress(login(user), world).status_code == 403
    client.logout()
    response = _progress(client, world)
    assert response.status_code == 302 and response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_an_unknown_survey_or_group_is_not_found(world, login):
    client = login(world.coordinator)
    assert client.get(reverse("surveys:progress", args=[999999])).status_code == 404
    url = reverse("surveys:progress", args=[world.survey.pk])
    assert client.get(url, {"nhom": "999999"}).status_code == 404
    assert client.get(url, {"don-vi": "x"}).status_code == 404


def test_the_flags_pages_show_the_evidence_and_record_the_review(world, cast, login):
    flag = Flag.objects.get(kind=FlagKind.TOO_FAST)
    client = login(world.coordinator)
    listing = client.get(reverse("surveys:flags", args=[world.survey.pk]))
    assert listing.status_code == 200 and "7 giây" in listing.content.decode()
    detail = client.get(reverse("surveys:flag", args=[flag.pk]))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "Tối thiểu hợp lý (giây)" in html and "min_seconds" not in html
    assert "09:00 ngày 10/11/2026" in html  # the submission, in Vietnam time
    response = client.post(reverse("surveys:flag_review", args=[flag.pk]), {"status": "confirmed", "note": "Điền hộ"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == "confirmed" and flag.reviewed_by == world.coordinator
    # Another unit's coordinator, an officer, an outsider: no.
    for user in (world.coordinator_b, cast.officer_a, cast.outsider):
        assert login(user).get(reverse("surveys:flag", args=[flag.pk])).status_code == 403


def test_voiding_from_the_page_is_for_managers(world, cast, login):
    flag = Flag.objects.get(kind=FlagKind.TOO_FAST)
    target = flag.responses.get()
    url = reverse("surveys:response_void", args=[target.pk])
    assert login(world.coordinator).post(url, {"reason": "x"}).status_code == 403
    response = login(cast.manager).post(url, {"reason": "Điền hộ", "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response["Location"]
    target.refresh_from_db()
    assert target.status == ResponseStatus.VOID
    login(cast.manager).post(reverse("surveys:response_restore", args=[target.pk]), {"reason": ""})
    target.refresh_from_db()
    assert target.status == ResponseStatus.VOID  # no reason: nothing changed


def test_the_points_page_computes_and_cancels(world, cast, login):
    client = login(cast.manager)
    assert client.post(reverse("surveys:points_compute", args=[world.survey.pk])).status_code == 302
    assert SurveyScore.objects.filter(survey=world.survey).count() == 2
    page = client.get(reverse("surveys:points", args=[world.survey.pk]))
    assert page.status_code == 200 and "câu trả lời hợp lệ" in page.content.decode()
    client.post(reverse("surveys:cancel_unit", args=[world.survey.pk]), {"unit": cast.dept_a.pk, "reason": "Vi phạm"})
    assert SurveyScore.objects.get(survey=world.survey, unit=cast.dept_a).points == D("0.00")
    assert login(world.coordinator).post(reverse("surveys:points_compute", args=[world.survey.pk])).status_code == 403
    coordinator = login(world.coordinator).post(
        reverse("surveys:cancel_unit", args=[world.survey.pk]), {"unit": cast.dept_b.pk, "reason": "x"}
    )
    assert coordinator.status_code == 403
    assert Cancellation.objects.count() == 1


# --- the API ----------------------------------------------------------------------------------------------------


def test_the_api_gives_progress_and_non_respondents_by_role(world, cast, login):
    client = login(world.coordinator)
    body = client.get(f"{API}/{world.survey.pk}/progress").json()
    assert body["total"]["invited"] == 6 and D(str(body["total"]["rate"])) == D("50.00")
    assert body["units"]["count"] == 2
    people = client.get(f"{API}/{world.survey.pk}/non-respondents", {"unit": cast.dept_a.pk}).json()
    assert {p["full_name"] for p in people["items"]} == {"Nguyễn Văn Chưa Mở", "Trần Thị Đã Mở"}
    other = login(world.coordinator_b)
    assert other.get(f"{API}/{world.survey.pk}/non-respondents", {"unit": cast.dept_a.pk}).status_code == 403
    assert [p["full_name"] for p in other.get(f"{API}/{world.survey.pk}/non-respondents").json()["items"]] == [
        "Lê Đang Làm"
    ]
    manager = login(cast.manager)
    assert manager.get(f"{API}/{world.survey.pk}/progress").status_code == 200
    assert manager.get(f"{API}/{world.survey.pk}/non-respondents", {"unit": cast.dept_a.pk}).status_code == 403
    assert manager.get(f"{API}/{world.survey.pk}/non-respondents").json()["count"] == 0
    assert login(cast.officer_a).get(f"{API}/{world.survey.pk}/progress").status_code == 403


def test_the_api_refuses_anonymous_callers(world, client):
    assert client.get(f"{API}/{world.survey.pk}/progress").status_code == 401
    assert client.get(f"{API}/{world.survey.pk}/flags").status_code == 401


def test_the_api_reviews_flags_voids_cancels_and_computes(world, cast, login):
    flag = Flag.objects.get(kind=FlagKind.TOO_FAST)
    coordinator = login(world.coordinator)
    listing = coordinator.get(f"{API}/{world.survey.pk}/flags").json()
    assert listing["count"] == 1 and "7 giây" in listing["items"][0]["summary"]
    bad = coordinator.post(f"{API}/flags/{flag.pk}/review", {"status": "maybe", "note": "x"}, "application/json")
    assert bad.status_code == 422
    ok = coordinator.post(f"{API}/flags/{flag.pk}/review", {"status": "dismissed", "note": "Ổn"}, "application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "dismissed"
    response_id = listing["items"][0]["responses"][0]
    assert (
        coordinator.post(f"{API}/responses/{response_id}/void", {"reason": "x"}, "application/json").status_code == 403
    )
    manager = login(cast.manager)
    voided = manager.post(f"{API}/responses/{response_id}/void", {"reason": "Điền hộ"}, "application/json")
    assert voided.status_code == 200 and voided.json()["status"] == "void"
    again = manager.post(f"{API}/responses/{response_id}/void", {"reason": "Điền hộ"}, "application/json")
    assert again.status_code == 409
    created = manager.post(
        f"{API}/{world.survey.pk}/cancellations", {"unit": cast.dept_b.pk, "reason": "Vi phạm"}, "application/json"
    )
    assert created.status_code == 201
    revoked = manager.post(
        f"{API}/cancellations/{created.json()['id']}/revoke", {"reason": "Xác minh lại"}, "application/json"
    )
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    computed = manager.post(f"{API}/{world.survey.pk}/points/compute")
    assert computed.status_code == 200 and computed.json()["rows"] == 2
    scores = coordinator.get(f"{API}/{world.survey.pk}/points", {"unit": cast.dept_a.pk}).json()
    assert scores["count"] == 1 and scores["items"][0]["node"] == "3.1"
    assert login(world.coordinator).post(f"{API}/{world.survey.pk}/points/compute").status_code == 403
    detected = coordinator.post(f"{API}/{world.survey.pk}/flags/detect?straight_lining_min_questions=3")
    assert detected.status_code == 200 and detected.json()["created"] == 0
    assert coordinator.post(f"{API}/{world.survey.pk}/flags/detect").status_code == 200
    bad_size = coordinator.post(f"{API}/{world.survey.pk}/flags/detect?straight_lining_min_questions=1")
    assert bad_size.status_code == 422


def test_the_detect_button_runs_detection_as_a_job(world, cast, login, django_capture_on_commit_callbacks):
    from .synthetic import respond as answer

    answer(world.survey, group=world.officials, rated_unit=cast.dept_b, answers="ABD", seconds=2)
    client = login(world.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("surveys:flags_detect", args=[world.survey.pk]))
    assert response.status_code == 302
    assert Flag.objects.filter(kind=FlagKind.TOO_FAST).count() == 2
    assert login(cast.officer_b).post(reverse("surveys:flags_detect", args=[world.survey.pk])).status_code == 403
