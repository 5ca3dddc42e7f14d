#!/usr/bin/env python
"""The publication decision with its annex for 63 provinces, as .docx and as .pdf (goal: under 5 s each).

Builds a published result set for the 63 provinces (before the 2025 reorganisation) assessed by the Ministry of
Home Affairs against an 8-field, 80-criterion framework, then times ``documents.document_docx`` and
``documents.document_pdf`` for the decision (context from the database, template rendering, file in memory).
Median of ``--runs`` (3) after one warm-up run that pays the imports (docxtpl, WeasyPrint, fonts).

    python bench/report_documents.py [--runs 3]     # SQLite (temporary file) and PostgreSQL when reachable
    python bench/report_documents.py --units 3321 --runs 1 --sqlite-only    # a national commune cycle
    BENCH_SAVE_DIR=/tmp/out python bench/report_documents.py --sqlite-only   # also keep the documents
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/"
FIELDS, LEAVES = 8, 10
PROVINCES = [
    "Thành phố Hà Nội", "Thành phố Hồ Chí Minh", "Thành phố Hải Phòng", "Thành phố Đà Nẵng", "Thành phố Cần Thơ",
    "Tỉnh An Giang", "Tỉnh Bà Rịa - Vũng Tàu", "Tỉnh Bắc Giang", "Tỉnh Bắc Kạn", "Tỉnh Bạc Liêu", "Tỉnh Bắc Ninh",
    "Tỉnh Bến Tre", "Tỉnh Bình Định", "Tỉnh Bình Dương", "Tỉnh Bình Phước", "Tỉnh Bình Thuận", "Tỉnh Cà Mau",
    "Tỉnh Cao Bằng", "Tỉnh Đắk Lắk", "Tỉnh Đắk Nông", "Tỉnh Điện Biên", "Tỉnh Đồng Nai", "Tỉnh Đồng Tháp",
    "Tỉnh Gia Lai", "Tỉnh Hà Giang", "Tỉnh Hà Nam", "Tỉnh Hà Tĩnh", "Tỉnh Hải Dương", "Tỉnh Hậu Giang",
    "Tỉnh Hòa Bình", "Tỉnh Hưng Yên", "Tỉnh Khánh Hòa", "Tỉnh Kiên Giang", "Tỉnh Kon Tum", "Tỉnh Lai Châu",
    "Tỉnh Lâm Đồng", "Tỉnh Lạng Sơn", "Tỉnh Lào Cai", "Tỉnh Long An", "Tỉnh Nam Định", "Tỉnh Nghệ An",
    "Tỉnh Ninh Bình", "Tỉnh Ninh Thuận", "Tỉnh Phú Thọ", "Tỉnh Phú Yên", "Tỉnh Quảng Bình", "Tỉnh Quảng Nam",
    "Tỉnh Quảng Ngãi", "Tỉnh Quảng Ninh", "Tỉnh Quảng Trị", "Tỉnh Sóc Trăng", "Tỉnh Sơn La", "Tỉnh Tây Ninh",
    "Tỉnh Thái Bình", "Tỉnh Thái Nguyên", "Tỉnh Thanh Hóa", "Thành phố Huế", "Tỉnh Tiền Giang", "Tỉnh Trà Vinh",
    "Tỉnh Tuyên Quang", "Tỉnh Vĩnh Long", "Tỉnh Vĩnh Phúc", "Tỉnh Yên Bái",
]  # fmt: skip


def unit_names(count: int) -> list[str]:
    """The 63 provinces, then communes when more units are asked for (``--units 3321``)."""
    return PROVINCES[:count] + [f"Xã Đo Hiệu Năng {i}" for i in range(1, count - len(PROVINCES) + 1)]


def build(count: int):
    """``count`` units (the 63 provinces first), a framework of 8 fields × 10 criteria, entries appraised, a
    published result set."""
    from parindex.assessments.models import Assessment, Entry
    from parindex.cycles.models import Cycle, CycleFramework, Participant
    from parindex.frameworks.models import Framework, FrameworkStatus, Node
    from parindex.orgs.models import OrgUnit, UnitGroup, UnitKind, User
    from parindex.scoring import services

    moha = OrgUnit.objects.create(code="BNV", name="Bộ Nội vụ", kind=UnitKind.MOHA, path="/")
    moha.path = f"/{moha.pk}/"
    moha.save(update_fields=["path"])
    provinces = OrgUnit.objects.bulk_create(
        [
            OrgUnit(code=f"T{i:04d}", name=name, name_key=name.lower(), kind=UnitKind.PROVINCE, path="")
            for i, name in enumerate(unit_names(count), start=1)
        ]
    )
    for unit in provinces:
        unit.path = f"/{unit.pk}/"
    OrgUnit.objects.bulk_update(provinces, ["path"])
    group = UnitGroup.objects.create(code="tinh-bench", name="Tỉnh, thành phố trực thuộc Trung ương", owner=moha)
    framework = Framework.objects.create(
        code="bench-tinh",
        name="Bộ chỉ số cấp tỉnh (đo hiệu năng)",
        owner=moha,
        status=FrameworkStatus.ACTIVE,
        declared_total=Decimal(FIELDS * LEAVES),
    )
    leaves = []
    for f in range(1, FIELDS + 1):
        field = Node.objects.create(
            framework=framework, code=str(f), name=f"Lĩnh vực cải cách số {f}", max_points=LEAVES, order=f
        )
        leaves += Node.objects.bulk_create(
            [
                Node(
                    framework=framework,
                    parent=field,
                    code=f"{f}.{k}",
                    name=f"Tiêu chí {f}.{k}",
                    max_points=1,
                    method="appraised",
                    order=f * 100 + k,
                )
                for k in range(1, LEAVES + 1)
            ]
        )
    cycle = Cycle.objects.create(year=2024, name="Chỉ số CCHC năm 2024", assessor=moha, status="active")
    CycleFramework.objects.create(cycle=cycle, group=group, framework=framework)
    participants = Participant.objects.bulk_create(
        [Participant(cycle=cycle, unit=u, group=group, framework=framework) for u in provinces]
    )
    assessments = Assessment.objects.bulk_create(
        [
            Assessment(participant=p, cycle=cycle, unit_id=p.unit_id, framework=framework, status="confirmed")
            for p in participants
        ]
    )
    points = [Decimal("1"), Decimal("0.75"), Decimal("1"), Decimal("0.5"), Decimal("1"), Decimal("0.25"), Decimal(1)]
    entries = [
        Entry(assessment=a, node=leaf, self_points=Decimal(1), round1_points=points[(i * 3 + j) % 7])
        for i, a in enumerate(assessments)
        for j, leaf in enumerate(leaves)
    ]
    Entry.objects.bulk_create(entries, batch_size=2000)
    admin = User.objects.create_superuser("bench-admin", "b@example.vn", "x")
    result_set = services.resultset_compute(cycle=cycle, group=group, actor=admin, run_now=True)
    services.resultset_approve(result_set=result_set, actor=admin)
    services.resultset_publish(result_set=result_set, actor=admin)
    return cycle


def child(runs: int, units: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("PARINDEX_TASKS_DB", "0")
    import django

    django.setup()
    from django.core.management import call_command

    from parindex.reports import documents
    from parindex.reports.registry import ReportRequest

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    cycle = build(units)
    build_s = time.perf_counter() - started
    req = ReportRequest(kind="decision", fmt="docx", cycle=cycle)
    out = {"build": build_s, "units": cycle.participants.count()}

    def quiet(done, total, label):
        return None

    for fmt, builder in (("docx", documents.document_docx), ("pdf", documents.document_pdf)):
        req.fmt = fmt
        t = time.perf_counter()
        built = builder(req, quiet)  # warm-up: imports, fonts
        out[f"{fmt}_first"] = time.perf_counter() - t
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            built = builder(req, quiet)
            times.append(time.perf_counter() - t)
        out[fmt] = times
        out[f"{fmt}_bytes"] = len(built.content)
        if os.environ.get("BENCH_SAVE_DIR"):  # keep the files to look at
            Path(os.environ["BENCH_SAVE_DIR"], built.filename).write_bytes(built.content)
        if fmt == "pdf":
            import pypdfium2

            out["pdf_pages"] = len(pypdfium2.PdfDocument(built.content))
    print(json.dumps(out))


def run_child(env_overrides: dict[str, str], runs: int, units: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env.update(env_overrides)
    result = subprocess.run(
        [sys.executable, __file__, "--child", "--runs", str(runs), "--units", str(units)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip()[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def report(label: str, r: dict) -> None:
    print(f"{label}: Quyết định công bố kèm phụ lục xếp hạng {r['units']} đơn vị (dựng dữ liệu {r['build']:.1f} s)")
    for fmt in ("docx", "pdf"):
        median = statistics.median(r[fmt])
        extra = f", {r['pdf_pages']} trang" if fmt == "pdf" else ""
        goal = f"; mục tiêu < 5 s: {'đạt' if median < 5 else 'KHÔNG đạt'}" if r["units"] <= len(PROVINCES) else ""
        print(
            f"  .{fmt}: trung vị {median:.2f} s  {[round(x, 2) for x in r[fmt]]}  (lần đầu {r[fmt + '_first']:.2f} s; "
            f"{r[fmt + '_bytes'] / 1024:.0f} KB{extra}{goal})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--units", type=int, default=len(PROVINCES), help="số đơn vị (mặc định 63 tỉnh)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sqlite-only", action="store_true", help="bỏ qua PostgreSQL")
    args = parser.parse_args()
    if args.child:
        child(args.runs, args.units)
        return
    with tempfile.TemporaryDirectory(prefix="parindex-bench-") as tmp:
        report("SQLite", run_child({"SQLITE_PATH": str(Path(tmp) / "bench.sqlite3")}, args.runs, args.units))
    if args.sqlite_only:
        return
    base = os.environ.get("DATABASE_URL") or DEFAULT_PG
    try:
        import psycopg

        admin = psycopg.connect(_with_db(base, "postgres"), autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        print(f"PostgreSQL bỏ qua: {exc}")
        return
    name = f"parindex_bench_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        report("PostgreSQL", run_child({"DATABASE_URL": _with_db(base, name)}, args.runs, args.units))
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
