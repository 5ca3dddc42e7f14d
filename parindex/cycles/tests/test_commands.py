"""The cycles commands: show and set windows, export and import the plan, grant an extension."""

from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from parindex.core.models import AuditEvent
from parindex.cycles.factories import inside, vn
from parindex.cycles.models import Extension, Task, Window

pytestmark = [pytest.mark.django_db]


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_cycle_windows_shows_and_sets_a_window(cyc, cast):
    with time_machine.travel(inside("self_assessment")):
        shown = run("cycle_windows", "--cycle", str(cyc.cycle.pk))
        assert "self_assessment" in shown and "17:00 ngày 15/12/2026" in shown and "còn 43 ngày" in shown
        with pytest.raises(CommandError, match="lý do"):
            run("cycle_windows", "--cycle", str(cyc.cycle.pk), "--set", "self_assessment", "2026-11-01", "2026-12-20")
        run(
            "cycle_windows",
            "--cycle",
            str(cyc.cycle.pk),
            "--set",
            "self_assessment",
            "2026-11-01",
            "2026-12-20",
            "--reason",
            "Công văn 45",
            "--actor",
            "manager",
        )
    window = Window.objects.get(cycle=cyc.cycle, kind="self_assessment")
    assert (window.opens_at, window.closes_at) == (vn(2026, 11, 1, 8), vn(2026, 12, 20, 17))
    assert AuditEvent.objects.filter(action="cycle.window_set", reason="Công văn 45", actor=cast.manager).exists()
    with pytest.raises(CommandError, match="không hợp lệ"):
        run("cycle_windows", "--cycle", str(cyc.cycle.pk), "--set", "nope", "2026-11-01", "2026-12-20")
    with pytest.raises(CommandError, match="Không có đợt"):
        run("cycle_windows", "--cycle", "999999")


def test_export_then_import_the_plan(cyc, cast, task, tmp_path):
    path = tmp_path / "ke-hoach.xlsx"
    run("export_plan", "--cycle", str(cyc.cycle.pk), "--output", str(path))
    out = run("import_plan", "--cycle", str(cyc.cycle.pk), str(path), "--dry-run")
    assert "giữ nguyên 1" in out and "chạy thử" in out
    from parindex.cycles.tests.test_formats import workbook

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([[2, "Việc", "Sở Tư pháp", "", "", "", "Lạ", ""]]))
    with pytest.raises(CommandError, match="1 lỗi"):
        run("import_plan", "--cycle", str(cyc.cycle.pk), str(bad))
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook([[2, "Việc mới", "Sở Tư pháp", "", "", "20/12/2026", "", ""]]))
    assert "Đã thêm 1" in run("import_plan", "--cycle", str(cyc.cycle.pk), str(good), "--actor", "manager")
    assert Task.objects.filter(cycle=cyc.cycle).count() == 2


def test_grant_extension_from_the_command_line(cyc, cast):
    base = ["grant_extension", "--cycle", str(cyc.cycle.pk), "--unit", "P99-STP", "--kind", "self_assessment"]
    with time_machine.travel(inside("self_assessment")):
        with pytest.raises(CommandError, match="quản lý Chỉ số"):
            run(*base, "--until", "2026-12-20T17:00", "--reason", "x", "--actor", "officer_a")
        with pytest.raises(CommandError, match="sau thời điểm đóng"):
            run(*base, "--until", "2026-12-10T17:00", "--reason", "x", "--actor", "manager")
        with pytest.raises(CommandError, match="không có đơn vị|Không có đơn vị"):
            run(
                *base[:3],
                "--unit",
                "P98",
                "--kind",
                "self_assessment",
                "--until",
                "2026-12-20",
                "--reason",
                "x",
                "--actor",
                "manager",
            )
        out = run(*base, "--until", "2026-12-20T17:00", "--reason", "Mất điện", "--actor", "manager")
    assert "17:00 ngày 20/12/2026" in out
    extension = Extension.objects.get()
    assert extension.until == vn(2026, 12, 20, 17)
