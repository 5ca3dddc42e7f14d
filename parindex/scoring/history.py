"""Results of earlier years imported from published tables (CSV or XLSX), and the year-over-year comparison that
follows units across the 2025 reorganisation.

Columns (English or Vietnamese headers, any case and accents): ``year``/``năm``, ``unit``/``đơn vị`` (name or code),
``percent``/``tỷ lệ`` and/or ``points``/``điểm``, optional ``rank``/``xếp hạng``, and one optional column per
component named by the field's code (``1``, ``2``…, or ``c1``). Unit names are matched with the registry's name
lookup as of 31 December of the row's year. Nothing is imported unless every row is valid; every error names its
row and column. Ranks are computed here; an imported rank is kept only to be compared.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from parindex.core.services import audit_record
from parindex.core.text import fold
from parindex.orgs.selectors import unit_resolve

from . import engine
from .models import ResultSet, ResultSource, ResultStatus, UnitResult
from .services import scheme_bands, stored_bands

HEADERS = {
    "year": {"year", "nam"},
    "unit": {"unit", "don vi", "ten don vi", "unit_code", "ma don vi"},
    "percent": {"percent", "ty le", "chi so", "ty le (%)", "chi so (%)"},
    "points": {"points", "diem", "tong diem"},
    "rank": {"rank", "xep hang"},
}
MAX_ROWS = 20000
HUNDRED = Decimal(100)
NOT_ASSESSED = {"-", "–", "—", "x", "X"}


def _component(value: Decimal, max_points: Decimal | None, components_as: str, bands) -> dict:
    if components_as == "percent":
        pct, points = engine.publish(value), None
    else:
        points = engine.publish(value)
        pct = engine.publish(engine.percent(value, max_points)) if max_points else None
    band = engine.classify(pct, bands) if pct is not None else None
    return {
        "points": None if points is None else str(points),
        "max": None if max_points is None else str(max_points),
        "percent": None if pct is None else str(pct),
        "class": band.code if band else "",
    }


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    unknown_units: list[str] = field(default_factory=list)
    result_sets: list[ResultSet] = field(default_factory=list)
    years: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _header_key(text: str) -> str:
    folded = re.sub(r"\s+", " ", fold(str(text or "")).strip())
    for key, names in HEADERS.items():
        if folded in names:
            return key
    code = re.fullmatch(r"c?(\d+(?:\.\d+)*)", folded)
    if code:
        return f"component:{code.group(1)}"
    return f"unknown:{text}"


def read_table(content: bytes, filename: str) -> list[tuple[int, dict[str, str]]]:
    """(row number as the user sees it, {key: text}) for every non-empty row."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        except Exception as exc:  # noqa: BLE001 — any unreadable workbook is the user's file problem
            raise ValidationError(f"Không đọc được tệp Excel: {exc}") from None
        sheet = wb.worksheets[0]
        raw_rows = [
            ["" if v is None else (v if isinstance(v, str) else str(v)) for v in row]
            for row in sheet.iter_rows(values_only=True)
        ]
        wb.close()
        for r, row in enumerate(raw_rows, start=1):
            for c, v in enumerate(row, start=1):
                if isinstance(v, str) and v.startswith("="):
                    raise ValidationError(f"Dòng {r}, cột {c}: ô chứa công thức; hãy dán giá trị.")
    elif name.endswith((".csv", ".txt")):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("Tệp CSV phải dùng mã UTF-8.") from None
        sample = text[:4096]
        delimiter = ";" if sample.count(";") > sample.count(",") and "\t" not in sample else ","
        if sample.count("\t") > max(sample.count(";"), sample.count(",")):
            delimiter = "\t"
        raw_rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    else:
        raise ValidationError("Chỉ nhận tệp .csv hoặc .xlsx.")
    if not raw_rows:
        raise ValidationError("Tệp không có dữ liệu.")
    if len(raw_rows) > MAX_ROWS + 1:
        raise ValidationError(f"Tệp có {len(raw_rows) - 1} dòng, vượt giới hạn {MAX_ROWS}.")
    keys = [_header_key(h) for h in raw_rows[0]]
    unknown = [k.split(":", 1)[1] for k in keys if k.startswith("unknown:") and k != "unknown:"]
    if unknown:
        raise ValidationError(
            f"Dòng 1: không hiểu cột {', '.join(repr(u) for u in unknown)}; dùng year/năm, unit/đơn vị, percent/tỷ lệ, "
            "points/điểm, rank/xếp hạng và mã lĩnh vực."
        )
    for needed in ("year", "unit"):
        if needed not in keys:
            raise ValidationError(f"Dòng 1: thiếu cột “{needed}”.")
    if "percent" not in keys and "points" not in keys:
        raise ValidationError("Dòng 1: cần cột “percent”/“tỷ lệ” hoặc “points”/“điểm”.")
    rows = []
    for number, raw in enumerate(raw_rows[1:], start=2):
        values = {k: str(v).strip() for k, v in zip(keys, raw, strict=False) if not k.startswith("unknown")}
        if any(values.values()):
            rows.append((number, values))
    return rows


_COMMA = re.compile(r"^-?\d+,\d+$")
_DOT = re.compile(r"^-?\d+\.\d+$")


def _number(text: str, row: int, column: str, errors: list[str]) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", ".").replace(" ", "").rstrip("%"))
    except InvalidOperation:
        errors.append(f"Dòng {row}, cột {column}: “{text}” không phải là số.")
        return None
    if not value.is_finite():
        errors.append(f"Dòng {row}, cột {column}: “{text}” không phải là số.")
        return None
    return value


def results_import(
    *,
    content: bytes,
    filename: str,
    actor,
    unit_kind: str = "",
    group=None,
    framework=None,
    scheme=None,
    source_note: str = "",
    components_as: str = "percent",
    dry_run: bool = False,
) -> ImportReport:
    """Import published results; all or nothing. ``unit_kind`` (e.g. ``province``) narrows the name lookup and
    names the compared set when there is no ``group``. Component columns hold percents (as MOHA publishes them)
    or, with ``components_as="points"``, points; "-" marks a component not assessed that year."""
    report = ImportReport()
    rows = read_table(content, filename)
    report.rows = len(rows)
    errors = report.errors
    # Mixed decimal separators in one file are refused: "85,78" beside "85.78" hides a thousands separator.
    numeric_cells = [
        (n, k, v)
        for n, values in rows
        for k, v in values.items()
        if k in ("percent", "points") or k.startswith("component:")
    ]
    commas = [(n, k) for n, k, v in numeric_cells if _COMMA.match(v)]
    dots = [(n, k) for n, k, v in numeric_cells if _DOT.match(v)]
    if commas and dots:
        minority = commas if len(commas) <= len(dots) else dots
        sep = "dấu phẩy" if minority is commas else "dấu chấm"
        shown = ", ".join(f"dòng {n}" for n, _k in minority[:10])
        errors.append(f"Tệp dùng lẫn dấu phẩy và dấu chấm thập phân; các ô dùng {sep}: {shown}. Hãy dùng một kiểu.")
    max_total = Decimal(framework.declared_total) if framework is not None else None
    component_max = {}
    if framework is not None:
        component_max = {
            c: Decimal(m) for c, m in framework.nodes.filter(parent__isnull=True).values_list("code", "max_points")
        }
    parsed = []
    seen: dict[tuple[int, int], int] = {}
    for number, values in rows:
        year_text = values.get("year", "")
        if not re.fullmatch(r"\d{4}", year_text or ""):
            errors.append(f"Dòng {number}, cột year: năm “{year_text}” không hợp lệ.")
            continue
        year = int(year_text)
        name = values.get("unit", "")
        if not name:
            errors.append(f"Dòng {number}, cột unit: thiếu tên hoặc mã đơn vị.")
            continue
        unit = unit_resolve(name, on=dt.date(year, 12, 31), kind=unit_kind or None)
        if unit is None:
            report.unknown_units.append(f"dòng {number}: {name} ({year})")
            errors.append(f"Dòng {number}, cột unit: không tìm thấy đơn vị “{name}” trong danh mục năm {year}.")
            continue
        if (unit.pk, year) in seen:
            errors.append(
                f"Dòng {number}: {unit.name} năm {year} đã có ở dòng {seen[(unit.pk, year)]}; mỗi đơn vị một dòng."
            )
            continue
        seen[(unit.pk, year)] = number
        pct = _number(values.get("percent", ""), number, "percent", errors)
        pts = _number(values.get("points", ""), number, "points", errors)
        if pct is not None and not (0 <= pct <= 100):
            errors.append(f"Dòng {number}, cột percent: {pct} phải trong khoảng 0–100.")
        if pts is not None and (pts < 0 or (max_total is not None and pts > max_total)):
            errors.append(f"Dòng {number}, cột points: {pts} vượt điểm tối đa {max_total} của bộ chỉ số.")
        if pct is None and pts is None:
            errors.append(f"Dòng {number}: cần tỷ lệ (percent) hoặc điểm (points).")
        rank_text = values.get("rank", "")
        imported_rank = None
        if rank_text:
            if not re.fullmatch(r"\d+", rank_text):
                errors.append(f"Dòng {number}, cột rank: “{rank_text}” không phải là số nguyên dương.")
            else:
                imported_rank = int(rank_text)
        components = {}
        for key, text in values.items():
            if key.startswith("component:"):
                code = key.split(":", 1)[1]
                if text.strip() in NOT_ASSESSED:
                    continue
                value = _number(text, number, code, errors)
                if value is None:
                    continue
                limit = HUNDRED if components_as == "percent" else component_max.get(code)
                if value < 0 or (limit is not None and value > limit):
                    what = "100%" if components_as == "percent" else f"điểm tối đa {limit} của lĩnh vực"
                    errors.append(f"Dòng {number}, cột {code}: {value} vượt {what}.")
                components[code] = value
        parsed.append((number, year, unit, pct, pts, imported_rank, components))
    if errors:
        return report
    by_year: dict[int, list] = {}
    for item in parsed:
        by_year.setdefault(item[1], []).append(item)
    report.years = sorted(by_year)
    if dry_run:
        return report
    bands = scheme_bands(scheme)
    with transaction.atomic():
        for year, items in sorted(by_year.items()):
            ResultSet.objects.filter(source=ResultSource.IMPORTED, year=year, group=group, unit_kind=unit_kind).exclude(
                status=ResultStatus.SUPERSEDED
            ).update(status=ResultStatus.SUPERSEDED)
            codes = sorted({c for item in items for c in item[6]}, key=lambda c: [int(p) for p in c.split(".")])
            result_set = ResultSet.objects.create(
                year=year,
                group=group,
                unit_kind=unit_kind,
                framework=framework,
                scheme=scheme,
                bands=stored_bands(bands),
                source=ResultSource.IMPORTED,
                status=ResultStatus.PUBLISHED,
                title=f"Kết quả công bố năm {year}",
                source_note=source_note or filename,
                components=[{"code": c, "name": "", "max": str(component_max.get(c, ""))} for c in codes],
                job_state="done",
                job_done=len(items),
                job_total=len(items),
            )
            key_of = {}
            for _row, _year, unit, pct, pts, _rank, _c in items:
                if pct is None and max_total:
                    pct = pts * engine.HUNDRED / max_total
                key_of[unit.pk] = engine.publish(pct) if pct is not None else engine.publish(pts)
            ranks = engine.rank(key_of)
            rows_out = []
            for number, _year, unit, pct, pts, imported_rank, components in items:
                shown_pct = engine.publish(
                    pct if pct is not None else (pts * engine.HUNDRED / max_total if max_total else None)
                )
                band = engine.classify(shown_pct, bands) if shown_pct is not None else None
                rows_out.append(
                    UnitResult(
                        result_set=result_set,
                        unit=unit,
                        points=engine.publish(pts),
                        max_points=max_total,
                        percent=shown_pct,
                        rank=ranks.get(unit.pk),
                        class_code=band.code if band else "",
                        class_name=band.name if band else "",
                        complete=True,
                        components={
                            c: _component(v, component_max.get(c), components_as, bands) for c, v in components.items()
                        },
                        imported_rank=imported_rank,
                        source_row=number,
                    )
                )
            UnitResult.objects.bulk_create(rows_out)
            audit_record(
                actor=actor,
                action="results.imported",
                obj=result_set,
                changes={"rows": [None, len(items)], "file": [None, filename]},
            )
            report.result_sets.append(result_set)
    return report
