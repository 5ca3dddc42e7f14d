"""manage.py detect_flags --survey ID [--straight-lining N] [--queue]: record the survey's anomaly flags (running it
again adds only new ones)."""

from django.core.management.base import BaseCommand, CommandError

from parindex.surveys.flags import STRAIGHT_LINING_MIN_QUESTIONS, detect_flags, detect_flags_job
from parindex.surveys.models import FlagKind, Survey


class Command(BaseCommand):
    help = "Rà soát dấu hiệu bất thường của một cuộc điều tra XHH (chạy lại không tạo dấu hiệu trùng)."

    def add_arguments(self, parser):
        parser.add_argument("--survey", type=int, required=True, help="mã (id) cuộc điều tra")
        parser.add_argument(
            "--straight-lining",
            type=int,
            default=STRAIGHT_LINING_MIN_QUESTIONS,
            help=f"số câu hỏi tối thiểu để xét “mọi câu cùng một phương án” (mặc định {STRAIGHT_LINING_MIN_QUESTIONS})",
        )
        parser.add_argument("--queue", action="store_true", help="đưa vào hàng đợi công việc thay vì chạy ngay")

    def handle(self, *args, survey, straight_lining, queue=False, **options):
        try:
            survey_obj = Survey.objects.select_related("cycle", "cycle__assessor").get(pk=survey)
        except Survey.DoesNotExist:
            raise CommandError(f"Không có cuộc điều tra id={survey}.") from None
        if straight_lining < 2:
            raise CommandError("--straight-lining phải từ 2 trở lên.")
        if queue:
            result = detect_flags_job.enqueue(survey_obj.pk)
            self.stdout.write(f"Đã đưa việc rà soát vào hàng đợi (mã {result.id}).")
            return
        report = detect_flags(survey=survey_obj, straight_lining_min_questions=straight_lining)
        labels = dict(FlagKind.choices)
        self.stdout.write(
            f"{survey_obj.name}: {report['found']} dấu hiệu, {report['created']} mới, {report['updated']} cập nhật"
        )
        for kind, n in sorted(report["by_kind"].items()):
            self.stdout.write(f"  {labels.get(kind, kind)}: {n}")
