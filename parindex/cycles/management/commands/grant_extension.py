from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from parindex.cycles import services
from parindex.cycles.forms import DEFAULT_CLOSE
from parindex.cycles.models import UNIT_WINDOWS
from parindex.cycles.windows import format_moment
from parindex.orgs.models import OrgUnit

from ._common import get_actor, get_cycle, parse_moment, validation_text


class Command(BaseCommand):
    help = "Gia hạn một giai đoạn của đơn vị (tự đánh giá, bổ sung tài liệu, giải trình) cho một đơn vị."

    def add_arguments(self, parser):
        parser.add_argument("--cycle", required=True, type=int, help="id đợt đánh giá")
        parser.add_argument("--unit", required=True, help="mã đơn vị")
        parser.add_argument("--kind", required=True, choices=sorted(str(k) for k in UNIT_WINDOWS))
        parser.add_argument("--until", required=True, help="ISO 8601 (giờ Việt Nam nếu không ghi múi giờ)")
        parser.add_argument("--reason", required=True, help="lý do gia hạn")
        parser.add_argument("--actor", required=True, help="tên đăng nhập của quản lý Chỉ số")

    def handle(self, *args, cycle, unit, kind, until, reason, actor, **options):
        cycle_obj = get_cycle(cycle)
        units = list(OrgUnit.objects.filter(code=unit, participations__cycle=cycle_obj)[:2])
        if len(units) != 1:
            raise CommandError(f"Không có đơn vị mã “{unit}” tham gia đợt đánh giá này.")
        try:
            extension = services.extension_grant(
                cycle=cycle_obj,
                unit=units[0],
                kind=kind,
                until=parse_moment(until, default_time=DEFAULT_CLOSE),
                reason=reason,
                actor=get_actor(actor),
            )
        except ValidationError as exc:
            raise CommandError(validation_text(exc)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã gia hạn “{extension.get_kind_display()}” cho {units[0].name} đến {format_moment(extension.until)}."
            )
        )
