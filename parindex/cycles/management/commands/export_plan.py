from pathlib import Path

from django.core.management.base import BaseCommand

from parindex.cycles import formats

from ._common import get_cycle


class Command(BaseCommand):
    help = "Xuất kế hoạch (các nhiệm vụ) của một đợt đánh giá ra tệp Excel .xlsx."

    def add_arguments(self, parser):
        parser.add_argument("--cycle", required=True, type=int, help="id đợt đánh giá")
        parser.add_argument("--output", required=True, help="đường dẫn tệp .xlsx ghi ra")

    def handle(self, *args, cycle, output, **options):
        content = formats.plan_write(get_cycle(cycle))
        Path(output).write_bytes(content)
        self.stdout.write(self.style.SUCCESS(f"Đã ghi {output} ({len(content):,} byte).".replace(",", ".")))
