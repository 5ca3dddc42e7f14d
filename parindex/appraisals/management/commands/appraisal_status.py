"""Print, per unit of a cycle, the appraisal's state: status, criteria appraised in rounds 1 and 2, explanation
requests and answers, agree votes of the current confirmation round."""

from django.core.management.base import BaseCommand, CommandError

from parindex.appraisals import selectors
from parindex.cycles.models import Cycle


class Command(BaseCommand):
    help = "Tình hình thẩm định theo từng đơn vị của một đợt đánh giá."

    def add_arguments(self, parser):
        parser.add_argument("--cycle", type=int, required=True, help="id của đợt đánh giá")

    def handle(self, *args, cycle, **options):
        try:
            cycle_obj = Cycle.objects.get(pk=cycle)
        except Cycle.DoesNotExist:
            raise CommandError(f"Không tìm thấy đợt đánh giá có id {cycle}.") from None
        rows = selectors.appraisal_status(cycle_obj)
        self.stdout.write(f"{cycle_obj.name} ({cycle_obj.year}) — {len(rows)} đơn vị")
        header = f"{'Đơn vị':<40} {'Trạng thái':<24} {'Vòng 1':>9} {'Vòng 2':>9} {'Giải trình':>11} {'Đồng ý':>8}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        totals = {}
        for row in rows:
            a = row["assessment"]
            status = a.get_status_display()
            totals[status] = totals.get(status, 0) + 1
            self.stdout.write(
                f"{a.unit.name[:40]:<40} {status[:24]:<24} "
                f"{row['round1']:>4}/{row['entries']:<4} {row['round2']:>4}/{row['entries']:<4} "
                f"{row['answered']:>5}/{row['requests']:<5} {row['agree']:>3}/{row['voting']:<4}"
            )
        self.stdout.write("-" * len(header))
        for status, count in totals.items():
            self.stdout.write(f"{status}: {count}")
