"""Every registry page with the cast: the owner's manager, a manager of another province, a unit officer,
a signed-in outsider and an anonymous visitor."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from parindex.core.models import AuditEvent
from parindex.orgs import services
from parindex.orgs.factories import make_unit
from parindex.orgs.imports import SHEET
from parindex.orgs.models import OrgUnit, UnitGroup, UnitKind

from .test_imports import make_xlsx


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def group(cast):
    return services.group_create(
        code="so-nganh-p99",
        name="Sở, ngành tỉnh Thử Nghiệm",
        owner=cast.province,
        units=[cast.dept_a, cast.dept_b],
        actor=None,
    )


def upload(name="don-vi.xlsx", data=None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = data or make_xlsx([("P99-SXD", "Sở Xây dựng", "Sở, ban, ngành", "", None, None, None)])
    return SimpleUploadedFile(
        name, data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def assert_login_redirect(response):
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- reading the registry -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "other_manager", "officer_a", "outsider"])
def test_every_signed_in_user_reads_the_list_and_a_unit(cast, login, who):
    client = login(getattr(cast, who))

    listing = client.get(reverse("orgs:unit_list"), {"q": "thu nghiem", "on": "2026-01-01"})
    detail = client.get(reverse("orgs:unit_detail", args=[cast.province.pk]))

    assert listing.status_code == 200 and "Tỉnh Thử Nghiệm" in listing.content.decode()
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "Sở Tư pháp" in body and "Sở Tài chính" in body  # children
    can_manage = who == "manager"
    assert ('data-testid="import-link"' in body) is can_manage


def test_anonymous_visitors_are_sent_to_login(cast, client, group):
    for url in (
        reverse("orgs:unit_list"),
        reverse("orgs:unit_detail", args=[cast.province.pk]),
        reverse("orgs:unit_import", args=[cast.province.pk]),
        reverse("orgs:unit_export", args=[cast.province.pk]),
        reverse("orgs:import_template"),
        reverse("orgs:group_list"),
        reverse("orgs:group_detail", args=[group.pk]),
        reverse("orgs:group_edit", args=[group.pk]),
    ):
        assert_login_redirect(client.get(url))
    assert_login_redirect(client.post(reverse("orgs:unit_import_confirm", args=[cast.province.pk]), {"token": "x"}))


def test_the_list_shows_current_provinces_by_default_and_filters(cast, login):
    old = make_unit("Tỉnh Đã Sáp Nhập", UnitKind.PROVINCE, code="P97", valid_to=dt.date(2025, 6, 30))
    client = login(cast.outsider)

    default = client.get(reverse("orgs:unit_list")).content.decode()
    assert "Tỉnh Thử Nghiệm" in default and "Tỉnh Bên Cạnh" in default
    assert old.name not in default and "Sở Tư pháp" not in default

    in_2024 = client.get(reverse("orgs:unit_list"), {"q": "da sap nhap", "on": "2024-01-01"}).content.decode()
    assert old.name in in_2024
    today = client.get(reverse("orgs:unit_list"), {"q": "da sap nhap"}).content.decode()
    assert old.name not in today
    all_periods = client.get(reverse("orgs:unit_list"), {"q": "da sap", "all_periods": "on"}).content.decode()
    assert old.name in all_periods

    departments = client.get(reverse("orgs:unit_list"), {"kind": "department"}).content.decode()
    province_link = f'href="{reverse("orgs:unit_detail", args=[cast.province.pk])}"'
    assert "Sở Tư pháp" in departments and province_link not in departments
    by_code = client.get(reverse("orgs:unit_list"), {"q": "P99-STC"}).content.decode()
    assert "Sở Tài chính" in by_code


def test_live_search_returns_only_the_results(cast, login):
    client = login(cast.outsider)
    response = client.get(reverse("orgs:unit_list"), {"q": "so tu"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "Sở Tư pháp" in body


def test_the_list_is_paginated(cast, login):
    for i in range(55):
        make_unit(f"Phòng số {i}", UnitKind.DIVISION, parent=cast.dept_a, code=f"P99-PH{i:02d}")
    client = login(cast.outsider)
    first = client.get(reverse("orgs:unit_list"), {"kind": "division"}).content.decode()
    second = client.get(reverse("orgs:unit_list"), {"kind": "division", "page": 2}).content.decode()
    assert "Trang 1/2" in first and "Trang 2/2" in second
    assert first.count("Phòng số") == 50 and second.count("Phòng số") == 5


def test_a_unit_shows_its_ancestors_aliases_and_lineage(cast, login):
    division = make_unit("Phòng Hành chính", UnitKind.DIVISION, parent=cast.dept_a, code="P99-STP-HC")
    services.alias_add(unit=cast.province, name="Tỉnh TN", actor=None)
    old = make_unit("Tỉnh Cũ", UnitKind.PROVINCE, code="P90", valid_to=dt.date(2025, 6, 30))
    services.lineage_add(
        predecessor=old, successor=cast.province, kind="merged_into", effective_date=dt.date(2025, 7, 1), actor=None
    )
    client = login(cast.outsider)

    body = client.get(reverse("orgs:unit_detail", args=[division.pk])).content.decode()
    assert reverse("orgs:unit_detail", args=[cast.province.pk]) in body
    assert reverse("orgs:unit_detail", args=[cast.dept_a.pk]) in body
    province = client.get(reverse("orgs:unit_detail", args=[cast.province.pk])).content.decode()
    assert "Tỉnh TN" in province and "Tỉnh Cũ" in province and "Sáp nhập vào" in province
    old_page = client.get(reverse("orgs:unit_detail", args=[old.pk])).content.decode()
    assert "Sáp nhập vào" in old_page and "Tỉnh Thử Nghiệm" in old_page and "đã hết hiệu lực" in old_page


def test_an_unknown_unit_is_not_found(cast, login):
    assert login(cast.outsider).get(reverse("orgs:unit_detail", args=[999999])).status_code == 404


def test_the_template_is_downloadable_by_signed_in_users(cast, login):
    response = login(cast.officer_a).get(reverse("orgs:import_template"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(response.content)).sheetnames[0] == SHEET


# --- managing: import and export ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_manager", "officer_a", "outsider"])
def test_only_managers_of_the_unit_import_or_export(cast, login, who):
    client = login(getattr(cast, who))
    pk = cast.province.pk
    assert client.get(reverse("orgs:unit_import", args=[pk])).status_code == 403
    assert client.post(reverse("orgs:unit_import", args=[pk]), {"file": upload()}).status_code == 403
    assert client.post(reverse("orgs:unit_import_confirm", args=[pk]), {"token": "abc"}).status_code == 403
    assert client.get(reverse("orgs:unit_export", args=[pk])).status_code == 403
    assert not OrgUnit.objects.filter(code="P99-SXD").exists()


def test_a_manager_uploads_previews_and_confirms_an_import(cast, login, settings):
    client = login(cast.manager)
    pk = cast.province.pk
    assert client.get(reverse("orgs:unit_import", args=[pk])).status_code == 200

    preview = client.post(reverse("orgs:unit_import", args=[pk]), {"file": upload()})

    assert preview.status_code == 200
    body = preview.content.decode()
    assert "sẽ tạo mới 1" in body and "Sở Xây dựng" in body
    assert not OrgUnit.objects.filter(code="P99-SXD").exists()
    token = preview.context["token"]
    assert (Path(settings.MEDIA_ROOT) / "imports" / f"{token}.xlsx").is_file()

    # Someone else cannot confirm it, even with the token.
    other = Client()
    other.force_login(cast.other_manager)
    assert other.post(reverse("orgs:unit_import_confirm", args=[pk]), {"token": token}).status_code == 403
    done = client.post(reverse("orgs:unit_import_confirm", args=[pk]), {"token": token})

    assert done.status_code == 302 and done["Location"] == reverse("orgs:unit_detail", args=[pk])
    unit = OrgUnit.objects.get(code="P99-SXD")
    assert unit.parent == cast.province
    assert AuditEvent.objects.get(action="units.import").actor == cast.manager
    assert not (Path(settings.MEDIA_ROOT) / "imports" / f"{token}.xlsx").exists()
    again = client.post(reverse("orgs:unit_import_confirm", args=[pk]), {"token": token})
    assert again.status_code == 302 and again["Location"] == reverse("orgs:unit_import", args=[pk])
    assert OrgUnit.objects.filter(code="P99-SXD").count() == 1


def test_a_token_of_another_unit_is_refused(cast, login):
    client = login(cast.manager)
    preview = client.post(reverse("orgs:unit_import", args=[cast.province.pk]), {"file": upload()})
    token = preview.context["token"]
    response = client.post(reverse("orgs:unit_import_confirm", args=[cast.dept_a.pk]), {"token": token})
    assert response.status_code == 302 and response["Location"] == reverse("orgs:unit_import", args=[cast.dept_a.pk])
    assert not OrgUnit.objects.filter(code="P99-SXD").exists()


def test_an_invalid_file_shows_the_errors_and_no_confirm_button(cast, login):
    client = login(cast.manager)
    data = make_xlsx([("P99-A", "Sở A", "department", "KHONG-CO", None, None, None)])
    response = client.post(reverse("orgs:unit_import", args=[cast.province.pk]), {"file": upload(data=data)})
    body = response.content.decode()
    assert "Dòng 2: mã đơn vị cấp trên “KHONG-CO”" in body
    assert 'data-testid="confirm-import"' not in body
    not_xlsx = client.post(reverse("orgs:unit_import", args=[cast.province.pk]), {"file": upload(name="a.csv")})
    assert "đuôi .xlsx" in not_xlsx.content.decode()


def test_a_manager_exports_the_subtree(cast, login):
    response = login(cast.manager).get(reverse("orgs:unit_export", args=[cast.province.pk]))
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content))[SHEET].iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in rows) == ["P99-SNV", "P99-STC", "P99-STP"]


# --- unit groups -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "other_manager", "officer_a", "outsider"])
def test_every_signed_in_user_reads_groups(cast, login, group, who):
    client = login(getattr(cast, who))
    listing = client.get(reverse("orgs:group_list"))
    detail = client.get(reverse("orgs:group_detail", args=[group.pk]))
    assert listing.status_code == 200 and group.name in listing.content.decode()
    assert detail.status_code == 200 and "Sở Tư pháp" in detail.content.decode()
    assert ('data-testid="edit-group"' in detail.content.decode()) is (who == "manager")


@pytest.mark.parametrize("who", ["other_manager", "officer_a", "outsider"])
def test_only_managers_of_the_owner_edit_a_group(cast, login, group, who):
    client = login(getattr(cast, who))
    url = reverse("orgs:group_edit", args=[group.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "Đổi tên", "unit_codes": "P99-STP"}).status_code == 403
    group.refresh_from_db()
    assert group.name == "Sở, ngành tỉnh Thử Nghiệm"


def test_a_manager_renames_a_group_and_sets_its_members(cast, login, group):
    client = login(cast.manager)
    url = reverse("orgs:group_edit", args=[group.pk])
    assert client.get(url).status_code == 200

    response = client.post(
        url, {"name": "Khối sở, ngành", "description": "", "unit_codes": "P99-STP\nP99-SNV, P99-STP"}
    )

    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "Khối sở, ngành"
    assert set(group.units.values_list("code", flat=True)) == {"P99-STP", "P99-SNV"}
    assert AuditEvent.objects.filter(action="group.update", object_id=str(group.pk)).exists()
    assert AuditEvent.objects.filter(action="group.set_units", object_id=str(group.pk)).exists()


def test_a_group_cannot_take_units_of_another_province_or_unknown_codes(cast, login, group):
    client = login(cast.manager)
    response = client.post(
        reverse("orgs:group_edit", args=[group.pk]), {"name": "Nhóm", "unit_codes": "P99-STP\nP98\nKHONG-CO"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "không thuộc “Tỉnh Thử Nghiệm”: P98" in body and "KHONG-CO" in body
    assert set(UnitGroup.objects.get(pk=group.pk).units.values_list("code", flat=True)) == {"P99-STP", "P99-STC"}


def test_an_unknown_group_is_not_found(cast, login):
    assert login(cast.outsider).get(reverse("orgs:group_detail", args=[424242])).status_code == 404
