"""manage.py compute_results --cycle ID [--group CODE]: compute draft results of a cycle (every group by default)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from parindex.cycles.models import Cycle, CycleFramework
from parindex.scoring.models import JobState
from parindex.scoring.services import resultset_compute


class Command(BaseCommand):
    help = "Tính kết quả dự thảo của một đợt đánh giá (mỗi nhóm đơn vị một bộ kết quả)."

    def add_arguments(self, parser):
        parser.add_argument("--cycle", type=int, required=True, help="mã (id) đợt đánh giá")
        parser.add_argument("--group", help="mã nhóm đơn vị (mặc định: mọi nhóm của đợt)")

    def handle(self, *args, cycle, group=None, **options):
        try:
            cycle_obj = Cycle.objects.select_related("assessor").get(pk=cycle)
        except Cycle.DoesNotExist:
            raise CommandError(f"Không có đợt đánh giá id={cycle}.") from None
        plans = CycleFramework.objects.filter(cycle=cycle_obj).select_related("group")
        if group:
            plans = plans.filter(group__code=group)
            if not plans.exists():
                raise CommandError(f"Nhóm “{group}” không tham gia đợt đánh giá này.")
        for plan in plans:
            try:
                result_set = resultset_compute(cycle=cycle_obj, group=plan.group, actor=None, run_now=True)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            if result_set.job_state != JobState.DONE:
                raise CommandError(result_set.job_error or f"Bộ kết quả #{result_set.pk} chưa tính xong.")
            self.stdout.write(
                f"{plan.group.code}: bộ kết quả #{result_set.pk}, {result_set.job_done} đơn vị, "
                f"dữ liệu đầu vào {result_set.inputs_version[:12]}"
            )
