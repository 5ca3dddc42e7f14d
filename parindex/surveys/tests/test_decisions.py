"""Decisions on responses and units stay visible and reversible (revoked cancellations with who, when and why;
restored responses), the response page that flags link to as evidence, the notices of new flags, the survey's
status, and the links between the survey's pages."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from parindex.core.models import AuditEvent, Notification
from parindex.cycles.factories import vn
from parindex.orgs.factories import UserFactory, grant
from parindex.orgs.models import Role
from parindex.surveys import flags, services
from parindex.surveys.models import Flag, FlagKind, ListStatus, RespondentList, ResponseStatus, SurveyStatus

from .synthetic import respond
from .test_progress import API, world  # noqa: F401 — the fixture


@pytest.fixture
def fast(world):  # noqa: F811
    return Flag.objects.get(kind=FlagKind.TOO_FAST).responses.get()


# --- cancellations and voids: revoked, restored, visible ---------------------------------------------------------


def test_a_revoked_cancellation_records_who_when_and_why(srv, cast):
    cancellation = flags.survey_cancel_unit(survey=srv.survey, unit=cast.dept_a, reason="Điền hộ", actor=cast.manager)
    assert cancellation.revoked_by is None and cancellation.revoke_reason == ""
    flags.cancellation_revoke(cancellation=cancellation, reason="Thanh tra kết luận không vi phạm", actor=cast.manager)
    cancellation.refresh_from_db()
    assert cancellation.revoked_at is not None
    assert cancellation.revoked_by == cast.manager
    assert cancellation.revoke_reason == "Thanh tra kết luận không vi phạm"
    event = AuditEvent.objects.get(action="survey.unit_cancellation_revoked")
    assert event.reason == "Thanh tra kết luận không vi phạm" and event.actor == cast.manager


def test_revoking_needs_a_reason_and_a_manager(srv, cast):
    cancellation = flags.survey_cancel_unit(survey=srv.survey, unit=cast.dept_a, reason="Điền hộ", actor=cast.manager)
    with pytest.raises(ValidationError):
        flags.cancellation_revoke(cancellation=cancellation, reason="  ", actor=cast.manager)
    for user in (srv.coordinator, cast.officer_a, cast.other_manager, cast.outsider):
        with pytest.raises(PermissionDenied):
            flags.cancellation_revoke(cancellation=cancellation, reason="Xác minh", actor=user)
    cancellation.refresh_from_db()
    assert cancellation.revoked_at is None and cancellation.revoked_by is None


def test_a_restored_response_keeps_its_restoration_until_voided_again(fast, cast):
    flags.response_void(response=fast, reason="Trả lời trong 7 giây", actor=cast.manager)
    flags.response_restore(response=fast, reason="Người trả lời quen phiếu", actor=cast.manager)
    fast.refresh_from_db()
    assert fast.status == ResponseStatus.SUBMITTED
    assert (fast.restored_by, fast.restore_reason) == (cast.manager, "Người trả lời quen phiếu")
    assert fast.restored_at is not None
    flags.response_void(response=fast, reason="Xác minh lại: điền hộ", actor=cast.manager)
    fast.refresh_from_db()
    assert fast.status == ResponseStatus.VOID and fast.void_reason == "Xác minh lại: điền hộ"
    assert fast.restored_by is None and fast.restored_at is None and fast.restore_reason == ""
    actions = AuditEvent.objects.filter(object_id=str(fast.pk), action__startswith="survey.response").values_list(
        "action", flat=True
    )
    assert sorted(actions) == ["survey.response_restored", "survey.response_voided", "survey.response_voided"]


def test_the_points_page_shows_a_revoked_cancellation(world, cast, login):  # noqa: F811
    cancellation = flags.survey_cancel_unit(survey=world.survey, unit=cast.dept_b, reason="Vi phạm", actor=cast.manager)
    flags.cancellation_revoke(cancellation=cancellation, reason="Đã xác minh lại", actor=cast.manager)
    page = login(cast.manager).get(reverse("surveys:points", args=[world.survey.pk])).content.decode()
    assert f'data-testid="revoked-{cancellation.pk}"' in page
    assert "Đã xác minh lại" in page and str(cast.manager) in page


def test_the_api_shows_revocations_and_restorations(world, fast, cast, login):  # noqa: F811
    manager = login(cast.manager)
    created = manager.post(
        f"{API}/{world.survey.pk}/cancellations", {"unit": cast.dept_a.pk, "reason": "Vi phạm"}, "application/json"
    ).json()
    assert created["revoked_by"] is None and created["revoke_reason"] == ""
    revoked = manager.post(f"{API}/cancellations/{created['id']}/revoke", {"reason": "Xác minh"}, "application/json")
    assert revoked.json()["revoked_by"] == str(cast.manager) and revoked.json()["revoke_reason"] == "Xác minh"
    listed = login(world.coordinator).get(f"{API}/{world.survey.pk}/cancellations").json()
    assert listed[0]["revoke_reason"] == "Xác minh" and listed[0]["active"] is False
    manager = login(cast.manager)
    voided = manager.post(f"{API}/responses/{fast.pk}/void", {"reason": "Điền hộ"}, "application/json").json()
    assert voided["voided_by"] == str(cast.manager) and voided["restored_at"] is None
    restored = manager.post(f"{API}/responses/{fast.pk}/restore", {"reason": "Nhầm"}, "application/json").json()
    assert restored["status"] == "submitted" and restored["restore_reason"] == "Nhầm"
    assert restored["restored_by"] == str(cast.manager) and restored["voided_by"] is None


# --- the response page: the evidence behind a flag ---------------------------------------------------------------


def test_a_flag_links_to_its_responses_and_the_response_shows_the_evidence(world, fast, login):  # noqa: F811
    flag = Flag.objects.get(kind=FlagKind.TOO_FAST)
    client = login(world.coordinator)
    flag_page = client.get(reverse("surveys:flag", args=[flag.pk])).content.decode()
    url = reverse("surveys:response", args=[fast.pk])
    assert f'href="{url}"' in flag_page
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="response-answers"' in body and "Ông/bà đánh giá thế nào về nội dung 1?" in body
    assert 'data-testid="response-seconds"' in body and ">7<" in body
    assert f'data-testid="response-flag-{flag.pk}"' in body
    assert 'data-testid="respondent"' in body  # the unit's coordinator sees who answered
    assert 'data-testid="void-form"' not in body  # voiding is for managers


def test_the_response_page_is_for_those_who_review_the_unit(world, fast, cast, login):  # noqa: F811
    url = reverse("surveys:response", args=[fast.pk])
    manager = login(cast.manager).get(url)
    assert manager.status_code == 200
    body = manager.content.decode()
    assert 'data-testid="void-form"' in body and 'data-testid="respondent"' not in body  # no personal data
    for user in (world.coordinator_b, cast.officer_a, cast.other_manager, cast.outsider):
        assert login(user).get(url).status_code == 403
    assert Client().get(url).status_code == 302  # anonymous: to the sign-in page
    assert login(cast.manager).get(reverse("surveys:response", args=[999999])).status_code == 404


def test_voiding_from_the_response_page_returns_to_it_and_shows_the_decision(world, fast, cast, login):  # noqa: F811
    client = login(cast.manager)
    done = client.post(reverse("surveys:response_void", args=[fast.pk]), {"reason": "Điền hộ"})
    assert done.status_code == 302 and done["Location"] == reverse("surveys:response", args=[fast.pk])
    page = client.get(reverse("surveys:response", args=[fast.pk])).content.decode()
    assert 'data-testid="void-note"' in page and "Điền hộ" in page and 'data-testid="restore-form"' in page
    client.post(reverse("surveys:response_restore", args=[fast.pk]), {"reason": "Đã xác minh"})
    page = client.get(reverse("surveys:response", args=[fast.pk])).content.decode()
    assert 'data-testid="restore-note"' in page and "Đã xác minh" in page


def test_the_api_gives_a_response_with_its_answers_and_flags(world, fast, cast, login):  # noqa: F811
    body = login(world.coordinator).get(f"{API}/responses/{fast.pk}").json()
    assert [a["option"] for a in body["answers"]] == ["A", "B", "C"]
    assert body["seconds"] == 7 and body["flags"][0]["kind"] == "too_fast"
    assert body["answers"][0]["weight"] == 100 and body["answers"][0]["excluded"] is False
    assert login(world.coordinator_b).get(f"{API}/responses/{fast.pk}").status_code == 403
    assert login(cast.outsider).get(f"{API}/responses/{fast.pk}").status_code == 403
    assert login(cast.manager).get(f"{API}/responses/999999").status_code == 404
    assert Client().get(f"{API}/responses/{fast.pk}").status_code == 401


# --- notices of new flags --------------------------------------------------------------------------------------


def _notices(user):
    return list(Notification.objects.filter(user=user, key__startswith="survey-flags:").order_by("pk"))


def test_new_flags_notify_the_units_coordinators_once_per_unit_and_run(srv, cast):
    unit_coordinator = UserFactory(username="dieu_phoi_a", full_name="Điều Phối Sở Tư Pháp")
    grant(unit_coordinator, cast.dept_a, Role.SURVEY_COORDINATOR)
    other = UserFactory(username="dieu_phoi_b", full_name="Điều Phối Sở Tài Chính")
    grant(other, cast.dept_b, Role.SURVEY_COORDINATOR)
    for seconds in (5, 9, 11):  # three flags in one unit
        respond(srv.survey, group=srv.officials, rated_unit=cast.dept_a, answers="ABD", seconds=seconds)
    report = flags.detect_flags(survey=srv.survey, straight_lining_min_questions=3)
    assert report["created"] == 3
    mine = _notices(unit_coordinator)
    assert len(mine) == 1
    assert mine[0].title.startswith("3 dấu hiệu bất thường mới — Sở Tư pháp")
    assert "Trả lời nhanh bất thường: 3" in mine[0].body
    assert mine[0].url == reverse("surveys:flags", args=[srv.survey.pk]) + f"?don-vi={cast.dept_a.pk}&trang-thai=open"
    assert len(_notices(srv.coordinator)) == 1  # the province's coordinator covers the unit
    assert not _notices(other) and not _notices(cast.manager)
    assert report["notified"] == 2

    # Nothing new: no notice. A new flag later: one more notice.
    assert flags.detect_flags(survey=srv.survey, straight_lining_min_questions=3)["notified"] == 0
    assert len(_notices(unit_coordinator)) == 1
    respond(srv.survey, group=srv.citizens, rated_unit=cast.dept_a, answers="BCA", seconds=4)
    flags.detect_flags(survey=srv.survey, straight_lining_min_questions=3)
    assert len(_notices(unit_coordinator)) == 2


def test_flags_spanning_several_units_notify_the_assessing_bodys_coordinators(srv, cast):
    start = vn(2026, 11, 20, 9)
    for i in range(10):  # one address, two units, ten minutes: a burst without a single unit
        unit = cast.dept_a if i % 2 else cast.dept_b
        respond(
            srv.survey,
            group=srv.citizens,
            rated_unit=unit,
            answers=["ABC", "BAD", "CBA", "ABD", "BCA"][i % 5],
            submitted=start + dt.timedelta(seconds=50 * i),
            ip="203.0.113.9",
            device=f"thiet-bi-{i}",
        )
    flags.detect_flags(survey=srv.survey, straight_lining_min_questions=3)
    burst = Flag.objects.get(kind=FlagKind.BURST)
    assert burst.unit is None
    notice = _notices(srv.coordinator)[0]
    assert "nhiều đơn vị" in notice.title
    assert notice.url == reverse("surveys:flags", args=[srv.survey.pk]) + "?trang-thai=open"


def test_a_coordinator_who_left_gets_no_notice(srv, cast):
    from django.utils import timezone

    srv.coordinator.memberships.update(ended_at=timezone.now())
    respond(srv.survey, group=srv.officials, rated_unit=cast.dept_a, answers="ABD", seconds=5)
    assert flags.detect_flags(survey=srv.survey, straight_lining_min_questions=3)["notified"] == 0


# --- the survey's status -----------------------------------------------------------------------------------------


def test_the_survey_status_is_set_with_an_audit_record(srv, cast):
    survey = services.survey_status_set(survey=srv.survey, status=SurveyStatus.OPEN, actor=cast.manager, reason="Mở")
    assert survey.status == SurveyStatus.OPEN
    event = AuditEvent.objects.get(action="survey.status_changed")
    assert event.changes == {"status": ["draft", "open"]} and event.reason == "Mở"
    services.survey_status_set(survey=survey, status=SurveyStatus.OPEN, actor=cast.manager)
    assert AuditEvent.objects.filter(action="survey.status_changed").count() == 1
    with pytest.raises(ValidationError):
        services.survey_status_set(survey=survey, status="paused", actor=cast.manager)


# --- links between the pages ----------------------------------------------------------------------------------------


def test_the_survey_page_links_each_group_to_its_questionnaire(srv, cast, login):
    page = login(cast.manager).get(reverse("surveys:detail", args=[srv.survey.pk])).content.decode()
    for group in (srv.officials, srv.citizens):
        url = reverse("surveys:questionnaire", args=[srv.survey.pk, group.questionnaire_id])
        assert f'href="{url}"' in page


def test_a_sent_list_links_to_its_invitations_for_its_coordinator(srv, cast, login):
    sent = RespondentList.objects.create(
        survey=srv.survey, unit=cast.dept_a, status=ListStatus.SENT, sent_at=vn(2026, 11, 2)
    )
    draft = RespondentList.objects.create(survey=srv.survey, unit=cast.dept_b)
    url = reverse("surveys:invitations", args=[sent.pk])
    coordinator = login(srv.coordinator)
    assert f'href="{url}"' in coordinator.get(reverse("surveys:respondent_list", args=[sent.pk])).content.decode()
    detail = coordinator.get(reverse("surveys:detail", args=[srv.survey.pk])).content.decode()
    assert f'data-testid="list-invitations-{sent.pk}"' in detail
    assert f'data-testid="list-invitations-{draft.pk}"' not in detail
    draft_page = coordinator.get(reverse("surveys:respondent_list", args=[draft.pk])).content.decode()
    assert 'data-testid="invitations-link"' not in draft_page
    # The index manager sees the list's counts but does not send invitations: no link.
    manager_page = login(cast.manager).get(reverse("surveys:respondent_list", args=[sent.pk])).content.decode()
    assert 'data-testid="invitations-link"' not in manager_page
