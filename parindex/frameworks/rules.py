"""Scoring rules: data in, points and a Vietnamese explanation out.

One pure module: plain Python over ``Decimal`` (points quantised to 0.01 with ROUND_HALF_UP), no Django import, so
that the score engine, the importers, the editor's preview and the benchmarks all use exactly the same arithmetic.

A rule is a small dict (stored as JSON, written in YAML and in one Excel cell)::

    {"type": "bands", "input": "percent", "label": "Tỷ lệ hồ sơ đúng hạn",
     "bands": [{"min": 95, "fraction": 1}, {"min": 90, "max": 95, "fraction": 0.5}, {"max": 90, "fraction": 0}]}

Outcomes are given either as ``fraction`` (of the node's maximum; a negative fraction is a share of the floor, so
"trừ 50%" on a penalty node is ``fraction: -0.5``) or as ``points``. Rule types and their input:

================  ==========  ==============================================================================
type              input       meaning
================  ==========  ==============================================================================
``yes_no``        yes/no      ``yes`` / ``no`` outcomes (default: full marks / nothing)
``levels``        choice      named levels, each with an outcome (xuất sắc, tốt, hoàn thành…)
``bands``         percent,    threshold bands [min, max) covering the whole input range without gap or overlap;
                  number,     ``by_level`` gives different bands per administrative level (province, district,
                  integer     commune…), chosen by ``context["level"]``
``linear``        percent,    linear between ``from_value`` and ``to_value`` (constant outside)
                  number
``count``         integer     "at least N events" steps, ``otherwise`` below the lowest step
``manual``        points      any value in [floor, max] in steps of ``step``
``bonus``         integer or  ``per_item`` points per item (or points claimed when no ``per_item``), capped
                  points
``penalty``       integer or  the same, deducted: never below ``-cap``
                  points
``survey``        percent     max × the survey component's score (0–100%); filled by the survey module
``deadline``      date        on time (``due``: ``MM-DD`` of the assessment year or an ISO date) or late steps
================  ==========  ==============================================================================

Public functions: :func:`parse_rule`, :func:`evaluate`, :func:`rule_problems`, :func:`describe`,
:func:`canonical`, :func:`format_number`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
_CTX = Context(prec=34, rounding=ROUND_HALF_UP)

RULE_TYPES = (
    "yes_no",
    "levels",
    "bands",
    "linear",
    "count",
    "manual",
    "bonus",
    "penalty",
    "survey",
    "deadline",
)
RULE_TYPE_LABELS = {
    "yes_no": "Có/Không",
    "levels": "Theo mức đánh giá",
    "bands": "Theo ngưỡng",
    "linear": "Tuyến tính",
    "count": "Theo số lượng",
    "manual": "Chấm trực tiếp",
    "bonus": "Điểm thưởng",
    "penalty": "Điểm trừ",
    "survey": "Theo điều tra XHH",
    "deadline": "Theo thời hạn",
}
INPUT_LABELS = {
    "percent": "Tỷ lệ",
    "number": "Giá trị",
    "integer": "Số lượng",
    "yes_no": "Có/Không",
    "choice": "Mức",
    "points": "Điểm chấm",
    "date": "Ngày",
}
LEVEL_LABELS = {
    "province": "cấp tỉnh",
    "district": "cấp huyện",
    "commune": "cấp xã",
    "department": "sở, ban, ngành",
    "ministry": "bộ, ngành",
    "public_service_unit": "đơn vị sự nghiệp",
    "central_agency": "cơ quan Trung ương trên địa bàn",
}
SURVEY_COMPONENT_LABELS = {
    "sipas": "SIPAS",
    "leaders": "khảo sát lãnh đạo, quản lý",
    "citizens": "khảo sát người dân, tổ chức",
}


class RuleError(ValueError):
    """A rule that is not well formed. The message is in Vietnamese and can be shown as is."""


class InputError(ValueError):
    """An input the rule cannot score (wrong type, out of range). Message in Vietnamese."""


# --- numbers ------------------------------------------------------------------------------------------------------


def to_decimal(value, what: str = "giá trị") -> Decimal:
    """A Decimal from int, Decimal, float (through its shortest repr) or text ("97,5", "97.5", "97,5%")."""
    if isinstance(value, bool):
        raise RuleError(f"{what}: cần một số, không phải Có/Không.")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise RuleError(f"{what}: “{value}” không phải là số hữu hạn.")
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").rstrip("%")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise RuleError(f"{what}: “{value}” không phải là số.") from None
    else:
        raise RuleError(f"{what}: cần một số.")
    if not result.is_finite():
        raise RuleError(f"{what}: “{value}” không phải là số hữu hạn.")
    return result


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def format_number(value, *, places: int | None = None) -> str:
    """Vietnamese number: decimal comma, dot between thousands, no trailing zeros (97.50 → "97,5")."""
    return _format_number(Decimal(value), places)


@functools.lru_cache(maxsize=8192)
def _format_number(d: Decimal, places: int | None) -> str:
    # Cached: equal decimals (1.5, 1.50) have the same text, and explanations repeat the same bounds and points.
    if places is not None:
        d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    d = d.to_integral_value() if d == d.to_integral_value() else d.normalize()
    sign = "-" if d < 0 else ""
    text = format(abs(d), "f")
    whole, _, frac = text.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    result = ".".join(groups)
    if frac:
        result += "," + frac
    return sign + result


def _plain(value):
    """JSON/YAML-friendly number: int when whole, else float (whose repr gives the Decimal back exactly)."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    return value


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = text.replace("đ", "d").replace("Đ", "D").lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


# --- outcomes -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    fraction: Decimal | None = None
    points: Decimal | None = None

    @classmethod
    def parse(cls, data, where: str, *, default: Outcome | None = None) -> Outcome:
        if data is None:
            if default is None:
                raise RuleError(f"{where}: thiếu kết quả (fraction hoặc points).")
            return default
        if isinstance(data, int | float | Decimal | str) and not isinstance(data, bool):
            return cls(fraction=to_decimal(data, where))
        if not isinstance(data, dict):
            raise RuleError(f"{where}: kết quả phải có dạng {{fraction: …}} hoặc {{points: …}}.")
        _only(data, {"fraction", "points"}, where)
        if ("fraction" in data) == ("points" in data):
            raise RuleError(f"{where}: cần đúng một trong hai: fraction (tỷ lệ của điểm tối đa) hoặc points (điểm).")
        if "fraction" in data:
            return cls(fraction=to_decimal(data["fraction"], f"{where} (fraction)"))
        return cls(points=to_decimal(data["points"], f"{where} (points)"))

    def resolve(self, max_points: Decimal, min_points: Decimal = ZERO) -> Decimal:
        if self.points is not None:
            return self.points
        base = max_points if self.fraction >= 0 else -min_points
        return quantize(_CTX.multiply(base, self.fraction))

    def to_data(self) -> dict:
        return {"points": _plain(self.points)} if self.points is not None else {"fraction": _plain(self.fraction)}


def _only(data: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise RuleError(f"{where}: khóa không hợp lệ {', '.join(unknown)} (được dùng: {', '.join(sorted(allowed))}).")


@dataclass(frozen=True, slots=True)
class Result:
    points: Decimal
    explanation: str
    max_points: Decimal


def _pts(points: Decimal, max_points: Decimal) -> str:
    return f"{format_number(points)}/{format_number(max_points)} điểm"


# --- inputs -------------------------------------------------------------------------------------------------------

_YES = {"1", "true", "yes", "y", "co", "x", "dat", "da"}
_NO = {"0", "false", "no", "n", "khong", "chua", ""}
# Domains of numeric inputs: (low, high, high is included)
_DOMAINS = {
    "percent": (ZERO, HUNDRED),
    "integer": (ZERO, None),
    "number": (None, None),
}


def _input_error(message: str) -> InputError:
    return InputError(message)


def coerce_yes_no(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        key = _fold(value).replace("_", "")
        if key in _YES:
            return True
        if key in _NO:
            return False
    raise _input_error(f"“{value}” không phải Có/Không.")


def coerce_number(value, kind: str) -> tuple[Decimal, str]:
    """(value, how it was declared). Percent accepts a ratio {"numerator": a, "denominator": b} or (a, b)."""
    shown = ""
    if kind == "percent" and (isinstance(value, dict) or (isinstance(value, list | tuple) and len(value) == 2)):
        num, den = (value.get("numerator"), value.get("denominator")) if isinstance(value, dict) else value
        try:
            num, den = to_decimal(num, "tử số"), to_decimal(den, "mẫu số")
        except RuleError as exc:
            raise _input_error(str(exc)) from None
        if den <= 0:
            raise _input_error("Mẫu số của tỷ lệ phải lớn hơn 0.")
        if num < 0 or num > den:
            raise _input_error(f"Tử số ({format_number(num)}) phải trong khoảng 0 đến mẫu số ({format_number(den)}).")
        result = _CTX.divide(_CTX.multiply(num, HUNDRED), den)
        shown = f"{format_number(num)}/{format_number(den)} = "
    else:
        try:
            result = to_decimal(value, INPUT_LABELS.get(kind, "giá trị"))
        except RuleError as exc:
            raise _input_error(str(exc)) from None
    if kind == "percent" and not (ZERO <= result <= HUNDRED):
        raise _input_error(f"Tỷ lệ {format_number(result)}% phải trong khoảng 0–100%.")
    if kind == "integer" and (result < 0 or result != result.to_integral_value()):
        raise _input_error(f"Số lượng “{format_number(result)}” phải là số nguyên không âm.")
    return result, shown


def coerce_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    raise _input_error(f"“{value}” không phải là ngày (dd/mm/yyyy).")


def _fmt_value(value: Decimal, kind: str, unit: str = "") -> str:
    if kind == "percent":
        return f"{format_number(value, places=2 if value != quantize(value) else None)}%"
    text = format_number(value)
    return f"{text} {unit}".rstrip() if unit else text


def _fmt_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


# --- rules --------------------------------------------------------------------------------------------------------


class Rule:
    type: str = ""
    input: str = ""
    label: str = ""
    monotone: str | None = None  # "increasing" / "decreasing" when the rule promises it

    def evaluate(self, value, *, max_points: Decimal, min_points: Decimal = ZERO, context=None) -> Result:
        raise NotImplementedError

    def outcomes(self, max_points: Decimal, min_points: Decimal) -> list[tuple[str, Decimal]]:
        """Every value the rule can give, each with where it comes from (for validation)."""
        raise NotImplementedError

    def best_input(self, context=None):
        """An input that earns the highest points."""
        raise NotImplementedError

    def structural_problems(self) -> list[str]:
        return []

    def to_data(self) -> dict:
        raise NotImplementedError

    def describe(self, max_points: Decimal, min_points: Decimal = ZERO) -> str:
        raise NotImplementedError

    def input_spec(self) -> dict:
        return {"type": self.input, "label": self.label or INPUT_LABELS.get(self.input, "")}

    def _head(self, data: dict) -> dict:
        head = {"type": self.type}
        if self.label:
            head["label"] = self.label
        head.update(data)
        return head

    @property
    def shown_label(self) -> str:
        return self.label or INPUT_LABELS.get(self.input, "Giá trị")


def _label(data: dict, where: str) -> str:
    label = data.get("label", "")
    if not isinstance(label, str):
        raise RuleError(f"{where}: label phải là chữ.")
    return label.strip()


class YesNoRule(Rule):
    type = "yes_no"
    input = "yes_no"
    monotone = "increasing"

    def __init__(self, data: dict):
        _only(data, {"type", "label", "yes", "no"}, "Quy tắc Có/Không")
        self.label = _label(data, "Quy tắc Có/Không")
        self.yes = Outcome.parse(data.get("yes"), "Kết quả “Có”", default=Outcome(fraction=ONE))
        self.no = Outcome.parse(data.get("no"), "Kết quả “Không”", default=Outcome(fraction=ZERO))

    def evaluate(self, value, *, max_points, min_points=ZERO, context=None):
        answer = coerce_yes_no(value)
        points = (self.yes if answer else self.no).resolve(max_points, min_points)
        head = f"{self.label}: " if self.label else ""
        return Result(points, f"{head}{'Có' if answer else 'Không'} → {_pts(points, max_points)}", max_points)

    def outcomes(self, max_points, min_points):
        return [("Có", self.yes.resolve(max_points, min_points)), ("Không", self.no.resolve(max_points, min_points))]

    def best_input(self, context=None):
        return self.yes.resolve(ONE, -ONE) >= self.no.resolve(ONE, -ONE)

    def to_data(self):
        return self._head({"yes": self.yes.to_data(), "no": self.no.to_data()})

    def describe(self, max_points, min_points=ZERO):
        return (
            f"Có: {format_number(self.yes.resolve(max_points, min_points))} điểm; "
            f"Không: {format_number(self.no.resolve(max_points, min_points))} điểm"
        )


class LevelsRule(Rule):
    type = "levels"
    input = "choice"

    def __init__(self, data: dict):
        _only(data, {"type", "label", "levels"}, "Quy tắc theo mức")
        self.label = _label(data, "Quy tắc theo mức")
        raw = data.get("levels")
        if not isinstance(raw, list) or not raw:
            raise RuleError("Quy tắc theo mức cần danh sách levels (ít nhất một mức).")
        self.levels: list[tuple[str, str, Outcome]] = []
        for i, item in enumerate(raw, start=1):
            where = f"Mức thứ {i}"
            if not isinstance(item, dict):
                raise RuleError(f"{where}: cần label và fraction hoặc points.")
            _only(item, {"key", "label", "fraction", "points"}, where)
            label = str(item.get("label") or "").strip()
            if not label:
                raise RuleError(f"{where}: thiếu tên mức (label).")
            key = str(item.get("key") or "").strip() or _fold(label)
            outcome = Outcome.parse({k: item[k] for k in ("fraction", "points") if k in item}, f"Mức “{label}”")
            self.levels.append((key, label, outcome))
        self._by_key = {key: (key, label, outcome) for key, label, outcome in self.levels}
        self._by_label = {_fold(label): (key, label, outcome) for key, label, outcome in self.levels}

    def structural_problems(self):
        keys = [key for key, _l, _o in self.levels]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        return [f"mã mức bị trùng: {', '.join(dupes)}"] if dupes else []

    def _find(self, value):
        if isinstance(value, str):
            found = self._by_key.get(value.strip()) or self._by_label.get(_fold(value))
            if found:
                return found
        choices = ", ".join(f"{key} ({label})" for key, label, _o in self.levels)
        raise _input_error(f"“{value}” không phải là một mức của quy tắc; các mức: {choices}.")

    def evaluate(self, value, *, max_points, min_points=ZERO, context=None):
        _key, label, outcome = self._find(value)
        points = outcome.resolve(max_points, min_points)
        head = f"{self.label}: " if self.label else ""
        return Result(points, f"{head}Mức “{label}” → {_pts(points, max_points)}", max_points)

    def outcomes(self, max_points, min_points):
        return [(f"mức “{label}”", o.resolve(max_points, min_points)) for _k, label, o in self.levels]

    def best_input(self, context=None):
        return max(self.levels, key=lambda lv: lv[2].resolve(HUNDRED, -HUNDRED))[0]

    def input_spec(self):
        spec = super().input_spec()
        spec["choices"] = [(key, label) for key, label, _o in self.levels]
        return spec

    def to_data(self):
        return self._head({"levels": [{"key": k, "label": label, **o.to_data()} for k, label, o in self.levels]})

    def describe(self, max_points, min_points=ZERO):
        return "; ".join(
            f"{label}: {format_number(o.resolve(max_points, min_points))} điểm" for _k, label, o in self.levels
        )


@dataclass(frozen=True, slots=True)
class Band:
    low: Decimal | None
    high: Decimal | None
    outcome: Outcome

    def to_data(self) -> dict:
        data = {}
        if self.low is not None:
            data["min"] = _plain(self.low)
        if self.high is not None:
            data["max"] = _plain(self.high)
        data.update(self.outcome.to_data())
        return data


def _parse_bands(raw, where: str) -> list[Band]:
    if not isinstance(raw, list) or not raw:
        raise RuleError(f"{where}: cần danh sách các ngưỡng (bands).")
    bands = []
    for i, item in enumerate(raw, start=1):
        bwhere = f"{where}, ngưỡng thứ {i}"
        if not isinstance(item, dict):
            raise RuleError(f"{bwhere}: cần min/max và fraction hoặc points.")
        _only(item, {"min", "max", "fraction", "points"}, bwhere)
        low = to_decimal(item["min"], f"{bwhere} (min)") if item.get("min") is not None else None
        high = to_decimal(item["max"], f"{bwhere} (max)") if item.get("max") is not None else None
        outcome = Outcome.parse({k: item[k] for k in ("fraction", "points") if k in item}, bwhere)
        bands.append(Band(low, high, outcome))
    return bands


class BandsRule(Rule):
    type = "bands"

    def __init__(self, data: dict):
        _only(data, {"type", "label", "input", "unit", "direction", "bands", "by_level"}, "Quy tắc theo ngưỡng")
        self.label = _label(data, "Quy tắc theo ngưỡng")
        self.input = data.get("input", "percent")
        if self.input not in _DOMAINS:
            raise RuleError(
                f"Quy tắc theo ngưỡng: loại dữ liệu “{self.input}” không hợp lệ (dùng percent, number hoặc integer)."
            )
        self.unit = str(data.get("unit") or "")
        self.monotone = data.get("direction")
        if self.monotone not in (None, "increasing", "decreasing"):
            raise RuleError("Quy tắc theo ngưỡng: direction phải là increasing hoặc decreasing.")
        if ("bands" in data) == ("by_level" in data):
            raise RuleError("Quy tắc theo ngưỡng cần đúng một trong hai: bands hoặc by_level.")
        self.variants: dict[str | None, list[Band]] = {}
        if "bands" in data:
            self.variants[None] = _parse_bands(data["bands"], "Quy tắc theo ngưỡng")
        else:
            by_level = data["by_level"]
            if not isinstance(by_level, dict) or not by_level:
                raise RuleError("by_level cần các cấp (province, district, commune…) với danh sách ngưỡng.")
            for level, raw in by_level.items():
                name = LEVEL_LABELS.get(str(level), str(level))
                self.variants[str(level)] = _parse_bands(raw, f"Ngưỡng cho {name}")
        self._sorted = {
            level: sorted(bands, key=lambda b: (b.low is not None, b.low if b.low is not None else ZERO))
            for level, bands in self.variants.items()
        }

    def _interval(self, band: Band, last: bool) -> str:
        lo, hi, hi_included = band.low, band.high, False
        if last and hi is not None and _DOMAINS[self.input][1] is not None and hi == _DOMAINS[self.input][1]:
            hi_included = True
        fmt = lambda v: _fmt_value(v, self.input, self.unit)  # noqa: E731
        if lo is not None and hi is not None:
            return f"từ {fmt(lo)} đến {fmt(hi)}" if hi_included else f"từ {fmt(lo)} đến dưới {fmt(hi)}"
        if lo is not None:
            return f"≥ {fmt(lo)}"
        if hi is not None:
            return f"≤ {fmt(hi)}" if hi_included else f"< {fmt(hi)}"
        return "mọi giá trị"

    def structural_problems(self):
        problems = []
        low, high = _DOMAINS[self.input]
        for level, bands in self._sorted.items():
            where = f"ngưỡng cho {LEVEL_LABELS.get(level, level)}: " if level else ""
            fmt = lambda v: _fmt_value(v, self.input, self.unit)  # noqa: E731
            for band in bands:
                if band.low is not None and band.high is not None and band.low >= band.high:
                    problems.append(f"{where}ngưỡng {fmt(band.low)} – {fmt(band.high)} có min không nhỏ hơn max")
            if problems:
                continue
            first = bands[0]
            if first.low is not None and (low is None or first.low > low):
                start = "" if low is None else f" (từ {fmt(low)})"
                problems.append(f"{where}các ngưỡng để hở các giá trị dưới {fmt(first.low)}{start}")
            for a, b in zip(bands, bands[1:], strict=False):
                if a.high is None or b.low is None or a.high > b.low:
                    first_text, second_text = self._interval(a, False), self._interval(b, False)
                    problems.append(f"{where}ngưỡng {first_text} chồng lên ngưỡng {second_text}")
                elif a.high < b.low:
                    problems.append(f"{where}các ngưỡng để hở khoảng từ {fmt(a.high)} đến dưới {fmt(b.low)}")
            last = bands[-1]
            if last.high is not None and (high is None or last.high < high):
                problems.append(f"{where}các ngưỡng để hở các giá trị từ {fmt(last.high)} trở lên")
            if self.monotone:
                values = [b.outcome.resolve(HUNDRED, -HUNDRED) for b in bands]
                pairs = list(zip(values, values[1:], strict=False))
                if self.monotone == "increasing" and any(x > y for x, y in pairs):
                    problems.append(f"{where}điểm phải không giảm khi giá trị tăng (direction: increasing)")
                if self.monotone == "decreasing" and any(x < y for x, y in pairs):
                    problems.append(f"{where}điểm phải không tăng khi giá trị tăng (direction: decreasing)")
        return problems

    def _bands_for(self, context) -> tuple[str | None, list[Band]]:
        if None in self._sorted:
            return None, self._sorted[None]
        context = context or {}
        level = context.get("level")
        if level not in self._sorted:
            # A unit without its own bands takes those of its administrative level (a department: the province's).
            level = next((lv for lv in context.get("fallback_levels", ()) if lv in self._sorted), level)
        if level not in self._sorted:
            known = ", ".join(f"{k} ({LEVEL_LABELS.get(k, k)})" for k in self._sorted)
            raise _input_error(f"Quy tắc có ngưỡng theo cấp; cần cho biết cấp của đơn vị (một trong: {known}).")
        return level, self._sorted[level]

    def _find(self, bands: list[Band], value: Decimal) -> tuple[Band, bool]:
        high = _DOMAINS[self.input][1]
        for i, band in enumerate(bands):
            last = i == len(bands) - 1
            if band.low is not None and value < band.low:
                continue
            if band.high is None or value < band.high or (last and high is not None and band.high == high == value):
                return band, last
        raise _input_error(
            f"{self.shown_label} {_fmt_value(value, self.input, self.unit)} không thuộc ngưỡng nào của quy tắc."
        )

    def evaluate(self, value, *, max_points, min_points=ZERO, context=None):
        number, shown = coerce_number(value, self.input)
        level, bands = self._bands_for(context)
        band, last = self._find(bands, number)
        points = band.outcome.resolve(max_points, min_points)
        target = f" (mức cho {LEVEL_LABELS.get(level, level)})" if level else ""
        where = self._interval(band, last)
        if band.low is not None and band.high is not None:
            where = f"trong khoảng {where}"
        text = (
            f"{self.shown_label} {shown}{_fmt_value(number, self.input, self.unit)} {where}{target}"
            f" → {_pts(points, max_points)}"
        )
        return Result(points, text, max_points)

    def outcomes(self, max_points, min_points):
        return [
            (f"ngưỡng {self._interval(b, i == len(bands) - 1)}", b.outcome.resolve(max_points, min_points))
            for bands in self._sorted.values()
            for i, b in enumerate(bands)
        ]

    def best_input(self, context=None):
        _level, bands = self._bands_for(context)
        best = max(bands, key=lambda b: b.outcome.resolve(HUNDRED, -HUNDRED))
        return self._inside(best)

    def _inside(self, band: Band) -> Decimal:
        low, high = _DOMAINS[self.input]
        if band.low is not None:
            return max(band.low, low) if low is not None else band.low
        if band.high is not None:
            candidate = band.high - ONE
            return max(candidate, low) if low is not None else candidate
        return low if low is not None else ZERO

    def input_spec(self):
        spec = super().input_spec()
        spec["unit"] = self.unit
        if None not in self.variants:
            spec["levels"] = [(k, LEVEL_LABELS.get(k, k)) for k in self.variants]
        return spec

    def to_data(self):
        data = {"input": self.input}
        if self.unit:
            data["unit"] = self.unit
        if self.monotone:
            data["direction"] = self.monotone
        if None in self.variants:
            data["bands"] = [b.to_data() for b in self.variants[None]]
        else:
            data["by_level"] = {lv: [b.to_data() for b in bands] for lv, bands in self.variants.items()}
        return self._head(data)

    def describe(self, max_points, min_points=ZERO):
        def one(bands):
            last = len(bands) - 1
            return "; ".join(
                f"{self._interval(b, i == last)}: {format_number(b.outcome.resolve(max_points, min_points))}"
                for i, b in reversed(list(enumerate(bands)))
            )

        if None in self._sorted:
            return f"{self.shown_label} {one(self._sorted[None])} (điểm)"
        return " | ".join(f"{LEVEL_LABELS.get(lv, lv)}: {one(bands)}" for lv, bands in self._sorted.items())


class LinearRule(Rule):
    type = "linear"

    def __init__(self, data: dict):
        where = "Quy tắc tuyến tính"
        _only(data, {"type", "label", "input", "unit", "from_value", "to_value", "from", "to"}, where)
        self.label = _label(data, where)
        self.input = data.get("input", "percent")
        if self.input not in ("percent", "number"):
            raise RuleError(f"{where}: loại dữ liệu phải là percent hoặc number.")
        self.unit = str(data.get("unit") or "")
        for key in ("from_value", "to_value"):
            if data.get(key) is None:
                raise RuleError(f"{where}: thiếu {key}.")
        self.from_value = to_decimal(data["from_value"], f"{where} (from_value)")
        self.to_value = to_decimal(data["to_value"], f"{where} (to_value)")
        self.at_from = Outcome.parse(data.get("from"), f"{where} (from)", default=Outcome(fraction=ZERO))
        self.at_to = Outcome.parse(data.get("to"), f"{where} (to)", default=Outcome(fraction=ONE))
        a, b = self.at_from.resolve(HUNDRED, -HUNDRED), self.at_to.resolve(HUNDRED, -HUNDRED)
        rising = (b >= a) == (self.to_value >= self.from_value)
        self.monotone = "increasing" if rising else "decreasing"

    def structural_problems(self):
        problems = []
        if self.from_value == self.to_value:
            problems.append("from_value và to_value phải khác nhau")
        if self.input == "percent":
            for v in (self.from_value, self.to_value):
                if not ZERO <= v <= HUNDRED:
                    problems.append(f"mốc {format_number(v)}% nằm ngoài 0–100%")
        return problems

    def evaluate(self, value, *, max_points, min_points=ZERO, context=None):
        number, shown = coerce_number(value, self.input)
        p_from = self.at_from.resolve(max_points, min_points)
        p_to = self.at_to.resolve(max_points, min_points)
        lo_v, hi_v = sorted((self.from_value, self.to_value))
        fmt = lambda v: _fmt_value(v, self.input, self.unit)  # noqa: E731
        head = f"{self.shown_label} {shown}{fmt(number)}"
        if number <= lo_v or number >= hi_v:
            at_from_end = (number <= lo_v) == (self.from_value == lo_v)
            points = p_from if at_from_end else p_to
            sign = "≤" if number <= lo_v else "≥"
            bound = lo_v if number <= lo_v else hi_v
            return Result(points, f"{head} {sign} {fmt(bound)} → {_pts(points, max_points)}", max_points)
        share = _CTX.divide(number - self.from_value, self.to_value - self.from_value)
        points = quantize(p_from + _CTX.multiply(p_to - p_from, share))
        return Result(
            points,
            f"{head} trong khoảng {fmt(lo_v)} – {fmt(hi_v)}, tính tuyến tính → {_pts(points, max_points)}",
            max_points,
        )

    def outcomes(self, max_points, min_points):
        return [
            (f"mốc {format_number(self.from_value)}", self.at_from.resolve(max_points, min_points)),
            (f"mốc {format_number(self.to_value)}", self.at_to.resolve(max_points, min_points)),
        ]

    def best_input(self, context=None):
        a, b = self.at_from.resolve(HUNDRED, -HUNDRED), self.at_to.resolve(HUNDRED, -HUNDRED)
        return self.to_value if b >= a else self.from_value

    def to_data(self):
        data = {"input": self.input}
        if self.unit:
            data["unit"] = self.unit
        data.update(
            {
                "from_value": _plain(self.from_value),
                "to_value": _plain(self.to_value),
                "from": self.at_from.to_data(),
                "to": self.at_to.to_data(),
            }
        )
        return self._head(data)

    def describe(self, max_points, min_points=ZERO):
        fmt = lambda v: _fmt_value(v, self.input, self.unit)  # noqa: E731
        return (
            f"{self.shown_label} {fmt(self.from_value)}: {format_number(self.at_from.resolve(max_points, min_points))}"
            f" điểm → {fmt(self.to_value)}: {format_number(self.at_to.resolve(max_points, min_points))} điểm,"
            " tuyến tính ở giữa"
        )


class CountRule(Rule):
    type = "count"
    input = "integer"
    monotone = "increasing"

    def __init__(self, data: dict):
        where = "Quy tắc theo số lượng"
        _only(data, {"type", "label", "unit", "steps", "otherwise"}, where)
        self.label = _label(data, where)
        self.unit = str(data.get("unit") or "")
        raw = data.get("steps")
        if not isinstance(raw, list) or not raw:
            raise RuleError(f"{where}: cần danh sách steps (at_least và fraction hoặc points).")
        self.steps: list[tuple[Decimal, Outcome]] = []
        for i, item in enumerate(raw, start=1):
            swhere = f"{where}, bậc thứ {i}"
            if not isinstance(item, dict) or "at_least" not in item:
                raise RuleError(f"{swhere}: cần at_least.")
            _only(item, {"at_least", "fraction", "points"}, swhere)
            n = to_decimal(item["at_least"], f"{swhere} (at_least)")
            outcome = Outcome.parse({k: item[k] for k in ("fraction", "points") if k in item}, swhere)
            self.steps.append((n, outcome))
        self.otherwise = Outcome.parse(data.get("otherwise"), f"{where} (otherwise)", default=Outcome(fraction=ZERO))
        self._sorted = sorted(self.steps, key=lambda s: s[0], reverse=True)

    def structural_problems(self):
        problems = []
        counts = [n for n, _o in self.steps]
        for n in counts:
            if n < 0 or n != n.to_integral_value():
                problems.append(f"at_least {format_number(n)} phải là số nguyên không âm")
        dupes = sorted({n for n in counts if counts.count(n) > 1})
        if dupes:
            problems.append(f"bậc “ít nhất {', '.join(format_number(d) for d in dupes)}” bị trùng (chồng nhau)")
        ascending = [self.otherwise] + [o for _n, o in reversed(self._sorted)]
        values = [o.resolve(HUNDRED, -HUNDRED) for o in ascending]
        if any(x > y for x, y in zip(values, values[1:], strict=False)):
            problems.append("điểm phải không giảm khi số lượng tăng")
        return problems

    def evaluate(self, value, *, max_points, min_points=ZERO, context=None):
        number, _shown = coerce_number(value, "integer")
        shown = f"{self.shown_label} {_fmt_value(number, 'integer', self.unit)}"
        for n, outcome in self._sorted:
            if number >= n:
                points = outcome.resolve(max_points, min_points)
                return Result(points, f"{shown} ≥ {format_number(n)} → {_pts(points, max_points)}", max_points)
        points = self.otherwise.resolve(max_points, min_points)
        lowest = self._sorted[-1][0]
        return Result(points, f"{shown} < {format_number(lowest)} → {_pts(points, max_points)}", max_points)

    def outcomes(self, max_points, min_points):
        found = [(f"ít nhất {format_number(n)}", o.resolve(max_points, min_points)) for n, o in self.steps]
        return found + [("dưới mức thấp nhất", self.otherwise.resolve(max_points, min_points))]

    def best_input(self, context=None):
        return int(self._sorted[0][0])

    def to_data(self):
        data = {}
        if self.unit:
            data["unit"] = self.unit
        data["steps"] = [{"at_least": _plain(n), **o.to_data()} for n, o in self.steps]
        data["otherwise"] = self.otherwise.to_data()
        return self._head(data)

    def describe(self, max_points, min_points=ZERO):
        parts = [f"≥ {format_number(n)}: {format_number(o.resolve(max_points, min_points))}" for n, o in self._sorted]
        parts.append(f"ít hơn: {format_number(self.otherwise.resolve(max_points, min_points))}")
        return f"{self.shown_label} " + "; ".join(parts) + " (điểm)"


class ManualRule(Rule):
    type = "manual"
    input = "points"
    monotone = "increasing"

    def __init__(self, data: dict):
        _only(data, {"type", "label", "step"}, "Quy tắc chấm trực tiếp")
        self.label = _label(data, "Quy tắc chấm trực tiếp")
        self.step = to_decimal(data.get("step", "0.25"), "Quy tắc chấm trực tiếp (step)")

    def structural_problems(self):
        return [] if self.step > 0 else ["bước chấm (step) phải lớn hơn 0"]

    def outcomes(self, max_points, min_points):
        problems = []
        if self.step > 0 and (max_points - min_points) % self.step != 0:
            problems.append(("bước chấm", None))
        return [("điểm thấp nhất", min_points), ("điểm cao nhất", max_points)] + problems

    def evaluate(self, value, *, max_points, min_points=ZERO, context=None):
        number, _shown = coerce_number(value, "number")
        if not (min_points <= number <= max_points):
            raise _input_error(
                f"Điểm chấm {format_number(number)} phải trong khoảng {format_number(min_points)}–"
                f"{format_number(max_points)}."
            )
        if (number - min_points) % self.step != 0:
            raise _input_error(f"Điểm chấm {format_number(number)} phải theo bước {format_number(self.step)}.")
        points = quantize(number)
        return Result(
            points,
            f"{self.shown_label} {format_number(number)} (bước {format_number(self.step)})"
            f" → {_pts(points, max_points)}",
            max_points,
        )

    def best_input(self, context=None):
        return None  # the node's max: see best_input()

    def to_data(self):
        return self._head({"step": _plain(self.step)})

    def describe(self, max_points, min_points=ZERO):
        return (
            f"Chấm từ {format_number(min_points)} đến {format_number(max_points)} điểm, bước {format_number(self.step)}"
        )


class _CappedRule(Rule):
    sign = 1
    word = ""

    def __init__(self, data: dict):
        where = f"Quy tắc {self.word}"
        _only(data, {"type", "label", "unit", "per_item", "cap", "step"}, where)
        self.label = _label(data, where)
        self.unit = str(data.get("unit") or "")
        if data.get("cap") is None:
            raise RuleError(f"{where}: thiếu mức tối đa (cap).")
        self.cap = to_decimal(data["cap"], f"{where} (cap)")
        per_item = data.get("per_item")
        self.per_item = to_decimal(per_item, f"{where} (per_item)") if per_item is not None else None
        self.step = to_decimal(data.get("step", "0.25"), f"{where} (step)") if self.per_item is None else None
        self.input = "integer" if self.per_item is not None else "points"

    def structural_problems(self):
        problems = []
        if self.cap <= 0:
            problems.append("mức tối đa (cap) phải lớn hơn 0")
        if self.per_item is not None and self.per_item <= 0:
            problems.append("số điểm mỗi lần (per_item) phải lớn hơn 0")
        if self.step is not None and self.step <= 0:
            problems.append("bước chấm (step) phải lớn hơn 0")
        return problems

    def outcomes(self, max_points, min_points):
        return [("không có", ZERO), (f"mức tối đa {format_number(self.cap)}", self.sign * self.cap)]

    def evaluate(self, value, *, max_points, min_points=ZERO, context=None):
        if self.per_item is not None:
            count, _shown = coerce_number(value, "integer")
            raw = _CTX.multiply(count, self.per_item)
            what = f"{_fmt_value(count, 'integer', self.unit)} × {format_number(self.per_item)} = {format_number(raw)}"
        else:
            raw, _shown = coerce_number(value, "number")
            if raw < 0:
                raise _input_error(f"Số điểm {self.word} không được âm.")
            if raw % self.step != 0:
                raise _input_error(f"Điểm {self.word} {format_number(raw)} phải theo bước {format_number(self.step)}.")
            what = format_number(raw)
        capped = quantize(min(raw, self.cap))
        points = self.sign * capped
        if points == 0:
            points = ZERO.quantize(CENT)
        note = f" (tối đa {format_number(self.cap)})" if raw > self.cap else ""
        head = f"{self.label}: " if self.label else f"{self.word.capitalize()} "
        return Result(points, f"{head}{what}{note} → {self._fmt(points, max_points)}", max_points)

    def _fmt(self, points, max_points):
        return _pts(points, max_points)

    def best_input(self, context=None):
        if self.sign < 0:
            return 0
        if self.per_item is not None:
            return int(math.ceil(self.cap / self.per_item))
        return self.cap

    def to_data(self):
        data = {}
        if self.unit:
            data["unit"] = self.unit
        if self.per_item is not None:
            data["per_item"] = _plain(self.per_item)
        else:
            data["step"] = _plain(self.step)
        data["cap"] = _plain(self.cap)
        return self._head(data)


class BonusRule(_CappedRule):
    type = "bonus"
    sign = 1
    word = "điểm thưởng"
    monotone = "increasing"

    def describe(self, max_points, min_points=ZERO):
        each = f"{format_number(self.per_item)} điểm mỗi {self.unit or 'lần'}, " if self.per_item else ""
        return f"Thưởng {each}tối đa {format_number(self.cap)} điểm"


class PenaltyRule(_CappedRule):
    type = "penalty"
    sign = -1
    word = "điểm trừ"
    monotone = "decreasing"

    def _fmt(self, points, max_points):
        return f"trừ {format_number(-points)} điểm" if points else "không bị trừ điểm"

    def describe(self, max_points, min_points=ZERO):
        each = f"{format_number(self.per_item)} điểm mỗi {self.unit or 'lần'}, " if self.per_item else ""
        return f"Trừ {each}tối đa {format_number(self.cap)} điểm"


class SurveyRule(Rule):
    type = "survey"
    input = "percent"
    monotone = "increasing"

    def __init__(self, data: dict):
        _only(data, {"type", "label", "component"}, "Quy tắc theo điều tra XHH")
        self.label = _label(data, "Quy tắc theo điều tra XHH")
        self.component = str(data.get("component") or "").strip()

    def evaluate(self, value, *, max_points, min_points=ZERO, context=None):
        number, shown = coerce_number(value, "percent")
        points = quantize(_CTX.divide(_CTX.multiply(max_points, number), HUNDRED))
        name = self.label or (
            f"Điểm {SURVEY_COMPONENT_LABELS.get(self.component, self.component)}"
            if self.component
            else "Điểm điều tra XHH"
        )
        return Result(
            points,
            f"{name} {shown}{_fmt_value(number, 'percent')} × {format_number(max_points)} → {_pts(points, max_points)}",
            max_points,
        )

    def outcomes(self, max_points, min_points):
        return [("0%", ZERO), ("100%", max_points)]

    def best_input(self, context=None):
        return HUNDRED

    def to_data(self):
        return self._head({"component": self.component} if self.component else {})

    def describe(self, max_points, min_points=ZERO):
        name = SURVEY_COMPONENT_LABELS.get(self.component, self.component) or "điều tra XHH"
        return f"Điểm tối đa × kết quả {name} (0–100%)"


class DeadlineRule(Rule):
    type = "deadline"
    input = "date"
    monotone = "decreasing"

    def __init__(self, data: dict):
        where = "Quy tắc theo thời hạn"
        _only(data, {"type", "label", "due", "on_time", "late_steps", "otherwise"}, where)
        self.label = _label(data, where)
        due = data.get("due")
        if isinstance(due, dt.date):
            due = due.isoformat()
        self.due = str(due or "").strip()
        if re.fullmatch(r"\d{2}-\d{2}", self.due):
            try:
                dt.date(2000, int(self.due[:2]), int(self.due[3:]))
            except ValueError:
                raise RuleError(f"{where}: hạn “{self.due}” không hợp lệ.") from None
        else:
            try:
                dt.date.fromisoformat(self.due)
            except ValueError:
                raise RuleError(f"{where}: hạn (due) phải có dạng MM-DD hoặc YYYY-MM-DD.") from None
        self.on_time = Outcome.parse(data.get("on_time"), f"{where} (on_time)", default=Outcome(fraction=ONE))
        self.late_steps: list[tuple[int, Outcome]] = []
        for i, item in enumerate(data.get("late_steps") or [], start=1):
            swhere = f"{where}, mức trễ thứ {i}"
            if not isinstance(item, dict) or "max_days_late" not in item:
                raise RuleError(f"{swhere}: cần max_days_late.")
            _only(item, {"max_days_late", "fraction", "points"}, swhere)
            days = to_decimal(item["max_days_late"], f"{swhere} (max_days_late)")
            if days <= 0 or days != days.to_integral_value():
                raise RuleError(f"{swhere}: max_days_late phải là số nguyên dương.")
            self.late_steps.append(
                (int(days), Outcome.parse({k: item[k] for k in ("fraction", "points") if k in item}, swhere))
            )
        self.otherwise = Outcome.parse(data.get("otherwise"), f"{where} (otherwise)", default=Outcome(fraction=ZERO))
        self._sorted = sorted(self.late_steps, key=lambda s: s[0])

    def structural_problems(self):
        days = [d for d, _o in self.late_steps]
        problems = []
        if len(set(days)) != len(days):
            problems.append("các mức trễ hạn bị trùng")
        chain = [self.on_time] + [o for _d, o in self._sorted] + [self.otherwise]
        values = [o.resolve(HUNDRED, -HUNDRED) for o in chain]
        if any(x < y for x, y in zip(values, values[1:], strict=False)):
            problems.append("nộp càng trễ thì điểm phải không tăng")
        return problems

    def due_date(self, context) -> dt.date:
        if len(self.due) == 5:
            year = (context or {}).get("year")
            if not year:
                raise _input_error("Quy tắc theo thời hạn cần năm đánh giá (year) để xác định hạn.")
            return dt.date(int(year), int(self.due[:2]), int(self.due[3:]))
        return dt.date.fromisoformat(self.due)

    def evaluate(self, value, *, max_points, min_points=ZERO, context=None):
        day = coerce_date(value)
        due = self.due_date(context)
        late = (day - due).days
        if late <= 0:
            points = self.on_time.resolve(max_points, min_points)
            what = "đúng hạn"
        else:
            what = f"trễ {late} ngày"
            outcome = next((o for d, o in self._sorted if late <= d), self.otherwise)
            points = outcome.resolve(max_points, min_points)
        head = f"{self.label}: " if self.label else "Ngày "
        return Result(
            points, f"{head}{_fmt_date(day)}, {what} (hạn {_fmt_date(due)}) → {_pts(points, max_points)}", max_points
        )

    def outcomes(self, max_points, min_points):
        found = [("đúng hạn", self.on_time.resolve(max_points, min_points))]
        found += [(f"trễ đến {d} ngày", o.resolve(max_points, min_points)) for d, o in self.late_steps]
        return found + [("trễ hơn", self.otherwise.resolve(max_points, min_points))]

    def best_input(self, context=None):
        return self.due_date(context or {"year": 2000})

    def to_data(self):
        data = {"due": self.due, "on_time": self.on_time.to_data()}
        if self.late_steps:
            data["late_steps"] = [{"max_days_late": d, **o.to_data()} for d, o in self.late_steps]
        data["otherwise"] = self.otherwise.to_data()
        return self._head(data)

    def describe(self, max_points, min_points=ZERO):
        due = self.due if len(self.due) != 5 else f"{self.due[3:]}/{self.due[:2]}"
        parts = [f"Đúng hạn ({due}): {format_number(self.on_time.resolve(max_points, min_points))}"]
        parts += [f"trễ đến {d} ngày: {format_number(o.resolve(max_points, min_points))}" for d, o in self._sorted]
        parts.append(f"trễ hơn: {format_number(self.otherwise.resolve(max_points, min_points))}")
        return "; ".join(parts) + " (điểm)"


_CLASSES: dict[str, type[Rule]] = {
    cls.type: cls
    for cls in (
        YesNoRule,
        LevelsRule,
        BandsRule,
        LinearRule,
        CountRule,
        ManualRule,
        BonusRule,
        PenaltyRule,
        SurveyRule,
        DeadlineRule,
    )
}


# --- public API ---------------------------------------------------------------------------------------------------


def parse_rule(data) -> Rule:
    """A rule object from its data. Raises RuleError (Vietnamese) when the data is not a rule."""
    if isinstance(data, Rule):
        return data
    if not isinstance(data, dict):
        raise RuleError("Quy tắc chấm điểm phải là một bảng khóa–giá trị có “type”.")
    kind = data.get("type")
    if kind not in _CLASSES:
        raise RuleError(f"Loại quy tắc “{kind}” không hợp lệ; dùng một trong: {', '.join(RULE_TYPES)}.")
    return _CLASSES[kind](data)


def canonical(data) -> dict:
    """The rule's data in canonical form (defaults filled in, numbers as int/float): equal rules compare equal."""
    return parse_rule(data).to_data()


def rule_problems(data, *, max_points, min_points=ZERO) -> list[str]:
    """Why the rule cannot be used on a node with these bounds (empty when it can)."""
    try:
        rule = parse_rule(data)
    except RuleError as exc:
        return [str(exc)]
    max_points, min_points = to_decimal(max_points), to_decimal(min_points)
    problems = rule.structural_problems()
    if problems:
        return problems
    reachable_max = False
    top = ZERO if rule.type == "penalty" else max_points
    for where, points in rule.outcomes(max_points, min_points):
        if points is None:
            problems.append(
                f"bước chấm không chia đều khoảng {format_number(min_points)}–{format_number(max_points)} điểm"
            )
            continue
        if points > max_points:
            problems.append(f"{where} cho {format_number(points)} điểm, vượt điểm tối đa {format_number(max_points)}")
        if points < min_points:
            problems.append(f"{where} cho {format_number(points)} điểm, thấp hơn điểm sàn {format_number(min_points)}")
        if points == top:
            reachable_max = True
    if not reachable_max and not problems:
        problems.append(f"không có trường hợp nào đạt {format_number(top)} điểm (điểm tối đa)")
    return problems


def evaluate(data, value, *, max_points, min_points=ZERO, context=None) -> Result:
    """Points (Decimal, 2 places) and a Vietnamese explanation for one input."""
    rule = parse_rule(data)
    return rule.evaluate(value, max_points=to_decimal(max_points), min_points=to_decimal(min_points), context=context)


def describe(data, *, max_points, min_points=ZERO) -> str:
    try:
        rule = parse_rule(data)
        return rule.describe(to_decimal(max_points), to_decimal(min_points))
    except (RuleError, InputError, ArithmeticError) as exc:
        return f"(quy tắc không hợp lệ: {exc})"


def best_input(data, *, max_points, context=None):
    """An input earning the rule's highest points (for "full marks" checks and previews)."""
    rule = parse_rule(data)
    value = rule.best_input(context)
    return to_decimal(max_points) if value is None and rule.type == "manual" else value


def input_spec(data) -> dict:
    return parse_rule(data).input_spec()
