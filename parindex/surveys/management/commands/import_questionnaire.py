from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parindex.surveys import questionnaires
from parindex.surveys.models import RespondentGroup, Survey
from parindex.surveys.questionnaires import QuestionnaireError


class Command(BaseCommand):
    help = (
        "Nhập một phiếu khảo sát từ tệp YAML hoặc XLSX cho một cuộc điều tra (tạo mới hoặc thay phiếu cùng mã); "
        "không ghi gì nếu tệp có lỗi."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="tệp .yaml/.yml hoặc .xlsx")
        parser.add_argument("--survey", type=int, required=True, help="id cuộc điều tra (để kiểm tra tiêu chí)")
        parser.add_argument("--group", help="mã nhóm người trả lời dùng phiếu này")
        parser.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi")

    def handle(self, *args, path, survey, group=None, dry_run=False, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"Không tìm thấy tệp {path}.")
        found = Survey.objects.select_related("cycle", "cycle__assessor", "framework").filter(pk=survey).first()
        if found is None:
            raise CommandError(f"Không có cuộc điều tra id {survey}.")
        target = None
        if group:
            target = RespondentGroup.objects.filter(survey=found, code=group).first()
            if target is None:
                raise CommandError(f"Không có nhóm người trả lời mã “{group}” trong cuộc điều tra.")
        content = file.read_bytes()
        fmt = questionnaires.guess_format(file.name, content)
        try:
            if dry_run:
                spec, existing = questionnaires.questionnaire_check(content=content, fmt=fmt, survey=found)
                action = "thay phiếu đang có" if existing else "tạo phiếu mới"
                self.stdout.write(
                    f"Hợp lệ: “{spec['name']}” ({spec['code']}), {len(spec['questions'])} câu; sẽ {action}."
                )
                return
            questionnaire = questionnaires.questionnaire_import(
                content=content, fmt=fmt, survey=found, group=target, actor=None
            )
        except QuestionnaireError as exc:
            raise CommandError("Tệp có lỗi, không nhập gì:\n" + "\n".join(f"  - {m}" for m in exc.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã nhập “{questionnaire.name}” ({questionnaire.code}), {questionnaire.questions.count()} câu hỏi."
            )
        )
