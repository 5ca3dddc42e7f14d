from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from parindex.cycles import selectors, services
from parindex.cycles.forms import DEFAULT_CLOSE, DEFAULT_OPEN
from parindex.cycles.models import WindowKind
from parindex.cycles.windows import format_moment

from ._common import get_actor, get_cycle, parse_moment, validation_text


class Command(BaseCommand):
    help = "Xem các mốc thời hạn của một đợt đánh giá, hoặc đặt một mốc (--set KIND OPENS CLOSES)."

    def add_arguments(self, parser):
        parser.add_argument("--cycle", required=True, type=int, help="id đợt đánh giá")
        parser.add_argument(
            "--set",
            nargs=3,
            metavar=("KIND", "OPENS", "CLOSES"),
            help=f"giai đoạn ({', '.join(WindowKind.values)}) và hai thời điểm ISO 8601 (giờ Việt Nam nếu không ghi "
            "múi giờ; chỉ ngày: mở 08:00, đóng 17:00)",
        )
        parser.add_argument("--reason", default="", help="lý do (bắt buộc khi sửa mốc đã đặt)")
        parser.add_argument("--actor", help="tên đăng nhập người thực hiện (ghi nhật ký)")

    def handle(self, *args, cycle, set, reason, actor, **options):  # noqa: A002
        cycle_obj = get_cycle(cycle)
        if set:
            kind, opens, closes = set
            if kind not in WindowKind.values:
                raise CommandError(f"Giai đoạn “{kind}” không hợp lệ; dùng một trong: {', '.join(WindowKind.values)}.")
            try:
                services.window_set(
                    cycle=cycle_obj,
                    kind=kind,
                    opens_at=parse_moment(opens, default_time=DEFAULT_OPEN),
                    closes_at=parse_moment(closes, default_time=DEFAULT_CLOSE),
                    actor=get_actor(actor),
                    reason=reason,
                )
            except ValidationError as exc:
                raise CommandError(validation_text(exc)) from None
            self.stdout.write(self.style.SUCCESS(f"Đã đặt thời hạn “{WindowKind(kind).label}”."))
        self.stdout.write(f"{cycle_obj.name} ({cycle_obj.year})")
        for state in selectors.window_states(cycle_obj):
            shown = selectors.window_display(state)
            opens = format_moment(state.opens_at) if state.opens_at else "—"
            closes = format_moment(state.closes_at) if state.closes_at else "—"
            self.stdout.write(f"  {state.kind:<16} {opens:>20} → {closes:<20} {shown['badge']}: {shown['text']}")
