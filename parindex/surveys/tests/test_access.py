"""Who sees and does what with surveys and respondent lists: the coordinator of the unit, the unit's own officer, an
officer of another unit, the index manager, an outsider and an anonymous visitor — on pages and on the API."""

from __future__ import annotations

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from parindex.cycles.factories import inside
from parindex.orgs.factories import UserFactory, grant
from parindex.orgs.models import Role
from parindex.surveys import access, services
from parindex.surveys.models import Respondent, RespondentGroup, RespondentList

from .listfiles import citizens, official, xlsx

pytestmark = pytest.mark.django_db
API = "/api/v1/surveys"
ROLES = ["coordinator", "officer_a", "officer_b", "manager", "outsider", None]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _in_survey_window():
    with time_machine.travel(inside("survey")):
        yield


@pytest.fixture
def people(srv, cast):
    return {
        "coordinator": srv.coordinator,
        "officer_a": cast.officer_a,
        "officer_b": cast.officer_b,
        "manager": cast.manager,
        "outsider": cast.outsider,
        None: None,
    }


@pytest.fixture
def list_a(srv, cast):
    """Sở Tư pháp's list, entered by its own officer: one official and 30 citizens."""
    result = services.respondent_list_import(
        survey=srv.survey, unit=cast.dept_a, content=xlsx([official(), *citizens(30)]), actor=cast.officer_a
    )
    assert result.applied
    return result.respondent_list


def client_for(user) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_the_access_rules_in_one_table(srv, cast, people, list_a):
    table = {
        role: (
            access.can_read_list(user, list_a),
            access.can_see_personal(user, list_a),
            access.can_edit_list(user, list_a),
            access.can_decide_list(user, list_a),
        )
        for role, user in people.items()
        if role
    }
    assert table == {
        "coordinator": (True, True, True, True),
        "officer_a": (True, True, True, False),
        "officer_b": (False, False, False, False),
        "manager": (True, False, False, False),
        "outsider": (False, False, False, False),
    }
    assert access.can_manage_survey(cast.manager, srv.survey)
    assert not access.can_manage_survey(srv.coordinator, srv.survey)
    assert not access.can_manage_survey(cast.other_manager, srv.survey)


def test_the_system_administrator_does_not_see_personal_data_without_the_role(cast, list_a):
    assert access.can_read_list(cast.admin, list_a)  # manages the survey
    assert not access.can_see_personal(cast.admin, list_a)


def test_viewers_and_appraisers_do_not_see_personal_data(cyc, list_a):
    for user in (cyc.viewer, cyc.appraiser, cyc.chair):
        assert not access.can_see_personal(user, list_a)
        assert not access.respondents_visible(user).exists()


def test_the_list_page_shows_personal_data_only_to_the_coordinator_and_the_units_own_officers(people, list_a):
    url = f"/khao-sat/danh-sach/{list_a.pk}/"
    expected = {"coordinator": 200, "officer_a": 200, "officer_b": 403, "manager": 200, "outsider": 403}
    for role, user in people.items():
        response = client_for(user).get(url)
        if role is None:
            assert (
                response.status_code == 302 and "/login" in response["Location"] or "dang-nhap" in response["Location"]
            )
            continue
        assert response.status_code == expected[role], role
        text = response.content.decode()
        shows_names = "Nguyễn Văn An" in text and "an@example.vn" in text
        assert shows_names == (role in ("coordinator", "officer_a")), role
        if role == "manager":
            assert 'data-testid="no-personal-data"' in text and 'data-testid="counts"' in text
        if role == "officer_a":
            assert 'data-testid="send-form"' not in text and 'data-testid="decide-2"' not in text
        if role == "coordinator":
            assert 'data-testid="send-form"' in text and 'data-testid="decide-2"' in text


def test_the_respondents_endpoint_answers_only_those_who_may_see_personal_data(people, list_a):
    url = f"{API}/lists/{list_a.pk}/respondents"
    expected = {"coordinator": 200, "officer_a": 200, "officer_b": 403, "manager": 403, "outsider": 403, None: 401}
    for role, user in people.items():
        response = client_for(user).get(url)
        assert response.status_code == expected[role], (role, response.content)
        if response.status_code == 200:
            body = response.json()
            assert body["count"] == 31 and body["items"][0]["full_name"] == "Nguyễn Văn An"
        else:
            assert response.json()["detail"]
    detail = {role: client_for(user).get(f"{API}/lists/{list_a.pk}").status_code for role, user in people.items()}
    assert detail == {
        "coordinator": 200,
        "officer_a": 200,
        "officer_b": 403,
        "manager": 200,
        "outsider": 403,
        None: 401,
    }
    assert client_for(people["coordinator"]).get(f"{API}/lists/999999").status_code == 404


def test_only_the_coordinator_decides_samples_and_sends(people, list_a):
    r = Respondent.objects.get(respondent_list=list_a, row=2)
    for role, user in people.items():
        c = client_for(user)
        decision = c.post(
            f"{API}/respondents/{r.pk}/decision",
            {"status": "excluded", "reason": "Đã nghỉ hưu"},
            content_type="application/json",
        )
        sample = c.post(f"{API}/lists/{list_a.pk}/sample", {"seed": 3}, content_type="application/json")
        if role == "coordinator":
            assert (decision.status_code, sample.status_code) == (200, 200)
            assert decision.json()["decided_by"] == "coordinator" and decision.json()["status"] == "excluded"
        else:
            expected = 401 if role is None else 403
            assert (decision.status_code, sample.status_code) == (expected, expected), role
    for role, user in people.items():
        if role == "coordinator":
            continue
        response = client_for(user).post(f"{API}/lists/{list_a.pk}/send", {}, content_type="application/json")
        assert response.status_code == (401 if role is None else 403)
    assert RespondentList.objects.get().status == "draft"
    sent = client_for(people["coordinator"]).post(f"{API}/lists/{list_a.pk}/send", {}, content_type="application/json")
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    again = client_for(people["coordinator"]).post(
        f"{API}/respondents/{r.pk}/decision", {"status": "included", "reason": "x"}, content_type="application/json"
    )
    assert again.status_code == 403 and "đã được gửi" in again.json()["detail"]


def test_a_unit_imports_its_own_list_but_not_another_units(srv, cast, people):
    def upload(user, unit, *, dry_run=False, rows=None):
        return client_for(user).post(
            f"{API}/{srv.survey.pk}/lists/import",
            {
                "file": SimpleUploadedFile("ds.xlsx", xlsx(rows or [official()]), content_type=XLSX),
                "unit": unit.pk,
                "dry_run": "true" if dry_run else "false",
            },
        )

    assert upload(cast.officer_a, cast.dept_b).status_code == 403
    assert upload(cast.manager, cast.dept_a).status_code == 403
    assert upload(cast.outsider, cast.dept_a).status_code in (403,)
    assert upload(None, cast.dept_a).status_code == 401
    assert not RespondentList.objects.exists()
    dry = upload(cast.officer_a, cast.dept_a, dry_run=True)
    assert dry.status_code == 200 and dry.json()["applied"] is False and dry.json()["counts"] == {"included": 1}
    assert not RespondentList.objects.exists()
    bad = upload(cast.officer_a, cast.dept_a, rows=[official(), official(name="X", email="x@", phone="")])
    assert bad.status_code == 422
    assert "Dòng 3" in bad.json()["errors"]["file"][0]
    assert not RespondentList.objects.exists()
    done = upload(cast.officer_a, cast.dept_a)
    assert done.status_code == 201 and done.json()["applied"] is True
    assert RespondentList.objects.get().unit == cast.dept_a


def test_a_coordinator_of_a_respondents_unit_sees_and_decides_only_that_respondent(srv, cast):
    coordinator_b = UserFactory(username="coordinator_b")
    grant(coordinator_b, cast.dept_b, Role.SURVEY_COORDINATOR)
    RespondentGroup.objects.filter(pk=srv.officials.pk).update(rates="province")
    result = services.respondent_list_import(
        survey=srv.survey,
        unit=cast.province,
        content=xlsx([official(), official(name="Phạm Tài Chính", email="tc@example.vn", phone="", unit="P99-STC")]),
        actor=srv.coordinator,
    )
    lst = result.respondent_list
    assert access.can_read_list(coordinator_b, lst) and not access.can_see_personal(coordinator_b, lst)
    visible = list(access.respondents_visible(coordinator_b, lst).values_list("full_name", flat=True))
    assert visible == ["Phạm Tài Chính"]
    theirs = Respondent.objects.get(full_name="Phạm Tài Chính")
    other = Respondent.objects.get(full_name="Nguyễn Văn An")
    assert theirs.rated_unit == cast.province
    c = client_for(coordinator_b)
    ok = c.post(
        f"{API}/respondents/{theirs.pk}/decision",
        {"status": "excluded", "reason": "Chuyển công tác"},
        content_type="application/json",
    )
    assert ok.status_code == 200
    refused = c.post(
        f"{API}/respondents/{other.pk}/decision", {"status": "excluded", "reason": "x"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert c.post(f"{API}/lists/{lst.pk}/send", {}, content_type="application/json").status_code == 403
    page = c.get(f"/khao-sat/danh-sach/{lst.pk}/").content.decode()
    assert "Phạm Tài Chính" in page and "Nguyễn Văn An" not in page


def test_survey_pages_by_role(srv, cast, people, list_a):
    detail = f"/khao-sat/{srv.survey.pk}/"
    expected = {"coordinator": 200, "officer_a": 200, "officer_b": 200, "manager": 200, "outsider": 403}
    for role, user in people.items():
        response = client_for(user).get(detail)
        if role is None:
            assert response.status_code == 302
            continue
        assert response.status_code == expected[role], role
    listed = client_for(cast.outsider).get("/khao-sat/").content.decode()
    assert srv.survey.name not in listed
    assert srv.survey.name in client_for(cast.officer_a).get("/khao-sat/").content.decode()
    # The officer of another unit sees the survey but not Sở Tư pháp's list.
    page_b = client_for(cast.officer_b).get(detail).content.decode()
    assert f"/khao-sat/danh-sach/{list_a.pk}/" not in page_b
    template = {
        role: client_for(user).get(f"/khao-sat/{srv.survey.pk}/danh-sach/mau.xlsx") for role, user in people.items()
    }
    assert template["officer_a"].status_code == 200 and template["officer_a"]["Content-Type"] == XLSX
    assert template["outsider"].status_code == 403 and template[None].status_code == 302


def test_only_managers_of_the_cycle_change_the_survey_and_its_groups(srv, cast, people):
    url = f"/khao-sat/{srv.survey.pk}/nhom/them/"
    data = {"code": "dai-bieu", "name": "Đại biểu HĐND", "priority": 1, "rates": "province"}
    for role, user in people.items():
        if role in ("manager", None):
            continue
        assert client_for(user).post(url, data).status_code == 403, role
    assert client_for(cast.other_manager).post(url, data).status_code == 403
    assert not RespondentGroup.objects.filter(code="dai-bieu").exists()
    response = client_for(cast.manager).post(url, data)
    assert response.status_code == 302
    group = RespondentGroup.objects.get(code="dai-bieu")
    assert group.questionnaire.code == f"s{srv.survey.pk}-dai-bieu"
    preset = client_for(cast.manager).post(f"/khao-sat/{srv.survey.pk}/nhom/mau/", {"preset": "province"})
    assert preset.status_code == 302 and srv.survey.groups.filter(code="lanh-dao-so").exists()
    assert (
        client_for(cast.officer_a).post(f"/khao-sat/{srv.survey.pk}/nhom/mau/", {"preset": "commune"}).status_code
        == 403
    )


def test_a_manager_creates_a_survey_for_a_cycle_and_an_officer_may_not(cyc, cast):
    data = {
        "cycle": cyc.cycle.pk,
        "framework": cyc.framework.pk,
        "name": "Điều tra bổ sung",
        "margin_of_error": "0,05",
        "commune_quota": 30,
    }
    assert client_for(cast.officer_a).post("/khao-sat/tao/", data).status_code == 403
    response = client_for(cast.manager).post("/khao-sat/tao/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    from parindex.surveys.models import Survey

    assert Survey.objects.filter(name="Điều tra bổ sung", cycle=cyc.cycle).exists()


def test_the_officer_adds_a_row_in_the_browser_and_the_coordinator_reverses_a_rule_with_htmx(srv, cast, list_a):
    officer = client_for(cast.officer_a)
    response = officer.post(
        f"/khao-sat/danh-sach/{list_a.pk}/them/",
        {
            "full_name": "Nguyen Van An",
            "group": "can-bo",
            "phone": "0912345678",
            "position": "Chuyên viên",
            "unit": "P99-STP",
        },
    )
    assert response.status_code == 302
    added = Respondent.objects.get(respondent_list=list_a, full_name="Nguyen Van An")
    assert added.status == "merged"
    assert (
        officer.post(
            f"/khao-sat/nguoi-tra-loi/{added.pk}/quyet-dinh/", {"status": "included", "reason": "x"}
        ).status_code
        == 403
    )
    coordinator = client_for(srv.coordinator)
    row = coordinator.post(
        f"/khao-sat/nguoi-tra-loi/{added.pk}/quyet-dinh/",
        {"status": "included", "reason": "Hai người khác nhau"},
        HTTP_HX_REQUEST="true",
    )
    assert row.status_code == 200 and 'data-testid="row-saved"' in row.content.decode()
    added.refresh_from_db()
    assert (added.status, added.decided_by, added.reason) == ("included", srv.coordinator, "Hai người khác nhau")
    bad = officer.post(f"/khao-sat/danh-sach/{list_a.pk}/them/", {"full_name": "Y", "group": "can-bo", "email": "y@"})
    assert bad.status_code == 200 and "không hợp lệ" in bad.content.decode()
