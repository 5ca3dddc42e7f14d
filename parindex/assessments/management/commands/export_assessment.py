from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parindex.assessments import exports
from parindex.assessments.models import Assessment


class Command(BaseCommand):
    help = "Xuất bảng tự đánh giá của một đơn vị ra tệp Excel (bản hiện tại, hoặc một bản đã gửi)."

    def add_arguments(self, parser):
        parser.add_argument("--assessment", type=int, required=True, help="id bản tự đánh giá")
        parser.add_argument("--output", required=True, help="đường dẫn tệp .xlsx ghi ra")
        parser.add_argument(
            "--submission",
            default="",
            help="số lần gửi cần xuất, hoặc 'latest' (bản gửi gần nhất); bỏ trống: bản hiện tại",
        )

    def handle(self, *args, assessment, output, submission, **options):
        found = Assessment.objects.select_related("cycle", "unit", "framework").filter(pk=assessment).first()
        if found is None:
            raise CommandError(f"Không có bản tự đánh giá id {assessment}.")
        if submission:
            submissions = found.submissions.order_by("-number")
            chosen = submissions.first() if submission == "latest" else None
            if submission != "latest":
                if not submission.isdigit():
                    raise CommandError("--submission phải là số lần gửi hoặc 'latest'.")
                chosen = submissions.filter(number=int(submission)).first()
            if chosen is None:
                raise CommandError(f"{found.unit.name}: không có bản đã gửi “{submission}”.")
            content = exports.submission_xlsx(chosen)
            what = f"bản gửi lần {chosen.number}"
        else:
            content = exports.grid_xlsx(found)
            what = "bản hiện tại"
        Path(output).write_bytes(content)
        size = f"{len(content):,}".replace(",", ".")
        self.stdout.write(self.style.SUCCESS(f"Đã ghi {output}: {found.unit.name}, {what} ({size} byte)."))
