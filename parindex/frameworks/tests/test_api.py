"""The framework router: access first, every answer in its declared shape, errors in Vietnamese."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from parindex.frameworks import formats
from parindex.frameworks.models import Framework, FrameworkStatus

pytestmark = [pytest.mark.django_db]
API = "/api/v1/frameworks"


@pytest.fixture
def api(client):
    def _api(user):
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return _api


def test_anonymous_callers_get_401(api, active):
    assert api(None).get(API).status_code == 401
    assert api(None).get(f"{API}/{active.pk}").status_code == 401


def test_everyone_signed_in_reads_active_frameworks_but_drafts_only_their_managers(api, cast, draft, active):
    for user in (cast.manager, cast.officer_a, cast.outsider, cast.other_manager):
        codes = {f["code"] for f in api(user).get(API).json()["items"]}
        assert "thu-nghiem-ap-dung" in codes
        assert ("thu-nghiem" in codes) == (user == cast.manager)
    assert api(cast.outsider).get(f"{API}/{draft.pk}").status_code == 404
    assert api(cast.other_manager).get(f"{API}/{draft.pk}").status_code == 404
    detail = api(cast.officer_a).get(f"{API}/{active.pk}").json()
    assert [n["code"] for n in detail["nodes"]] == ["1", "1.1", "1.2", "2", "2.1"]
    assert detail["nodes"][0]["children_total"] == 6
    assert detail["problems"] == []
    assert detail["status_label"] == "Đang áp dụng"


def test_export_in_both_formats(api, cast, active):
    for fmt in ("yaml", "xlsx"):
        response = api(cast.officer_a).get(f"{API}/{active.pk}/export", {"format": fmt})
        assert response.status_code == 200
        assert f'filename="thu-nghiem-ap-dung.{fmt}"' in response["Content-Disposition"]
        spec = formats.read_checked(response.content, fmt)
        assert len(spec["nodes"]) == 5


def test_import_with_a_dry_run_then_for_real(api, cast, small_yaml):
    client = api(cast.manager)

    def upload(**extra):
        data = {"file": SimpleUploadedFile("bo.yaml", small_yaml), "owner": cast.home_affairs.pk, **extra}
        return client.post(f"{API}/import", data)

    preview = upload(dry_run="true")
    assert preview.status_code == 200
    assert preview.json()["valid"] is True
    assert preview.json()["nodes"] == 5
    assert not Framework.objects.exists()
    created = upload()
    assert created.status_code == 201
    assert created.json()["status"] == "draft"
    again = upload()
    assert again.status_code == 422
    assert "đã có" in again.json()["errors"]["file"][0]


def test_a_bad_file_lists_its_problems(api, cast, small_yaml):
    bad = small_yaml.replace(b"max_points: 2\n", b"max_points: 2.5\n", 1)
    response = api(cast.manager).post(
        f"{API}/import", {"file": SimpleUploadedFile("bo.yaml", bad), "owner": cast.home_affairs.pk}
    )
    assert response.status_code == 422
    assert any("Lĩnh vực 1" in m for m in response.json()["errors"]["file"])
    assert not Framework.objects.exists()


def test_only_managers_of_the_owner_import(api, cast, small_yaml):
    response = api(cast.other_manager).post(
        f"{API}/import", {"file": SimpleUploadedFile("bo.yaml", small_yaml), "owner": cast.home_affairs.pk}
    )
    assert response.status_code == 403
    assert "quản lý Chỉ số" in response.json()["detail"]


def test_clone_activate_retire_and_diff(api, cast, active):
    client = api(cast.manager)
    response = client.post(
        f"{API}/{active.pk}/clone", {"code": "ban-2025", "year_from": 2025}, content_type="application/json"
    )
    assert response.status_code == 201
    clone_id = response.json()["id"]
    assert response.json()["previous_version_id"] == active.pk
    node = next(n for n in client.get(f"{API}/{clone_id}").json()["nodes"] if n["code"] == "1.2")
    patched = client.patch(
        f"{API}/{clone_id}/nodes/{node['id']}", {"name": "Công khai TTHC"}, content_type="application/json"
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "Công khai TTHC"
    changes = client.get(f"{API}/{clone_id}/diff").json()["changes"]
    assert [(c["kind"], c["code"]) for c in changes] == [("renamed", "1.2")]
    assert client.post(f"{API}/{clone_id}/activate").json()["status"] == "active"
    assert (
        client.post(f"{API}/{active.pk}/retire", {"reason": "thay thế"}, content_type="application/json").json()[
            "status"
        ]
        == "retired"
    )


def test_an_active_framework_cannot_be_edited_through_the_api(api, cast, active):
    node = active.nodes.get(code="1.2")
    response = api(cast.manager).patch(
        f"{API}/{active.pk}/nodes/{node.pk}", {"name": "Đổi"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "nhân bản" in response.json()["detail"]
    assert api(cast.manager).delete(f"{API}/{active.pk}/nodes/{node.pk}").status_code == 422


def test_others_cannot_change_a_framework(api, cast, active, draft):
    for user in (cast.officer_a, cast.other_manager):
        assert api(user).post(f"{API}/{active.pk}/retire", {}, content_type="application/json").status_code == 403
        assert (
            api(user).post(f"{API}/{active.pk}/clone", {"code": "x"}, content_type="application/json").status_code
            == 403
        )
    assert api(cast.officer_a).post(f"{API}/{draft.pk}/activate").status_code == 404


def test_activation_of_an_invalid_draft_lists_the_problems(api, cast, draft):
    node = draft.nodes.get(code="1.1")
    client = api(cast.manager)
    client.patch(f"{API}/{draft.pk}/nodes/{node.pk}", {"max_points": "5"}, content_type="application/json")
    response = client.post(f"{API}/{draft.pk}/activate")
    assert response.status_code == 422
    assert any("Lĩnh vực 1: tổng điểm" in m for m in response.json()["errors"]["__all__"])
    assert Framework.objects.get(pk=draft.pk).status == FrameworkStatus.DRAFT


def test_nodes_are_created_moved_and_removed_on_a_draft(api, cast, draft):
    client = api(cast.manager)
    field = draft.nodes.get(code="2")
    created = client.post(
        f"{API}/{draft.pk}/nodes",
        {
            "code": "2.2",
            "name": "Đối thoại",
            "parent": field.pk,
            "max_points": "1",
            "method": "appraised",
            "rule": {"type": "yes_no"},
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["depth"] == 2
    moved = client.patch(
        f"{API}/{draft.pk}/nodes/{created.json()['id']}",
        {"move": True, "parent": draft.nodes.get(code="1").pk, "position": 0},
        content_type="application/json",
    )
    assert moved.json()["parent"] == "1"
    assert client.delete(f"{API}/{draft.pk}/nodes/{created.json()['id']}").status_code == 204
    assert not draft.nodes.filter(code="2.2").exists()


def test_evaluating_a_node_and_a_free_rule(api, cast, active):
    node = active.nodes.get(code="1.1")
    client = api(cast.officer_a)
    result = client.post(
        f"{API}/{active.pk}/nodes/{node.pk}/evaluate", {"value": "97,5"}, content_type="application/json"
    ).json()
    assert result == {"points": 4.0, "max_points": 4.0, "explanation": "Tỷ lệ 97,5% ≥ 95% → 4/4 điểm"}
    bad = client.post(f"{API}/{active.pk}/nodes/{node.pk}/evaluate", {"value": "abc"}, content_type="application/json")
    assert bad.status_code == 422
    assert "không phải là số" in bad.json()["errors"]["value"][0]
    free = client.post(
        f"{API}/rules/evaluate",
        {"rule": {"type": "count", "steps": [{"at_least": 2, "fraction": 1}]}, "max_points": 1, "value": 3},
        content_type="application/json",
    )
    assert free.json()["points"] == 1.0
    broken = client.post(
        f"{API}/rules/evaluate",
        {"rule": {"type": "bands", "bands": [{"min": 50, "fraction": 1}]}, "max_points": 1, "value": 3},
        content_type="application/json",
    )
    assert broken.status_code == 422
    assert "dưới 50%" in broken.json()["errors"]["rule"][0]


def test_the_router_is_documented(api, cast):
    schema = api(cast.manager).get("/api/v1/openapi.json").json()
    assert "/api/v1/frameworks/{framework_id}/diff" in schema["paths"]
    responses = schema["paths"]["/api/v1/frameworks/import"]["post"]["responses"]
    assert {"201", "403", "422"} <= set(responses)
