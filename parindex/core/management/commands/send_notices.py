"""Hourly (cron): notices of the cycles' windows — one when a window opens, one three days before it closes.

Idempotent: each notice has a key, so running it again (or twice in the same hour) creates nothing new.
``--now`` replays a given moment (ISO 8601; without a zone, Vietnam's time)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from parindex.web.notices import deadline_notices_send


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            f"--now “{text}” không hợp lệ; dùng dạng ISO 8601, ví dụ 2026-12-12T17:00:00+07:00."
        ) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "Gửi thông báo mở thời hạn và nhắc trước 3 ngày khi thời hạn sắp kết thúc (chạy mỗi giờ)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="thời điểm coi là hiện tại (ISO 8601; không ghi múi giờ: giờ Việt Nam)")

    def handle(self, *args, now=None, **options):
        moment = _moment(now) if now else timezone.now()
        summary = deadline_notices_send(now=moment)
        self.stdout.write(
            f"send_notices: {summary.cycles} đợt đang triển khai; {summary.total} thông báo mới "
            f"({summary.opened} mở thời hạn, {summary.closing} sắp hết hạn)."
        )
