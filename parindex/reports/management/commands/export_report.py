"""Build one report synchronously and write it to a file, the same as a report job from the pages or the API."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parindex.reports.models import ReportFormat
from parindex.reports.registry import SPECS, ReportError, ReportRequest, build

KINDS_HELP = "; ".join(
    f"{kind} ({', '.join(spec.formats)}{', cần --unit' if spec.needs_unit else ''})" for kind, spec in SPECS.items()
)


class Command(BaseCommand):
    help = (
        "Tạo một báo cáo (Excel, Word hoặc PDF) của một đợt đánh giá và ghi ra tệp. Tiến độ in ra stderr. Tệp chỉ "
        "xuất hiện ở đường dẫn đích khi đã tạo xong trọn vẹn (ghi vào tệp tạm cùng thư mục rồi đổi tên); khi lỗi, "
        "không để lại tệp nào. Ví dụ: manage.py export_report ranking --cycle 3 --format xlsx --output xep-hang.xlsx. "
        f"Các loại: {KINDS_HELP}."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help=f"loại báo cáo: {', '.join(SPECS)}")
        parser.add_argument("--cycle", required=True, help="id đợt đánh giá")
        parser.add_argument(
            "--unit", default="", help="mã đơn vị (với báo cáo của một đơn vị: self_assessment, scorecard)"
        )
        parser.add_argument("--group", default="", help="mã nhóm đơn vị (tùy chọn: chỉ báo cáo nhóm này)")
        parser.add_argument("--format", required=True, dest="fmt", metavar="xlsx|docx|pdf", help="định dạng tệp")
        parser.add_argument("--output", required=True, help="đường dẫn tệp ghi ra (thư mục phải có sẵn)")
        parser.add_argument("--user", default="", help="tên đăng nhập của người yêu cầu (ghi vào văn bản nếu cần)")

    def handle(self, *args, kind, cycle, unit, group, fmt, output, user, **options):
        from parindex.cycles.management.commands._common import get_actor
        from parindex.cycles.models import Cycle, Participant
        from parindex.orgs.models import UnitGroup

        spec = SPECS.get(kind)
        if spec is None:
            raise CommandError(f"Không có loại báo cáo “{kind}”. Các loại: {', '.join(SPECS)}.")
        fmt = (fmt or "").lower().lstrip(".")
        if fmt not in ReportFormat.values:
            raise CommandError(f"Định dạng “{fmt}” không hợp lệ; dùng xlsx, docx hoặc pdf.")
        if fmt not in spec.formats:
            raise CommandError(f"Báo cáo “{spec.label}” không có định dạng {fmt}; chọn: {', '.join(spec.formats)}.")
        if not str(cycle).isdigit():
            raise CommandError(f"--cycle phải là id (số) của đợt đánh giá, không phải “{cycle}”.")
        found = Cycle.objects.select_related("assessor").filter(pk=int(cycle)).first() if int(cycle) < 2**63 else None
        if found is None:
            raise CommandError(f"Không có đợt đánh giá id {cycle}.")
        the_unit = the_group = None
        if spec.needs_unit:
            if not unit:
                raise CommandError(f"Báo cáo “{spec.label}” là của một đơn vị: cần --unit MÃ_ĐƠN_VỊ.")
            participant = (
                Participant.objects.filter(cycle=found, unit__code=unit, withdrawn_at__isnull=True)
                .select_related("unit")
                .first()
            )
            if participant is None:
                raise CommandError(f"Không có đơn vị mã “{unit}” tham gia đợt “{found.name}”.")
            the_unit = participant.unit
        elif unit:
            raise CommandError(f"Báo cáo “{spec.label}” là của cả đợt: bỏ --unit (dùng --group để giới hạn theo nhóm).")
        if group:
            the_group = UnitGroup.objects.filter(code=group, cycle_frameworks__cycle=found).first()
            if the_group is None:
                raise CommandError(f"Không có nhóm đơn vị mã “{group}” trong đợt “{found.name}”.")
        target = Path(output).expanduser()
        if target.is_dir():
            raise CommandError(f"“{output}” là một thư mục; hãy ghi rõ tên tệp, ví dụ {target / ('bao-cao.' + fmt)}.")
        if not target.parent.is_dir():
            raise CommandError(f"Không có thư mục “{target.parent}”.")
        actor = get_actor(user)

        started = time.monotonic()
        req = ReportRequest(kind=kind, fmt=fmt, cycle=found, unit=the_unit, group=the_group, actor=actor)
        try:
            built = build(req, self._progress)
        except ReportError as exc:
            raise CommandError(str(exc)) from None
        if not built.content:
            raise CommandError("Trình tạo báo cáo không trả về tệp nào.")
        self._write(target, built.content)
        size = f"{len(built.content):,}".replace(",", ".")
        self.stdout.write(
            self.style.SUCCESS(f"Đã ghi {target}: {spec.label} ({size} byte, {time.monotonic() - started:.1f} giây).")
        )

    def _progress(self, done: int, total: int, label: str = "") -> None:
        share = f" {done}/{total}" if total else ""
        self.stderr.write(f"  {label or 'Đang tạo…'}{share}")
        self.stderr.flush()

    @staticmethod
    def _write(target: Path, content: bytes) -> None:
        """Into a temporary file next to the target, then renamed over it: the target is complete or untouched."""
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
