from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parindex.orgs.imports import units_import_xlsx

from ._root import root_by_code


class Command(BaseCommand):
    help = "Nhập các đơn vị thuộc một đơn vị (sở, ngành, đơn vị sự nghiệp…) từ tệp Excel theo mẫu."

    def add_arguments(self, parser):
        parser.add_argument("path", help="tệp .xlsx theo mẫu")
        parser.add_argument("--root", required=True, help="mã đơn vị gốc (ví dụ mã tỉnh)")
        parser.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi")

    def handle(self, *args, path, root, dry_run, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"Không tìm thấy tệp “{path}”.")
        unit = root_by_code(root)
        result = units_import_xlsx(
            file=file, root=unit, actor=None, dry_run=dry_run, reason=f"manage.py import_units {file.name}"
        )
        if result.errors:
            for message in result.errors:
                self.stderr.write(message)
            raise CommandError(f"Tệp có {len(result.errors)} lỗi; không có thay đổi nào được ghi.")
        counts = result.counts
        summary = f"tạo mới {counts['created']}, cập nhật {counts['updated']}, không đổi {counts['unchanged']}"
        if dry_run:
            self.stdout.write(f"Kiểm tra xong, tệp hợp lệ (chưa ghi): {summary}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Đã nhập vào “{unit.name}”: {summary}."))
