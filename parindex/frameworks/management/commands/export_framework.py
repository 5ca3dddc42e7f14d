from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parindex.frameworks import formats
from parindex.frameworks.models import Framework
from parindex.frameworks.selectors import framework_spec


class Command(BaseCommand):
    help = "Xuất một bộ chỉ số ra tệp YAML hoặc XLSX."

    def add_arguments(self, parser):
        parser.add_argument("code", help="mã bộ chỉ số")
        parser.add_argument("--format", choices=["yaml", "xlsx"], default="yaml")
        parser.add_argument("--output", required=True, help="đường dẫn tệp ghi ra ('-' để in YAML ra màn hình)")

    def handle(self, *args, code, format, output, **options):  # noqa: A002
        framework = Framework.objects.filter(code=code).first()
        if framework is None:
            raise CommandError(f"Không có bộ chỉ số mã “{code}”.")
        content = formats.write(framework_spec(framework), format)
        if output == "-":
            if format != "yaml":
                raise CommandError("Chỉ in được YAML ra màn hình.")
            self.stdout.write(content.decode("utf-8"))
            return
        Path(output).write_bytes(content)
        self.stdout.write(self.style.SUCCESS(f"Đã ghi {output} ({len(content):,} byte).".replace(",", ".")))
