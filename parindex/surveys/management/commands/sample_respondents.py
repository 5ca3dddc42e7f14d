from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from parindex.cycles.management.commands._common import get_actor, validation_text
from parindex.surveys import services
from parindex.surveys.models import RespondentList


class Command(BaseCommand):
    help = (
        "Chọn mẫu một danh sách người trả lời: n = N / (1 + N·e²), ngẫu nhiên phân tầng theo lĩnh vực thủ tục, "
        "tái lập được từ hạt giống (--seed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--list", required=True, type=int, dest="list_id", help="id danh sách")
        parser.add_argument("--seed", type=int, help="hạt giống (để trống: phần mềm chọn và ghi lại)")
        parser.add_argument("--actor", help="tên đăng nhập người thực hiện (ghi nhật ký)")

    def handle(self, *args, list_id, seed, actor, **options):
        respondent_list = RespondentList.objects.select_related("survey", "unit").filter(pk=list_id).first()
        if respondent_list is None:
            raise CommandError(f"Không có danh sách id {list_id}.")
        try:
            respondent_list = services.respondent_list_sample(
                respondent_list=respondent_list, actor=get_actor(actor), seed=seed
            )
        except ValidationError as exc:
            raise CommandError(validation_text(exc)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã chọn {respondent_list.sample_size} trong {respondent_list.population} người "
                f"(hạt giống {respondent_list.sample_seed})."
            )
        )
