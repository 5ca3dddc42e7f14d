"""The web shell: the home page shows each user what concerns them; navigation follows roles; friendly errors."""

import pytest
from django.urls import reverse

from parindex.orgs import services
from parindex.orgs.factories import grant, make_unit
from parindex.orgs.models import Role, UnitKind


def page(client, url="/"):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_home_page_sends_anonymous_visitors_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_unit_officer_sees_their_role_unit_and_its_parent(login, cast):
    body = page(login(cast.officer_a))
    assert "Xin chào, Lê Văn Tư Pháp" in body
    assert "Cán bộ đơn vị" in body
    assert 'data-testid="home-unit"' in body
    assert "Sở Tư pháp" in body and "Cấp trên:" in body and "Tỉnh Thử Nghiệm" in body
    assert 'data-testid="manager-scope"' not in body
    assert "Sở Tài chính" not in body


def test_a_manager_sees_counts_of_their_scope_and_the_latest_changes(login, cast):
    services.unit_update(unit=cast.dept_a, short_name="STP", actor=cast.manager, reason="tên ngắn")
    make_unit("Xã Thử Nghiệm", UnitKind.COMMUNE, parent=cast.province)
    body = page(login(cast.manager))
    scope = body.split('data-testid="manager-scope"')[1].split('data-testid="home-events"')[0]
    # Province + 3 departments + 1 commune; people with a role there: admin, manager, officer_a, officer_b.
    assert '<div class="fs-4 fw-semibold">5</div>' in scope
    assert '<div class="fs-4 fw-semibold">4</div>' in scope
    assert "Sở, ban, ngành" in scope and "Xã, phường, đặc khu" in scope
    events = body.split('data-testid="home-events"')[1]
    assert "Sửa đơn vị" in events and "Trần Thị Quản Lý" in events


def test_a_manager_does_not_see_changes_of_another_province(login, cast):
    services.unit_update(unit=cast.other_province, short_name="Bên Cạnh", actor=cast.other_manager)
    body = page(login(cast.manager))
    assert "Tỉnh Bên Cạnh" not in body


def test_oversight_roles_see_their_roles_without_manager_sections(login, cast):
    chair = cast.outsider
    grant(chair, cast.province, Role.COUNCIL_CHAIR, includes_subunits=True)
    body = page(login(chair))
    assert "Chủ tịch Hội đồng thẩm định" in body
    assert 'data-testid="manager-scope"' not in body and 'data-testid="home-events"' not in body


def test_a_user_without_roles_is_told_whom_to_ask(login, cast):
    body = page(login(cast.outsider))
    assert "Bạn chưa có vai trò nào" in body


def test_the_home_page_uses_no_cdn(login, cast):
    body = page(login(cast.officer_a))
    assert "/static/bootstrap/css/bootstrap.min.css" in body
    assert "/static/django_htmx/htmx-2.min.js" in body
    assert "cdn" not in body.lower()


# --- navigation ----------------------------------------------------------------------------------------------------


def nav_keys(body: str) -> set[str]:
    import re

    return set(re.findall(r'data-nav="([a-z]+)"', body))


def test_managers_get_people_audit_and_progress_entries(login, cast):
    keys = nav_keys(page(login(cast.manager)))
    assert {"home", "units", "frameworks", "members", "audit", "api"} <= keys
    assert {"cycles", "assessments", "appraisals", "progress", "notifications"} <= keys
    assert "admin" not in keys


def test_unit_officers_get_their_work_entries(login, cast):
    keys = nav_keys(page(login(cast.officer_a)))
    assert keys == {
        "home",
        "units",
        "frameworks",
        "cycles",
        "assessments",
        "surveys",
        "results",
        "notifications",
        "api",
    }


def test_people_without_roles_get_no_assessment_entries(login, cast):
    keys = nav_keys(page(login(cast.outsider)))
    assert keys == {"home", "units", "frameworks", "cycles", "results", "notifications", "api"}


def test_appraisers_and_council_members_get_the_appraisal_entry_chairs_also_progress(login, cyc):
    assert {"appraisals", "assessments"} <= nav_keys(page(login(cyc.appraiser)))
    assert "progress" not in nav_keys(page(login(cyc.appraiser)))
    member = nav_keys(page(login(cyc.member)))  # a council seat, no role
    assert "appraisals" in member and "progress" not in member and "assessments" not in member
    assert {"appraisals", "progress"} <= nav_keys(page(login(cyc.chair)))


def test_an_entry_whose_page_does_not_exist_is_left_out(login, cast, monkeypatch):
    from django.urls import NoReverseMatch

    from parindex.web import context_processors

    real = context_processors.reverse

    def reverse_without_cycles(name, *args, **kwargs):
        if name == "cycles:list":
            raise NoReverseMatch(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(context_processors, "reverse", reverse_without_cycles)
    keys = nav_keys(page(login(cast.officer_a)))
    assert "cycles" not in keys and "assessments" in keys


def test_a_page_fragment_pays_no_query_for_the_navigation(rf, cast, django_assert_num_queries):
    from django.template import RequestContext, Template

    from parindex.orgs.models import User

    request = rf.get("/")
    request.user = User.objects.get(pk=cast.officer_a.pk)
    with django_assert_num_queries(0):
        Template("<td>{{ 1 }}</td>").render(RequestContext(request, {}))


def test_staff_system_admins_get_the_admin_entry(login, cast):
    cast.admin.is_staff = True
    cast.admin.save(update_fields=["is_staff"])
    assert "admin" in nav_keys(page(login(cast.admin)))


# --- error pages ---------------------------------------------------------------------------------------------------


def test_a_permission_denied_page_explains_why_in_vietnamese(login, cast):
    response = login(cast.officer_a).get(reverse("core:audit_list"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "Bạn không có quyền truy cập trang này" in body
    assert "Chức năng này dành cho quản lý Chỉ số và quản trị hệ thống." in body


def test_a_missing_page_is_explained_in_vietnamese(login, cast):
    response = login(cast.officer_a).get("/khong-co-trang-nay/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


def test_a_server_error_is_explained_in_vietnamese(cast, monkeypatch):
    from django.test import Client

    from parindex.web import views

    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.selectors, "home_overview", broken)
    client = Client(raise_request_exception=False)
    client.force_login(cast.officer_a)
    response = client.get(reverse("home"))
    assert response.status_code == 500
    assert "Đã có lỗi xảy ra" in response.content.decode()


@pytest.mark.parametrize("handler", ["handler403", "handler404", "handler500"])
def test_the_friendly_handlers_are_wired(handler):
    from config import urls

    assert getattr(urls, handler).startswith("parindex.web.views.error_")
