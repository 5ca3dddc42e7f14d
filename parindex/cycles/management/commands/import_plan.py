from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from parindex.cycles import services

from ._common import get_actor, get_cycle, validation_text


class Command(BaseCommand):
    help = "Nhập kế hoạch của một đợt đánh giá từ tệp Excel .xlsx (tất cả hoặc không)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="tệp .xlsx")
        parser.add_argument("--cycle", required=True, type=int, help="id đợt đánh giá")
        parser.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi gì")
        parser.add_argument("--actor", help="tên đăng nhập người thực hiện (ghi nhật ký)")

    def handle(self, *args, path, cycle, dry_run, actor, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"Không có tệp {path}.")
        try:
            result = services.plan_import(
                cycle=get_cycle(cycle),
                content=file.read_bytes(),
                actor=get_actor(actor),
                dry_run=dry_run,
                filename=file.name,
            )
        except ValidationError as exc:
            raise CommandError(validation_text(exc)) from None
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(warning))
        if result.errors:
            for error in result.errors:
                self.stderr.write(error)
            raise CommandError(f"Tệp có {len(result.errors)} lỗi; không có gì được ghi.")
        counts = result.counts
        verb = "Sẽ" if dry_run else "Đã"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} thêm {counts['created']}, cập nhật {counts['updated']}, giữ nguyên {counts['unchanged']} "
                "nhiệm vụ." + (" (chạy thử: không ghi gì)" if dry_run else "")
            )
        )
