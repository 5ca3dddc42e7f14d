from pathlib import Path

from django.core.management.base import BaseCommand

from parindex.orgs.imports import units_export_xlsx

from ._root import root_by_code


class Command(BaseCommand):
    help = "Xuất các đơn vị thuộc một đơn vị ra tệp Excel cùng mẫu nhập."

    def add_arguments(self, parser):
        parser.add_argument("--root", required=True, help="mã đơn vị gốc (ví dụ mã tỉnh)")
        parser.add_argument("--output", required=True, help="đường dẫn tệp .xlsx sẽ ghi")

    def handle(self, *args, root, output, **options):
        unit = root_by_code(root)
        Path(output).write_bytes(units_export_xlsx(root=unit))
        self.stdout.write(self.style.SUCCESS(f"Đã xuất các đơn vị thuộc “{unit.name}” ra {output}."))
