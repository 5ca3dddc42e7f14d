"""manage.py import_results PATH [--kind province | --group CODE] [--framework CODE] [--dry-run]"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from parindex.frameworks.models import Framework
from parindex.orgs.models import UnitGroup, UnitKind
from parindex.scoring.history import results_import
from parindex.scoring.services import scheme_for


class Command(BaseCommand):
    help = (
        "Nhập kết quả Chỉ số CCHC đã công bố (CSV hoặc XLSX: year/năm, unit/đơn vị, percent/tỷ lệ hoặc points/điểm, "
        "rank/xếp hạng, các cột lĩnh vực). Không nhập gì nếu có dòng lỗi."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--kind", default="", help=f"loại đơn vị ({', '.join(UnitKind.values)}); mặc định: mọi loại"
        )
        parser.add_argument("--group", default="", help="mã nhóm đơn vị (thay cho --kind)")
        parser.add_argument("--framework", default="", help="mã bộ chỉ số để kiểm tra điểm tối đa")
        parser.add_argument("--source", default="", help="nguồn (số quyết định công bố…)")
        parser.add_argument(
            "--components",
            choices=["percent", "points"],
            default="percent",
            help="các cột lĩnh vực ghi tỷ lệ % (mặc định, như Bộ Nội vụ công bố) hay điểm",
        )
        parser.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi")

    def handle(self, *args, path, kind, group, framework, source, components, dry_run, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"Không có tệp {path}.")
        group_obj = None
        if group:
            group_obj = UnitGroup.objects.filter(code=group).first()
            if group_obj is None:
                raise CommandError(f"Không có nhóm đơn vị “{group}”.")
        if kind and kind not in UnitKind.values:
            raise CommandError(f"Loại đơn vị “{kind}” không hợp lệ ({', '.join(UnitKind.values)}).")
        framework_obj = None
        if framework:
            framework_obj = Framework.objects.filter(code=framework).first()
            if framework_obj is None:
                raise CommandError(f"Không có bộ chỉ số “{framework}”.")
        try:
            report = results_import(
                content=file.read_bytes(),
                filename=file.name,
                actor=None,
                unit_kind=kind,
                group=group_obj,
                framework=framework_obj,
                scheme=scheme_for(framework=framework_obj, group=group_obj),
                source_note=source,
                components_as=components,
                dry_run=dry_run,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        if not report.ok:
            for error in report.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(report.errors)} lỗi; không nhập dòng nào.")
        years = ", ".join(str(y) for y in report.years)
        verb = "Hợp lệ (chạy thử, chưa ghi)" if dry_run else "Đã nhập"
        self.stdout.write(f"{verb}: {report.rows} dòng, các năm {years}.")
