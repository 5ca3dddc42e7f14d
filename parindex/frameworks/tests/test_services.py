"""Services: import, activation, immutability, node editing, clone, diff, history, the library and the commands."""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from parindex.core.models import AuditEvent
from parindex.frameworks import diff, formats, services
from parindex.frameworks.models import Framework, FrameworkStatus, Node
from parindex.frameworks.selectors import framework_history, framework_spec, framework_tree, framework_versions
from parindex.frameworks.spec import SpecError

pytestmark = pytest.mark.django_db


def test_an_import_creates_a_draft_with_its_tree_and_an_audit_event(draft, cast):
    assert draft.status == FrameworkStatus.DRAFT
    assert draft.owner == cast.home_affairs
    assert list(draft.nodes.filter(parent=None).values_list("code", flat=True)) == ["1", "2"]
    assert draft.nodes.get(code="1.1").parent.code == "1"
    event = AuditEvent.objects.get(action="framework.import", object_id=str(draft.pk))
    assert event.actor == cast.manager
    assert event.unit == cast.home_affairs
    assert Node.history.filter(framework_id=draft.pk).count() == 5


def test_a_bad_import_writes_nothing(cast, small_yaml):
    bad = small_yaml.decode().replace("max_points: 2\n", "max_points: 3\n", 1).encode()
    with pytest.raises(SpecError, match="Lĩnh vực 1: tổng điểm"):
        services.framework_import(content=bad, fmt="yaml", owner=cast.home_affairs, actor=cast.manager)
    assert not Framework.objects.exists()
    assert not Node.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="framework").exists()


def test_a_code_already_used_is_refused(draft, cast, small_yaml):
    with pytest.raises(SpecError, match="đã có"):
        services.framework_import(content=small_yaml, fmt="yaml", owner=cast.home_affairs, actor=cast.manager)
    assert Framework.objects.count() == 1


def test_activation_requires_a_valid_framework(draft, cast):
    node = draft.nodes.get(code="1.2")
    services.node_update(node=node, actor=cast.manager, max_points=D(3))
    with pytest.raises(SpecError) as info:
        services.framework_activate(framework=draft, actor=cast.manager)
    assert any("Lĩnh vực 1" in m for m in info.value.messages)
    draft.refresh_from_db()
    assert draft.status == FrameworkStatus.DRAFT
    services.node_update(node=node, actor=cast.manager, max_points=D(2))
    services.framework_activate(framework=draft, actor=cast.manager)
    draft.refresh_from_db()
    assert draft.status == FrameworkStatus.ACTIVE
    assert draft.activated_at is not None


def test_an_active_framework_is_immutable(active, cast):
    node = active.nodes.get(code="1.2")
    with pytest.raises(ValidationError, match="nhân bản"):
        services.node_update(node=node, actor=cast.manager, name="Tên mới")
    with pytest.raises(ValidationError):
        services.node_create(framework=active, actor=cast.manager, code="3", name="Mới", max_points=D(1))
    with pytest.raises(ValidationError):
        services.node_remove(node=node, actor=cast.manager)
    with pytest.raises(ValidationError):
        services.node_move(node=node, actor=cast.manager, parent=None)
    with pytest.raises(ValidationError):
        services.framework_update(framework=active, actor=cast.manager, name="Đổi")
    node.refresh_from_db()
    assert node.name == "Công khai thủ tục"
    assert active.nodes.count() == 5


def test_retiring_an_active_framework(active, cast):
    services.framework_retire(framework=active, actor=cast.manager, reason="Có bộ chỉ số mới")
    active.refresh_from_db()
    assert active.status == FrameworkStatus.RETIRED
    with pytest.raises(ValidationError):
        services.framework_retire(framework=active, actor=cast.manager)


def test_node_editing_on_a_draft(draft, cast):
    field = draft.nodes.get(code="2")
    node = services.node_create(
        framework=draft,
        parent=field,
        actor=cast.manager,
        code="2.2",
        name="Đối thoại với người dân",
        max_points=D(1),
        method="appraised",
        rule={"type": "count", "steps": [{"at_least": 2, "fraction": 1}]},
    )
    assert node.order == 1
    assert node.rule["otherwise"] == {"fraction": 0}
    with pytest.raises(ValidationError) as info:
        services.node_create(framework=draft, parent=field, actor=cast.manager, code="2.2", name="Trùng")
    assert "code" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.node_update(node=node, actor=cast.manager, rule={"type": "dice"})
    assert "rule" in info.value.message_dict
    services.node_move(node=node, actor=cast.manager, parent=draft.nodes.get(code="1"), position=0)
    assert list(draft.nodes.filter(parent__code="1").order_by("order").values_list("code", flat=True)) == [
        "2.2",
        "1.1",
        "1.2",
    ]
    with pytest.raises(ValidationError, match="bên trong chính nó"):
        services.node_move(node=draft.nodes.get(code="1"), actor=cast.manager, parent=draft.nodes.get(code="1.1"))
    services.node_remove(node=draft.nodes.get(code="1"), actor=cast.manager)
    assert sorted(draft.nodes.values_list("code", flat=True)) == ["2", "2.1"]
    assert Node.history.filter(framework_id=draft.pk, history_type="-").count() == 4
    assert AuditEvent.objects.filter(action="framework.node_remove").get().changes["nodes"][0] == [
        "1",
        "2.2",
        "1.1",
        "1.2",
    ]


def test_a_clone_is_a_new_draft_version_with_the_same_tree(active, cast):
    clone = services.framework_clone(
        framework=active, code="thu-nghiem-2025", actor=cast.manager, year_from=2025, year_to=2025
    )
    assert clone.status == FrameworkStatus.DRAFT
    assert clone.previous_version == active
    assert (clone.year_from, clone.year_to) == (2025, 2025)
    a, b = framework_spec(active), framework_spec(clone)
    assert a["nodes"] == b["nodes"]
    assert framework_versions(clone) == [active, clone]
    assert diff.diff(a, b)["changes"] == []
    services.node_update(node=clone.nodes.get(code="1.1"), actor=cast.manager, name="Tỷ lệ hồ sơ giải quyết đúng hạn")
    assert active.nodes.get(code="1.1").name == "Tỷ lệ hồ sơ đúng hạn"


def test_the_diff_reports_real_edits(active, cast):
    clone = services.framework_clone(framework=active, code="thu-nghiem-2025", actor=cast.manager)
    nodes = {n.code: n for n in clone.nodes.all()}
    services.node_update(node=nodes["1.1"], actor=cast.manager, name="Tỷ lệ hồ sơ giải quyết đúng hạn")
    services.node_update(node=nodes["1.2"], actor=cast.manager, max_points=D("1.5"))
    services.node_update(
        node=nodes["2.1"], actor=cast.manager, rule={"type": "survey", "component": "citizens", "label": "SIPAS xã"}
    )
    services.node_create(
        framework=clone,
        parent=nodes["1"],
        actor=cast.manager,
        code="1.3",
        name="Xin lỗi khi trễ hẹn",
        max_points=D("0.5"),
        method="appraised",
        rule={"type": "yes_no"},
    )
    services.node_create(framework=clone, parent=None, actor=cast.manager, code="3", name="Bộ máy", max_points=0)
    services.node_move(node=nodes["2.1"], actor=cast.manager, parent=clone.nodes.get(code="3"))
    services.node_update(node=clone.nodes.get(code="2.1"), actor=cast.manager, code="3.1")
    services.node_remove(node=nodes["2"], actor=cast.manager)
    result = diff.diff(framework_spec(active), framework_spec(clone))
    found = {(c.kind, c.code) for c in result["changes"]}
    assert ("renamed", "1.1") in found
    assert ("points", "1.2") in found
    assert ("added", "1.3") in found
    assert ("added", "3") in found
    assert ("moved", "3.1") in found
    assert ("rule", "3.1") in found
    assert ("removed", "2") in found
    moved = next(c for c in result["changes"] if c.kind == "moved")
    assert moved.old_code == "2.1"
    as_dict = diff.diff_as_dict(result)
    assert {"field": "max_points", "label": "Điểm tối đa", "old": "2", "new": "1.5"} in next(
        c for c in as_dict["changes"] if c["code"] == "1.2"
    )["fields"]


def test_reordering_siblings_is_a_move_but_an_insertion_is_not(draft, cast):
    before = framework_spec(draft)
    services.node_move(
        node=draft.nodes.get(code="1.2"), actor=cast.manager, parent=draft.nodes.get(code="1"), position=0
    )
    result = diff.diff(before, framework_spec(draft))
    assert {(c.kind, c.code) for c in result["changes"]} == {("moved", "1.2"), ("moved", "1.1")}


def test_history_keeps_every_edit(draft, cast):
    node = draft.nodes.get(code="1.2")
    services.node_update(node=node, actor=cast.manager, name="Công khai TTHC")
    services.framework_update(framework=draft, actor=cast.manager, name="Bộ chỉ số thử nghiệm 2")
    entries = framework_history(draft)
    edits = [e for e in entries if e["type"] == "Sửa"]
    assert any(("name", "Công khai thủ tục", "Công khai TTHC") in e["changes"] for e in edits)
    assert any(e["what"] == "Bộ chỉ số" for e in edits)


def test_the_tree_has_totals_that_turn_red(draft, cast):
    services.node_update(node=draft.nodes.get(code="1.2"), actor=cast.manager, max_points=D(3))
    tree = framework_tree(draft)
    rows = {r["item"]["code"]: r for r in tree["rows"]}
    assert rows["1"]["children_total"] == 7
    assert rows["1"]["adds_up"] is False
    assert rows["2"]["adds_up"] is True
    assert rows["1.1"]["rule_text"].startswith("Tỷ lệ")


def test_the_library_loads_once_and_is_active(cast):
    loaded = services.frameworks_load_library(owner=cast.home_affairs, actor=None)
    assert {f.code for f in loaded} == {"pari-tinh-876", "pari-so-nganh", "pari-xa"}
    assert all(f.status == FrameworkStatus.ACTIVE for f in loaded)
    again = services.frameworks_load_library(owner=cast.home_affairs, actor=None)
    assert [f.pk for f in again] == [f.pk for f in loaded]
    assert Framework.objects.count() == 3


def test_the_commands_import_and_export(cast, tmp_path, small_yaml):
    source = tmp_path / "bo.yaml"
    source.write_bytes(small_yaml)
    out = StringIO()
    call_command("import_framework", str(source), "--owner", "P99-SNV", stdout=out)
    assert "Đã nhập" in out.getvalue()
    framework = Framework.objects.get(code="thu-nghiem")
    for fmt in ("yaml", "xlsx"):
        target = tmp_path / f"ra.{fmt}"
        call_command("export_framework", "thu-nghiem", "--format", fmt, "--output", str(target), stdout=StringIO())
        spec = formats.read_checked(target.read_bytes(), fmt)
        assert spec["nodes"] == framework_spec(framework)["nodes"]
    call_command(
        "import_framework", str(tmp_path / "ra.xlsx"), "--owner", "P99-SNV", "--code", "tu-excel", stdout=StringIO()
    )
    assert Framework.objects.get(code="tu-excel").nodes.count() == 5


def test_the_import_command_lists_the_problems(cast, tmp_path, small_yaml):
    source = tmp_path / "bo.yaml"
    source.write_bytes(small_yaml.replace(b"max_points: 2\n", b"max_points: 2.5\n", 1))
    with pytest.raises(CommandError, match="Lĩnh vực 1: tổng điểm"):
        call_command("import_framework", str(source), "--owner", "P99-SNV", stdout=StringIO())
    assert not Framework.objects.exists()


def test_the_import_command_uses_the_owner_written_in_the_file(cast, tmp_path, small_spec):
    small_spec["owner"] = "P99-SNV"
    source = tmp_path / "bo.yaml"
    source.write_bytes(formats.write_yaml(small_spec))
    call_command("import_framework", str(source), "--activate", stdout=StringIO())
    framework = Framework.objects.get()
    assert framework.owner == cast.home_affairs
    assert framework.status == FrameworkStatus.ACTIVE
