from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parindex.frameworks import formats, services
from parindex.frameworks.spec import SpecError
from parindex.orgs.models import OrgUnit


class Command(BaseCommand):
    help = "Nhập một bộ chỉ số từ tệp YAML hoặc XLSX (tạo bản dự thảo; không ghi gì nếu tệp có lỗi)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="tệp .yaml/.yml hoặc .xlsx")
        parser.add_argument("--owner", help="mã cơ quan đánh giá (mặc định: owner ghi trong tệp)")
        parser.add_argument("--code", help="mã mới cho bộ chỉ số (mặc định: mã trong tệp)")
        parser.add_argument("--activate", action="store_true", help="đưa vào áp dụng ngay sau khi nhập")
        parser.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi")

    def handle(self, *args, path, owner=None, code=None, activate=False, dry_run=False, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"Không tìm thấy tệp {path}.")
        content = file.read_bytes()
        fmt = formats.guess_format(file.name, content)
        owner_unit = None
        if owner:
            units = list(OrgUnit.objects.filter(code=owner).order_by("-valid_from")[:1])
            if not units:
                raise CommandError(f"Không có đơn vị mã “{owner}”.")
            owner_unit = units[0]
        try:
            if dry_run:
                spec = formats.read_checked(content, fmt)
                self.stdout.write(f"Hợp lệ: “{spec['name']}” ({spec['code']}), {len(spec['nodes'])} nút.")
                return
            framework = services.framework_import(
                content=content, fmt=fmt, owner=owner_unit, actor=None, code=code or None
            )
            if activate:
                framework = services.framework_activate(framework=framework, actor=None)
        except SpecError as exc:
            raise CommandError("Tệp có lỗi, không nhập gì:\n" + "\n".join(f"  - {m}" for m in exc.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã nhập “{framework.name}” ({framework.code}), {framework.nodes.count()} nút, "
                f"trạng thái: {framework.get_status_display()}."
            )
        )
