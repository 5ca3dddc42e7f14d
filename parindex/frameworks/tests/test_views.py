"""Pages: every one tried with the owner's manager, a user of another unit, another province's manager, an outsider
and an anonymous visitor."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from parindex.frameworks import formats
from parindex.frameworks.models import Framework, FrameworkStatus

pytestmark = [pytest.mark.django_db]


def url(name, *args):
    return reverse(f"frameworks:{name}", args=args)


def test_anonymous_visitors_are_sent_to_the_login_page(client, active):
    for target in (url("list"), url("detail", active.pk), url("editor", active.pk), url("import")):
        response = client.get(target)
        assert response.status_code == 302
        assert "/tai-khoan/" in response["Location"] or "login" in response["Location"]


def test_the_list_shows_drafts_only_to_the_managers_of_their_owner(login, cast, draft, active):
    for user, sees_draft in (
        (cast.manager, True),
        (cast.admin, True),
        (cast.officer_a, False),
        (cast.other_manager, False),
        (cast.outsider, False),
    ):
        page = login(user).get(url("list")).content.decode()
        assert "thu-nghiem-ap-dung" in page
        assert ("Dự thảo" in page) == sees_draft, user


def test_the_detail_shows_the_tree_with_totals(login, cast, active):
    page = login(cast.officer_a).get(url("detail", active.pk)).content.decode()
    assert "Cải cách thủ tục hành chính" in page
    assert "Tỷ lệ ≥ 95%: 4; &lt; 95%: 0 (điểm)" in page
    assert "10 / 10" in page
    assert "Soạn thảo" not in page  # not a manager


def test_a_draft_is_hidden_from_others(login, cast, draft):
    for user in (cast.officer_a, cast.other_manager, cast.outsider):
        assert login(user).get(url("detail", draft.pk)).status_code == 404
        assert login(user).get(url("editor", draft.pk)).status_code == 404
    assert login(cast.manager).get(url("detail", draft.pk)).status_code == 200


def test_export_from_the_page(login, cast, active):
    response = login(cast.outsider).get(url("export", active.pk, "xlsx"))
    assert response.status_code == 200
    assert formats.read_checked(response.content, "xlsx")["code"] == "thu-nghiem-ap-dung"


def test_import_preview_then_confirm(login, cast, small_yaml, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(cast.manager)
    response = client.post(
        url("import"), {"file": SimpleUploadedFile("bo.yaml", small_yaml), "owner": cast.home_affairs.pk}
    )
    page = response.content.decode()
    assert 'data-testid="import-preview"' in page
    assert "Sẽ tạo 5 nút" in page
    assert not Framework.objects.exists()
    token = response.context["token"]
    response = client.post(url("import_confirm"), {"token": token})
    framework = Framework.objects.get()
    assert response["Location"] == url("detail", framework.pk)
    assert framework.status == FrameworkStatus.DRAFT
    assert client.post(url("import_confirm"), {"token": token}).status_code == 302
    assert Framework.objects.count() == 1


def test_an_import_with_errors_lists_them_and_offers_no_confirmation(login, cast, small_yaml):
    bad = small_yaml.replace(b"max_points: 2\n", b"max_points: 2.5\n", 1)
    response = login(cast.manager).post(
        url("import"), {"file": SimpleUploadedFile("bo.yaml", bad), "owner": cast.home_affairs.pk}
    )
    page = response.content.decode()
    assert "Lĩnh vực 1: tổng điểm tối đa các nút con là 6,5" in page
    assert "confirm-import" not in page


def test_import_is_for_managers_and_their_own_units(login, cast, small_yaml):
    assert login(cast.officer_a).get(url("import")).status_code == 403
    assert login(cast.outsider).get(url("import")).status_code == 403
    response = login(cast.other_manager).post(
        url("import"), {"file": SimpleUploadedFile("bo.yaml", small_yaml), "owner": cast.home_affairs.pk}
    )
    assert response.status_code == 200
    assert "owner" in response.context["form"].errors  # not one of the units they manage
    assert not Framework.objects.exists()


def test_clone_activate_and_retire_from_the_pages(login, cast, active):
    client = login(cast.manager)
    response = client.post(url("clone", active.pk), {"code": "ban-moi", "name": "Bản mới", "year_from": 2026})
    clone = Framework.objects.get(code="ban-moi")
    assert response["Location"] == url("editor", clone.pk)
    client.post(url("activate", clone.pk))
    clone.refresh_from_db()
    assert clone.status == FrameworkStatus.ACTIVE
    client.post(url("retire", active.pk))
    active.refresh_from_db()
    assert active.status == FrameworkStatus.RETIRED
    for user in (cast.officer_a, cast.other_manager, cast.outsider):
        assert login(user).post(url("retire", clone.pk)).status_code == 403
        assert login(user).get(url("clone", clone.pk)).status_code == 403


def test_the_editor_of_an_active_framework_sends_back_to_the_detail(login, cast, active):
    response = login(cast.manager).get(url("editor", active.pk))
    assert response["Location"] == url("detail", active.pk)


def test_editing_a_node_in_the_editor(login, cast, draft):
    client = login(cast.manager)
    node = draft.nodes.get(code="1.2")
    page = client.get(url("editor", draft.pk)).content.decode()
    assert 'data-testid="editor-tree"' in page
    form = client.get(url("editor_node", draft.pk, node.pk), HTTP_HX_REQUEST="true")
    assert "type: yes_no" in form.content.decode()
    data = {
        "node-code": "1.2",
        "node-name": "Công khai TTHC đầy đủ",
        "node-parent": draft.nodes.get(code="1").pk,
        "node-max_points": "3",
        "node-min_points": "0",
        "node-method": "appraised",
        "node-rule": "type: yes_no",
        "node-provenance": "",
    }
    response = client.post(url("editor_node", draft.pk, node.pk), data, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert 'data-testid="saved"' in page
    assert 'hx-swap-oob="true"' in page
    assert "table-danger" in page  # field 1 now adds up to 7 of 6
    node.refresh_from_db()
    assert (node.name, node.max_points) == ("Công khai TTHC đầy đủ", 3)
    data["node-rule"] = "type: bands\nbands: [{min: 50, fraction: 1}]"
    page = client.post(url("editor_node", draft.pk, node.pk), data).content.decode()
    assert 'data-testid="saved"' in page  # saved: a draft may be incomplete, the problems list says why
    assert "dưới 50%" in page
    data["node-rule"] = "type: [oops"
    page = client.post(url("editor_node", draft.pk, node.pk), data).content.decode()
    assert "sai cú pháp" in page


def test_adding_moving_and_removing_nodes(login, cast, draft):
    client = login(cast.manager)
    response = client.post(
        url("editor_add", draft.pk), {"new-parent": draft.nodes.get(code="2").pk, "new-code": "2.2", "new-name": "Mới"}
    )
    assert response.status_code == 200
    new = draft.nodes.get(code="2.2")
    assert new.parent.code == "2"
    client.post(url("editor_move", draft.pk, new.pk), {"direction": "up"})
    assert list(draft.nodes.filter(parent__code="2").order_by("order").values_list("code", flat=True)) == ["2.2", "2.1"]
    duplicate = client.post(url("editor_add", draft.pk), {"new-code": "2.2", "new-name": "Trùng"})
    assert duplicate["HX-Retarget"] == "#fw-messages"
    assert "đã có" in duplicate.content.decode()
    client.post(url("editor_remove", draft.pk, new.pk))
    assert not draft.nodes.filter(code="2.2").exists()


def test_others_cannot_use_the_editor(login, cast, draft):
    node = draft.nodes.get(code="1.2")
    for user in (cast.officer_a, cast.other_manager, cast.outsider):
        client = login(user)
        assert client.post(url("editor_node", draft.pk, node.pk), {"node-name": "x"}).status_code == 404
        assert client.post(url("editor_remove", draft.pk, node.pk)).status_code == 404
    assert draft.nodes.filter(code="1.2", name="Công khai thủ tục").exists()


def test_the_rule_preview_scores_what_is_written(login, cast, draft):
    client = login(cast.manager)
    data = {
        "node-rule": "type: bands\nbands: [{min: 95, fraction: 0.75}, {min: 90, max: 95, fraction: 0.5}, "
        "{max: 90, fraction: 0}]",
        "node-max_points": "2",
        "node-min_points": "0",
        "sample": "97,5",
    }
    page = client.post(url("editor_preview", draft.pk), data).content.decode()
    assert "Tỷ lệ 97,5% ≥ 95% → 1,5/2 điểm" in page
    assert "không có trường hợp nào đạt 2 điểm" in page
    data["sample"] = "abc"
    assert "không phải là số" in client.post(url("editor_preview", draft.pk), data).content.decode()


def test_the_diff_and_history_pages(login, cast, active):
    client = login(cast.manager)
    client.post(url("clone", active.pk), {"code": "ban-moi", "name": "Bản mới"})
    clone = Framework.objects.get(code="ban-moi")
    node = clone.nodes.get(code="1.2")
    data = {
        "node-code": "1.2",
        "node-name": "Công khai TTHC",
        "node-parent": clone.nodes.get(code="1").pk,
        "node-max_points": "2",
        "node-min_points": "0",
        "node-method": "appraised",
        "node-rule": "type: yes_no",
    }
    client.post(url("editor_node", clone.pk, node.pk), data)
    page = client.get(url("diff", clone.pk)).content.decode()
    assert "Đổi tên" in page
    assert "Công khai thủ tục → Công khai TTHC" in page
    page = client.get(url("history", clone.pk)).content.decode()
    assert "Công khai TTHC" in page
    assert login(cast.outsider).get(url("diff", clone.pk)).status_code == 404
    assert login(cast.outsider).get(url("history", active.pk)).status_code == 200
