"""manage.py survey_points --survey ID: compute and store the survey points of every unit (replacing earlier ones)."""

import time

from django.core.management.base import BaseCommand, CommandError

from parindex.surveys.models import Survey
from parindex.surveys.points import survey_points_compute


class Command(BaseCommand):
    help = "Tính điểm điều tra XHH của mọi đơn vị cho một cuộc điều tra (thay kết quả tính trước)."

    def add_arguments(self, parser):
        parser.add_argument("--survey", type=int, required=True, help="mã (id) cuộc điều tra")

    def handle(self, *args, survey, **options):
        try:
            survey_obj = Survey.objects.select_related("cycle", "cycle__assessor").get(pk=survey)
        except Survey.DoesNotExist:
            raise CommandError(f"Không có cuộc điều tra id={survey}.") from None
        started = time.perf_counter()
        rows = survey_points_compute(survey=survey_obj)
        self.stdout.write(
            f"{survey_obj.name}: {rows} dòng điểm (đơn vị × tiêu chí) trong {time.perf_counter() - started:.2f} giây"
        )
