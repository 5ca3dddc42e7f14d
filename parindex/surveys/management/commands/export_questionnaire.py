from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parindex.surveys import questionnaires
from parindex.surveys.models import Questionnaire


class Command(BaseCommand):
    help = "Xuất một phiếu khảo sát ra tệp YAML hoặc XLSX."

    def add_arguments(self, parser):
        parser.add_argument("code", help="mã phiếu")
        parser.add_argument("--format", choices=["yaml", "xlsx"], default="yaml")
        parser.add_argument("--output", required=True, help="đường dẫn tệp ghi ra ('-' để in YAML ra màn hình)")

    def handle(self, *args, code, format, output, **options):  # noqa: A002
        questionnaire = Questionnaire.objects.filter(code=code).first()
        if questionnaire is None:
            raise CommandError(f"Không có phiếu khảo sát mã “{code}”.")
        content = questionnaires.write(questionnaires.questionnaire_spec(questionnaire), format)
        if output == "-":
            if format != "yaml":
                raise CommandError("Chỉ in được YAML ra màn hình.")
            self.stdout.write(content.decode("utf-8"))
            return
        Path(output).write_bytes(content)
        self.stdout.write(self.style.SUCCESS(f"Đã ghi {output} ({len(content):,} byte).".replace(",", ".")))
