"""Class schemes (thang xếp loại): index managers create, edit, attach, clone and retire them.

A scheme is a list of bands, each with a code, a name and an inclusive lower bound in percent; a band runs from its
lower bound up to the next band's (exclusive), the lowest starts at 0, so the bands cover 0–100 with no gap and no
overlap. Bands are stored highest first with their bounds as two-decimal strings.

The schemes shipped with the software are read-only: clone one to change it. A result set copies the bands it was
classified with, so editing or retiring a scheme never changes a computed or published result; the next computation
of a group picks up the scheme attached to it then (the group's own, else its framework's, else MOHA's A–D).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from parindex.core.exceptions import ConflictError
from parindex.core.services import audit_record
from parindex.core.text import fold

from .models import ClassScheme, ResultSet, ResultStatus

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
MAX_BANDS = 20
MIN_BANDS = 2
CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
CODE_RULE = "chỉ gồm chữ cái không dấu, chữ số, “-”, “_”, “.” (tối đa 32 ký tự)"
SCHEME_CODE_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def default_bands() -> list[dict]:
    """MOHA's A–D (A ≥ 90, B 80–<90, C 70–<80, D < 70): the starting point of a new scheme."""
    return [
        {"code": "A", "name": "A", "min": "90.00"},
        {"code": "B", "name": "B", "min": "80.00"},
        {"code": "C", "name": "C", "min": "70.00"},
        {"code": "D", "name": "D", "min": "0.00"},
    ]


def _label(position: int, code: str) -> str:
    return f"Mức thứ {position} (“{code}”)" if code else f"Mức thứ {position}"


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _threshold(value, label: str, errors: list[str]) -> Decimal | None:
    """A lower bound: a number 0–100 with at most two decimals ("89,5" and "89.5" are both read)."""
    if isinstance(value, bool):
        errors.append(f"{label}: ngưỡng dưới phải là một số từ 0 đến 100.")
        return None
    text = _text(value).replace(" ", "").replace(",", ".")
    if text == "":
        errors.append(f"{label}: thiếu ngưỡng dưới (%).")
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        errors.append(f"{label}: ngưỡng dưới “{_text(value)}” không phải là số.")
        return None
    if not number.is_finite():
        errors.append(f"{label}: ngưỡng dưới “{_text(value)}” không phải là số.")
        return None
    if number < 0 or number > HUNDRED:
        errors.append(f"{label}: ngưỡng dưới {_text(value)} phải trong khoảng 0–100.")
        return None
    if number != number.quantize(CENT):
        errors.append(f"{label}: ngưỡng dưới {_text(value)} có quá hai chữ số thập phân.")
        return None
    return number.quantize(CENT)


def _order(value, label: str, errors: list[str]) -> int | None:
    text = _text(value)
    if text == "":
        return None
    try:
        number = int(text)
    except ValueError:
        errors.append(f"{label}: thứ tự “{text}” không phải là số nguyên.")
        return None
    if number < 1 or number > 1000:
        errors.append(f"{label}: thứ tự {number} phải từ 1 đến 1000.")
        return None
    return number


def bands_clean(bands: Iterable[Mapping]) -> list[dict]:
    """Check the bands given (each ``code``, ``name``, ``min``, optional ``order``: 1 = highest band) and return them
    highest first as stored: [{"code", "name", "min": "90.00"}, …]. Every error names the band; raises
    ``ValidationError({"bands": [...]})``."""
    errors: list[str] = []
    items = []
    for position, band in enumerate(bands, start=1):
        if not isinstance(band, Mapping):
            errors.append(f"Mức thứ {position}: cần mã, tên và ngưỡng dưới.")
            continue
        code = _text(band.get("code"))
        label = _label(position, code)
        if not code:
            errors.append(f"{label}: thiếu mã mức.")
        elif not CODE_RE.fullmatch(code):
            errors.append(f"{label}: mã {CODE_RULE}.")
        name = _text(band.get("name")) or code
        if len(name) > 100:
            errors.append(f"{label}: tên dài quá 100 ký tự.")
        minimum = _threshold(band.get("min"), label, errors)
        order = _order(band.get("order"), label, errors)
        items.append({"position": position, "code": code, "name": name, "min": minimum, "order": order})
    if len(items) < MIN_BANDS:
        errors.append(f"Cần ít nhất {MIN_BANDS} mức xếp loại.")
    if len(items) > MAX_BANDS:
        errors.append(f"Tối đa {MAX_BANDS} mức xếp loại.")
    seen_codes: dict[str, dict] = {}
    for item in items:
        key = item["code"].casefold()
        if item["code"] and key in seen_codes:
            first = seen_codes[key]
            errors.append(
                f"{_label(item['position'], item['code'])}: mã trùng với "
                f"{_label(first['position'], first['code']).lower()}."
            )
        seen_codes.setdefault(key, item)
    orders = [i for i in items if i["order"] is not None]
    if orders and len(orders) != len(items):
        errors.append("Cần ghi thứ tự cho mọi mức, hoặc để trống tất cả (khi đó xếp theo ngưỡng dưới).")
    seen_orders: dict[int, dict] = {}
    for item in orders:
        if item["order"] in seen_orders:
            first = seen_orders[item["order"]]
            errors.append(
                f"{_label(item['position'], item['code'])}: thứ tự {item['order']} trùng với "
                f"{_label(first['position'], first['code']).lower()}."
            )
        seen_orders.setdefault(item["order"], item)
    if errors:
        raise ValidationError({"bands": errors})
    # With an order given, it must agree with the bounds; without, the bands are put in the order of their bounds.
    if orders:
        items.sort(key=lambda i: i["order"])
    else:
        items.sort(key=lambda i: i["min"], reverse=True)
    # From the highest band down, each lower bound must be strictly below the previous one: equal bounds overlap
    # (the upper band would be empty), a higher bound below a lower one means the order is wrong.
    for above, below in zip(items, items[1:], strict=False):
        if below["min"] == above["min"]:
            errors.append(
                f"Mức “{above['code']}” và mức “{below['code']}” cùng ngưỡng dưới {_pct(above['min'])}%: "
                "hai mức chồng lên nhau."
            )
        elif below["min"] > above["min"]:
            errors.append(
                f"Mức “{below['code']}” (ngưỡng dưới {_pct(below['min'])}%) đứng sau mức “{above['code']}” "
                f"(ngưỡng dưới {_pct(above['min'])}%): các mức phải xếp từ cao xuống thấp."
            )
    lowest = items[-1]
    if lowest["min"] != 0 and not errors:
        errors.append(
            f"Mức thấp nhất “{lowest['code']}” bắt đầu từ {_pct(lowest['min'])}%: khoảng 0 – dưới "
            f"{_pct(lowest['min'])}% chưa thuộc mức nào (ngưỡng dưới của mức thấp nhất phải là 0)."
        )
    if errors:
        raise ValidationError({"bands": errors})
    return [{"code": i["code"], "name": i["name"], "min": str(i["min"])} for i in items]


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else str(value)


def band_ranges(bands: Iterable[Mapping]) -> list[dict]:
    """The bands with their ranges for display: [{"code", "name", "min", "max", "label": "80 – dưới 90%"}, …]."""
    rows = sorted(
        ({"code": str(b["code"]), "name": str(b["name"]), "min": Decimal(str(b["min"]))} for b in bands),
        key=lambda b: b["min"],
        reverse=True,
    )
    upper = None
    for row in rows:
        row["max"] = upper
        if upper is None:
            row["label"] = f"từ {_pct(row['min'])}%" if row["min"] else "mọi mức"
        else:
            row["label"] = f"{_pct(row['min'])} – dưới {_pct(upper)}%"
        upper = row["min"]
    return rows


def _unique_code(base: str) -> str:
    base = (slugify(fold(base)) or "thang")[:56].strip("-") or "thang"
    code, n = base, 1
    while ClassScheme.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


def _check_attachment(*, scheme: ClassScheme | None, framework, group) -> None:
    if framework is not None and group is not None:
        raise ValidationError({"group": ["Gắn thang với một bộ chỉ số hoặc một nhóm đơn vị, không cả hai."]})
    others = ClassScheme.objects.filter(retired_at__isnull=True)
    if scheme is not None:
        others = others.exclude(pk=scheme.pk)
    if group is not None:
        other = others.filter(group=group).first()
        if other is not None:
            raise ValidationError(
                {"group": [f"Nhóm “{group.name}” đang dùng thang “{other.name}”; hãy gỡ hoặc ngừng thang đó trước."]}
            )
    if framework is not None:
        other = others.filter(framework=framework, group__isnull=True).first()
        if other is not None:
            message = f"Bộ chỉ số “{framework.name}” đang dùng thang “{other.name}”; hãy gỡ hoặc ngừng thang đó trước."
            raise ValidationError({"framework": [message]})


def _check_name(name: str) -> str:
    name = _text(name)
    if not name:
        raise ValidationError({"name": ["Cần tên thang xếp loại."]})
    if len(name) > 200:
        raise ValidationError({"name": ["Tên thang xếp loại dài quá 200 ký tự."]})
    return name


def _check_scheme_code(code: str) -> str:
    code = _text(code)
    if not SCHEME_CODE_RE.fullmatch(code):
        raise ValidationError({"code": ["Mã thang chỉ gồm chữ thường không dấu, chữ số và “-” (tối đa 64 ký tự)."]})
    if ClassScheme.objects.filter(code=code).exists():
        raise ValidationError({"code": [f"Mã thang “{code}” đã được dùng."]})
    return code


def _writable(scheme: ClassScheme) -> None:
    if scheme.builtin:
        raise ValidationError(f"Thang “{scheme.name}” có sẵn trong phần mềm nên chỉ đọc; hãy nhân bản để sửa.")
    if scheme.retired_at is not None:
        raise ValidationError(f"Thang “{scheme.name}” đã ngừng dùng; hãy nhân bản để dùng lại.")


def _state(scheme: ClassScheme) -> dict:
    return {
        "name": scheme.name,
        "bands": scheme.bands,
        "framework": scheme.framework_id,
        "group": scheme.group_id,
    }


def scheme_create(
    *, owner, name: str, bands: Iterable[Mapping], actor, code: str = "", framework=None, group=None
) -> ClassScheme:
    """A new scheme of ``owner`` (an assessing body), optionally attached to a framework or a unit group."""
    name = _check_name(name)
    cleaned = bands_clean(bands)
    with transaction.atomic():
        code = _check_scheme_code(code) if _text(code) else _unique_code(name)
        _check_attachment(scheme=None, framework=framework, group=group)
        scheme = ClassScheme.objects.create(
            code=code, name=name, bands=cleaned, owner=owner, framework=framework, group=group
        )
        audit_record(
            actor=actor,
            action="class_scheme.created",
            obj=scheme,
            unit=owner,
            changes={k: [None, v] for k, v in _state(scheme).items()},
        )
    return scheme


_UNSET = object()


def scheme_update(
    *,
    scheme: ClassScheme,
    actor,
    name: str | None = None,
    bands: Iterable[Mapping] | None = None,
    framework=_UNSET,
    group=_UNSET,
    expected_updated_at=None,
    reason: str = "",
) -> ClassScheme:
    """Change the name, the bands or the attachment (``framework``/``group``: None detaches; leave out to keep).
    Result sets already computed keep their own bands; drafts pick the change up when recomputed."""
    values: dict = {}
    if name is not None:
        values["name"] = _check_name(name)
    if bands is not None:
        values["bands"] = bands_clean(bands)
    with transaction.atomic():
        locked = ClassScheme.objects.select_for_update().get(pk=scheme.pk)
        _writable(locked)
        if expected_updated_at is not None and locked.updated_at != expected_updated_at:
            raise ConflictError(
                f"Thang “{locked.name}” vừa được người khác thay đổi; hãy tải lại rồi sửa tiếp.",
                current_version=locked.updated_at.isoformat(),
                current=_state(locked),
            )
        new_framework = locked.framework if framework is _UNSET else framework
        new_group = locked.group if group is _UNSET else group
        if framework is not _UNSET or group is not _UNSET:
            _check_attachment(scheme=locked, framework=new_framework, group=new_group)
            values["framework"], values["group"] = new_framework, new_group
        before = _state(locked)
        for field, value in values.items():
            setattr(locked, field, value)
        after = _state(locked)
        changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if not changes:
            return locked
        locked.save(update_fields=[*values, "updated_at"])
        audit_record(
            actor=actor, action="class_scheme.updated", obj=locked, unit=locked.owner, changes=changes, reason=reason
        )
    return locked


def scheme_clone(*, scheme: ClassScheme, owner, actor, name: str = "") -> ClassScheme:
    """A writable copy of ``scheme`` (shipped, retired or another of the owner's), not attached to anything."""
    name = _check_name(name or f"{scheme.name} (bản sao)"[:200])
    with transaction.atomic():
        clone = ClassScheme.objects.create(
            code=_unique_code(name), name=name, bands=list(scheme.bands), owner=owner, cloned_from=scheme
        )
        audit_record(
            actor=actor,
            action="class_scheme.cloned",
            obj=clone,
            unit=owner,
            changes={"cloned_from": [None, scheme.code], "name": [None, name], "bands": [None, clone.bands]},
        )
    return clone


def scheme_retire(*, scheme: ClassScheme, actor, reason: str = "") -> ClassScheme:
    """Stop using a scheme: it is no longer picked for new computations (results already computed keep their
    classes) and can no longer be changed; it stays on record."""
    with transaction.atomic():
        locked = ClassScheme.objects.select_for_update().get(pk=scheme.pk)
        _writable(locked)
        locked.retired_at = timezone.now()
        locked.save(update_fields=["retired_at", "updated_at"])
        audit_record(
            actor=actor,
            action="class_scheme.retired",
            obj=locked,
            unit=locked.owner,
            changes={"retired_at": [None, locked.retired_at]},
            reason=reason,
        )
    return locked


def scheme_usage(scheme: ClassScheme) -> dict[str, int]:
    """How many result sets were classified with the scheme: published ones and the rest."""
    sets = ResultSet.objects.filter(scheme=scheme).exclude(status=ResultStatus.SUPERSEDED)
    published = sets.filter(status=ResultStatus.PUBLISHED).count()
    return {"published": published, "other": sets.count() - published}
