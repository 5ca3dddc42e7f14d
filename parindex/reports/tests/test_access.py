"""Who may ask for which report, see a job and download its file, and manage the Word templates: the manager, the
council chair, an officer of the unit, an officer of another unit, an outsider and an anonymous visitor."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.http import Http404
from django.urls import reverse

from parindex.reports import access
from parindex.reports.models import ReportJob, ReportState

ALL_KINDS = {
    "results",
    "ranking",
    "self_assessment",
    "scorecard",
    "survey",
    "plan",
    "appraisal_minutes",
    "results_report",
    "decision",
}


def done_job(cycle, user, *, kind="ranking", fmt="xlsx", unit=None) -> ReportJob:
    job = ReportJob.objects.create(
        kind=kind, format=fmt, cycle=cycle, unit=unit, requested_by=user, state=ReportState.DONE, size=5
    )
    job.file.save("xep-hang.xlsx", ContentFile(b"PK..."), save=False)
    job.filename = "xep-hang.xlsx"
    job.save(update_fields=["file", "filename"])
    return job


def publish(result_set, cast, chair):
    from parindex.scoring.services import resultset_approve, resultset_publish

    resultset_approve(result_set=result_set, actor=chair)
    return resultset_publish(result_set=result_set, actor=cast.manager)


# --- who may ask for what --------------------------------------------------------------------------------------------


def test_the_manager_and_the_council_may_ask_for_every_report_of_the_cycle(cast, cyc):
    for user in (cast.manager, cyc.chair, cyc.member):
        assert set(access.kinds_for(user, cyc.cycle)) == ALL_KINDS, user
        assert [c.pk for c in access.report_cycles(user)] == [cyc.cycle.pk]
        assert set(access.report_units(user, cyc.cycle)) == {cast.dept_a, cast.dept_b}


def test_an_officer_may_ask_only_for_their_own_units_reports(cast, cyc):
    assert set(access.kinds_for(cast.officer_a, cyc.cycle)) == {"self_assessment", "scorecard"}
    assert list(access.report_units(cast.officer_a, cyc.cycle)) == [cast.dept_a]
    assert access.can_request(cast.officer_a, cyc.cycle, "self_assessment", unit=cast.dept_a)
    assert not access.can_request(cast.officer_a, cyc.cycle, "self_assessment", unit=cast.dept_b)
    assert not access.can_request(cast.officer_a, cyc.cycle, "ranking")
    assert not access.can_request(cast.officer_b, cyc.cycle, "self_assessment", unit=cast.dept_a)


def test_an_officer_gets_the_scorecard_only_once_the_results_are_published(cast, res):
    assert not access.can_request(cast.officer_a, res.cycle, "scorecard", unit=cast.dept_a)
    with pytest.raises(PermissionDenied, match="chưa được công bố"):
        access.require_report_request(cast.officer_a, cycle=res.cycle, kind="scorecard", unit=cast.dept_a)
    publish(res.result_set, cast, res.chair)
    assert access.can_request(cast.officer_a, res.cycle, "scorecard", unit=cast.dept_a)


def test_a_viewer_gets_the_ranking_decision_and_report_only_after_publication(cast, res):
    assert not access.can_request(res.viewer, res.cycle, "ranking")
    with pytest.raises(PermissionDenied, match="đã được công bố"):
        access.require_report_request(res.viewer, cycle=res.cycle, kind="decision")
    publish(res.result_set, cast, res.chair)
    for kind in ("ranking", "decision", "results_report"):
        assert access.can_request(res.viewer, res.cycle, kind), kind
    for kind in ("results", "appraisal_minutes", "survey", "plan"):
        assert not access.can_request(res.viewer, res.cycle, kind), kind


def test_a_survey_coordinator_may_ask_for_the_survey_report(cast, srv, cyc):
    assert access.can_request(srv.coordinator, cyc.cycle, "survey")
    assert not access.can_request(srv.coordinator, cyc.cycle, "appraisal_minutes")


def test_outsiders_and_other_provinces_may_ask_for_nothing(cast, cyc):
    assert access.report_cycles(cast.outsider) == []
    assert access.report_cycles(cast.other_manager) == []
    assert not access.may_request_some(cast.outsider)
    with pytest.raises(PermissionDenied):
        access.require_reports(cast.outsider)
    with pytest.raises(PermissionDenied):
        access.require_report_cycle(cast.other_manager, cyc.cycle.pk)
    with pytest.raises(Http404):
        access.require_report_cycle(cast.manager, 10**6)
    with pytest.raises(Http404):
        access.require_report_cycle(cast.manager, 2**70)


def test_unit_people_get_the_reports_entry_only_when_their_unit_takes_part_in_a_cycle(cast):
    assert not access.may_request_some(cast.officer_a)  # no cycle yet
    assert access.may_request_some(cast.manager)


# --- the pages ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("manager", 200), ("chair", 200), ("officer_a", 200), ("officer_b", 200), ("outsider", 403)],
)
def test_the_reports_page_opens_for_those_who_may_ask_for_something(client, cast, cyc, who, status):
    user = getattr(cast, who, None) or getattr(cyc, who)
    client.force_login(user)
    assert client.get(reverse("reports:list")).status_code == status


def test_an_anonymous_visitor_is_sent_to_sign_in_everywhere(client, cast, cyc):
    job = done_job(cyc.cycle, cast.manager)
    owner = cast.home_affairs.pk
    for url in (
        reverse("reports:list"),
        reverse("reports:mine"),
        reverse("reports:job", args=[job.pk]),
        reverse("reports:job_state", args=[job.pk]),
        reverse("reports:download", args=[job.pk]),
        reverse("reports:cycle_jobs", args=[cyc.cycle.pk]),
        reverse("reports:templates"),
        reverse("reports:template_download", args=[owner, "decision"]),
        reverse("reports:template_shipped", args=["decision"]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/tai-khoan/" in response["Location"], url
    response = client.post(reverse("reports:list"), {"cycle": cyc.cycle.pk, "kind": "ranking", "format": "xlsx"})
    assert response.status_code == 302
    assert not ReportJob.objects.exclude(pk=job.pk).exists()


@pytest.mark.parametrize(
    ("who", "kind", "unit", "allowed"),
    [
        ("manager", "ranking", None, True),
        ("chair", "appraisal_minutes", None, True),
        ("officer_a", "self_assessment", "dept_a", True),
        ("officer_b", "self_assessment", "dept_a", False),
        ("officer_a", "ranking", None, False),
        ("outsider", "ranking", None, False),
    ],
)
def test_a_request_is_recorded_only_when_allowed(client, cast, cyc, who, kind, unit, allowed):
    user = getattr(cast, who, None) or getattr(cyc, who)
    client.force_login(user)
    fmt = "xlsx" if kind != "appraisal_minutes" else "docx"
    data = {"cycle": cyc.cycle.pk, "kind": kind, "format": fmt}
    if unit:
        data["unit"] = getattr(cast, unit).pk
    response = client.post(reverse("reports:list"), data)
    job = ReportJob.objects.filter(requested_by=user).first()
    if allowed:
        assert response.status_code == 302 and job is not None
        assert response["Location"] == reverse("reports:job", args=[job.pk])
    else:
        assert job is None
        assert response.status_code in (200, 403)


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("officer_a", True),  # asked for it
        ("manager", True),  # manages the cycle
        ("admin", True),  # system administrator
        ("chair", False),
        ("officer_b", False),
        ("outsider", False),
        ("other_manager", False),
    ],
)
def test_a_job_and_its_file_are_for_the_requester_and_the_cycles_managers(client, cast, cyc, who, sees):
    job = done_job(cyc.cycle, cast.officer_a, kind="self_assessment", unit=cast.dept_a)
    user = getattr(cast, who, None) or getattr(cyc, who)
    client.force_login(user)
    for name in ("reports:job", "reports:job_state", "reports:download"):
        status = client.get(reverse(name, args=[job.pk])).status_code
        assert status == (200 if sees else 404), (name, status)


def test_a_file_leaves_as_an_attachment_with_its_content_type(login, cast, cyc):
    job = done_job(cyc.cycle, cast.manager)
    response = login(cast.manager).get(reverse("reports:download", args=[job.pk]))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="xep-hang.xlsx"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"PK..."


def test_an_unfinished_job_has_nothing_to_download(login, cast, cyc):
    job = ReportJob.objects.create(kind="ranking", format="xlsx", cycle=cyc.cycle, requested_by=cast.manager)
    assert login(cast.manager).get(reverse("reports:download", args=[job.pk])).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"), [("manager", 200), ("chair", 403), ("officer_a", 403), ("outsider", 403), ("other_manager", 403)]
)
def test_the_cycles_job_list_is_for_its_managers(client, cast, cyc, who, status):
    user = getattr(cast, who, None) or getattr(cyc, who)
    client.force_login(user)
    assert client.get(reverse("reports:cycle_jobs", args=[cyc.cycle.pk])).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [("manager", 200), ("chair", 403), ("officer_a", 403), ("officer_b", 403), ("outsider", 403)],
)
def test_the_templates_page_is_for_the_assessing_bodys_managers(client, cast, cyc, who, status):
    user = getattr(cast, who, None) or getattr(cyc, who)
    client.force_login(user)
    assert client.get(reverse("reports:templates")).status_code == status


def test_a_manager_of_another_province_cannot_touch_this_bodys_templates(login, cast, cyc):
    client = login(cast.other_manager)
    owner = cast.home_affairs.pk
    assert client.get(reverse("reports:templates"), {"co_quan": owner}).status_code == 403
    assert client.get(reverse("reports:template_download", args=[owner, "decision"])).status_code == 403
    assert client.post(reverse("reports:template_reset", args=[owner, "decision"])).status_code == 403


def test_a_kind_without_a_word_version_has_no_template(login, cast, cyc):
    client = login(cast.manager)
    assert client.get(reverse("reports:template_shipped", args=["results"])).status_code == 404
    assert client.get(reverse("reports:template_download", args=[cast.home_affairs.pk, "plan"])).status_code == 404
