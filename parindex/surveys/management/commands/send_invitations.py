from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from parindex.surveys import invitations
from parindex.surveys.models import RespondentList, Survey


class Command(BaseCommand):
    help = (
        "Tạo thư mời cho người trả lời của các danh sách đã gửi và gửi thư điện tử theo lô (tác vụ chạy nền); "
        "in ra số liệu."
    )

    def add_arguments(self, parser):
        parser.add_argument("--survey", type=int, required=True, help="id cuộc điều tra")
        parser.add_argument(
            "--list", type=int, dest="list_id", help="id một danh sách (mặc định: mọi danh sách đã gửi)"
        )

    def handle(self, *args, survey, list_id=None, **options):
        found = Survey.objects.select_related("cycle", "cycle__assessor").filter(pk=survey).first()
        if found is None:
            raise CommandError(f"Không có cuộc điều tra id {survey}.")
        respondent_list = None
        if list_id is not None:
            respondent_list = RespondentList.objects.select_related("unit").filter(pk=list_id, survey=found).first()
            if respondent_list is None:
                raise CommandError(f"Không có danh sách id {list_id} trong cuộc điều tra này.")
        try:
            summary = invitations.invitations_send(survey=found, respondent_list=respondent_list, actor=None)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        self.stdout.write(f"Thư mời mới: {summary.created}")
        self.stdout.write(f"Thư điện tử đưa vào hàng đợi: {summary.to_email} ({summary.batches} lô)")
        self.stdout.write(f"Không có thư điện tử (cần in đường dẫn): {summary.without_email}")
        self.stdout.write(f"Đã trả lời: {summary.answered}; thư bị trả lại: {summary.bounced}")
        if summary.expires_at:
            from parindex.cycles.windows import format_moment

            self.stdout.write(f"Đường dẫn hết hạn lúc {format_moment(summary.expires_at)}.")
