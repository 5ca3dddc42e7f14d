from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from parindex.surveys import invitations
from parindex.surveys.models import Survey


class Command(BaseCommand):
    help = (
        "Gửi thư nhắc người chưa trả lời (tối đa survey.reminder_max lần, cách nhau ít nhất survey.reminder_min_days "
        "ngày); in ra số liệu."
    )

    def add_arguments(self, parser):
        parser.add_argument("--survey", type=int, required=True, help="id cuộc điều tra")

    def handle(self, *args, survey, **options):
        found = Survey.objects.select_related("cycle", "cycle__assessor").filter(pk=survey).first()
        if found is None:
            raise CommandError(f"Không có cuộc điều tra id {survey}.")
        try:
            summary = invitations.reminders_send(survey=found, actor=None)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        details = summary.details
        self.stdout.write(f"Thư nhắc đưa vào hàng đợi: {summary.to_email} ({summary.batches} lô)")
        self.stdout.write(f"Chưa trả lời: {details.get('unanswered', 0)}")
        self.stdout.write(f"Chưa đến lúc nhắc: {details.get('too_soon', 0)}")
        self.stdout.write(f"Đã nhắc đủ {found.reminder_max} lần: {details.get('max_reached', 0)}")
