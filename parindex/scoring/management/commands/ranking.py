"""manage.py ranking --year Y --group G --format csv|json: the ranking with year-over-year changes."""

import csv
import json

from django.core.management.base import BaseCommand, CommandError

from parindex.scoring.selectors import previous_set, ranking_rows, resolve_group, result_set_for

FIELDS = ["rank", "unit", "unit_code", "points", "percent", "class", "percent_change", "rank_change"]


def _plain(value):
    return None if value is None else (str(value) if not isinstance(value, int | str) else value)


class Command(BaseCommand):
    help = "In bảng xếp hạng một năm của một nhóm đơn vị (mã nhóm) hoặc một loại đơn vị (vd. province)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--group", required=True, help="mã nhóm đơn vị hoặc loại đơn vị (province, commune…)")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, year, group, format, **options):
        try:
            group_obj, kind = resolve_group(group)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        result_set = result_set_for(year=year, group=group_obj, kind=kind)
        if result_set is None:
            raise CommandError(f"Chưa có kết quả năm {year} của “{group}”.")
        records = ranking_rows(result_set, previous=previous_set(result_set))
        out = [{f: _plain(r[f]) for f in FIELDS} for r in records]
        if format == "json":
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))
            return
        writer = csv.DictWriter(self.stdout, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in out)
