from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from parindex.cycles.management.commands._common import get_actor, validation_text
from parindex.orgs.models import OrgUnit
from parindex.surveys import services
from parindex.surveys.models import RespondentStatus, Survey


class Command(BaseCommand):
    help = (
        "Nhập danh sách người trả lời của một đơn vị từ tệp Excel .xlsx theo mẫu (tất cả hoặc không), áp dụng các "
        "quy tắc (trùng, ưu tiên, loại) và thay cho danh sách đang lập của đơn vị."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="tệp .xlsx")
        parser.add_argument("--survey", required=True, type=int, help="id cuộc điều tra")
        parser.add_argument("--unit", required=True, help="mã đơn vị lập danh sách")
        parser.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi gì")
        parser.add_argument("--actor", help="tên đăng nhập người thực hiện (ghi nhật ký)")

    def handle(self, *args, path, survey, unit, dry_run, actor, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"Không có tệp {path}.")
        target = Survey.objects.select_related("cycle").filter(pk=survey).first()
        if target is None:
            raise CommandError(f"Không có cuộc điều tra id {survey}.")
        units = list(OrgUnit.objects.filter(code=unit)[:2])
        if len(units) != 1:
            raise CommandError(f"Không có đơn vị mã “{unit}”." if not units else f"Mã “{unit}” trùng nhiều đơn vị.")
        try:
            result = services.respondent_list_import(
                survey=target,
                unit=units[0],
                content=file.read_bytes(),
                actor=get_actor(actor),
                dry_run=dry_run,
                filename=file.name,
            )
        except ValidationError as exc:
            raise CommandError(validation_text(exc)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        if result.errors:
            for error in result.errors:
                self.stderr.write(error)
            raise CommandError(f"Tệp có {result.error_count} dòng lỗi; không có gì được ghi.")
        parts = [f"{RespondentStatus(k).label}: {v}" for k, v in result.by_status.items()]
        verb = "Sẽ nhập" if dry_run else "Đã nhập"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {sum(result.by_status.values())} dòng ({'; '.join(parts)})."
                + (" (chạy thử: không ghi gì)" if dry_run else f" Danh sách id {result.respondent_list.pk}.")
            )
        )
