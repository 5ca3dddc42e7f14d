#!/usr/bin/env python
"""How long importing a 100,000-row respondent list takes, validation and de-duplication included: SQLite, and
PostgreSQL when one is reachable. Goal: under 20 seconds.

The file is made once (from the app's own template header): officials of 60 departments (unit names resolved once
each) and citizens over six procedure fields, with 5% of the people written twice under another spelling (same
phone, "+84" and spaces), 2% also listed in a second group, and citizens to exclude (no result date, address
elsewhere, served outside the year). Each run starts from a freshly migrated database (a temporary SQLite file; a
temporary PostgreSQL database, dropped afterwards) and times ``services.respondent_list_import`` alone — reading the
XLSX, validating every row, applying the rules and writing — in a separate process. The median of the runs is
printed, with the time spent reading the file.

    python bench/survey_list_import.py [--rows 100000] [--runs 3]

PostgreSQL: DATABASE_URL if set (its server is used, not its database), else postgresql://postgres@127.0.0.1:5432/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/"
DEPARTMENTS = 60
FIELDS = ["Hộ tịch", "Chứng thực", "Đất đai", "Tư pháp", "Xây dựng", "Lao động"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Thanh", "Quốc", "Ngọc", "Đức"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Long", "Mai", "Nam", "Phương"]


def make_file(path: Path, rows: int) -> dict:
    """Write the list file; return what it holds."""
    sys.path.insert(0, str(ROOT))
    from openpyxl import Workbook

    header = [
        "STT",
        "Họ và tên",
        "Thư điện tử",
        "Điện thoại",
        "Số định danh cá nhân",
        "Chức vụ",
        "Đơn vị công tác",
        "Tổ chức",
        "Nhóm đối tượng",
        "Thủ tục hành chính",
        "Lĩnh vực",
        "Ngày được phục vụ",
        "Ngày nhận kết quả",
        "Địa chỉ",
    ]
    rng = random.Random(2026)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Danh sách")
    ws.append(header)
    written = dupes = excluded = 0
    person = 0
    while written < rows:
        person += 1
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)} {person}"
        phone = f"09{person:08d}"
        if person % 2:  # an official
            dept = f"Sở Thử Nghiệm {person % DEPARTMENTS + 1}"
            row = [
                written + 1,
                name,
                f"nguoi{person}@thunghiem.gov.vn",
                phone,
                None,
                "Trưởng phòng",
                dept,
                None,
                "can-bo",
                None,
                None,
                None,
                None,
                None,
            ]
        else:
            served, received, address = "15/03/2026", "25/03/2026", f"Số {person} đường Trần Phú, tỉnh Thử Nghiệm"
            roll = person % 50
            if roll == 0:
                received = None
                excluded += 1
            elif roll == 2:
                address = f"Số {person} phố Huế, Hà Nội"
                excluded += 1
            elif roll == 4:
                served = "15/03/2024"
                excluded += 1
            row = [
                written + 1,
                name,
                None,
                phone,
                None,
                None,
                None,
                None,
                "nguoi-dan",
                "Đăng ký khai sinh",
                FIELDS[person % len(FIELDS)],
                served,
                received,
                address,
            ]
        ws.append(row)
        written += 1
        if written < rows and person % 20 == 0:  # the same person again, spelled otherwise
            again = list(row)
            again[0] = written + 1
            again[1] = name.upper()
            again[3] = f"+84 {phone[1:4]} {phone[4:7]} {phone[7:]}"
            ws.append(again)
            written += 1
            dupes += 1
        if written < rows and person % 50 == 1:  # an official also listed as a citizen (the other group)
            ws.append(
                [
                    written + 1,
                    name,
                    None,
                    phone,
                    None,
                    None,
                    None,
                    None,
                    "nguoi-dan",
                    "Chứng thực bản sao",
                    "Chứng thực",
                    "01/04/2026",
                    "02/04/2026",
                    "Tỉnh Thử Nghiệm",
                ]
            )
            written += 1
            dupes += 1
    wb.save(path)
    return {"rows": written, "duplicates": dupes, "excluded": excluded}


def child(path: str) -> None:
    """Inside a fresh process whose environment points at an empty database: migrate, set up, time the import."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import datetime as dt
    from types import SimpleNamespace

    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)

    from parindex.cycles import services as cycle_services
    from parindex.cycles.factories import make_cycle
    from parindex.orgs.factories import UserFactory, grant, make_unit
    from parindex.orgs.models import Role, UnitKind
    from parindex.surveys import lists, services
    from parindex.surveys.factories import make_survey

    province = make_unit("Tỉnh Thử Nghiệm", UnitKind.PROVINCE, code="P99")
    home_affairs = make_unit("Sở Nội vụ", UnitKind.DEPARTMENT, parent=province, code="P99-SNV")
    dept_a = make_unit("Sở Tư pháp", UnitKind.DEPARTMENT, parent=province, code="P99-STP")
    dept_b = make_unit("Sở Tài chính", UnitKind.DEPARTMENT, parent=province, code="P99-STC")
    for i in range(1, DEPARTMENTS + 1):
        make_unit(f"Sở Thử Nghiệm {i}", UnitKind.DEPARTMENT, parent=province, code=f"P99-S{i:02d}")
    manager = UserFactory(username="manager")
    grant(manager, province, Role.INDEX_MANAGER, includes_subunits=True)
    cast = SimpleNamespace(province=province, home_affairs=home_affairs, dept_a=dept_a, dept_b=dept_b, manager=manager)
    cyc = make_cycle(cast, with_council=False)
    now = timezone.now()
    cycle_services.window_set(
        cycle=cyc.cycle,
        kind="survey",
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=30),
        actor=manager,
        reason="Đo hiệu năng",
    )
    srv = make_survey(cyc, cast)
    content = Path(path).read_bytes()

    started = time.perf_counter()
    sheet = lists.read_file(content)
    read_seconds = time.perf_counter() - started

    started = time.perf_counter()
    result = services.respondent_list_import(
        survey=srv.survey, unit=province, content=content, actor=srv.coordinator, filename="bench.xlsx"
    )
    elapsed = time.perf_counter() - started
    if result.errors:
        raise SystemExit("\n".join(result.errors[:10]))
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "read_seconds": read_seconds,
                "rows": len(sheet.rows),
                "by_status": {str(k): v for k, v in result.by_status.items()},
            }
        )
    )


def run_child(env_overrides: dict[str, str], path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env.update(env_overrides)
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip()[-3000:] or out.stdout.strip()[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _show(label: str, result: dict) -> None:
    print(
        f"  {label:<10} run: {result['seconds']:.2f} s for {result['rows']:,} rows "
        f"(reading the file alone {result['read_seconds']:.2f} s) → {result['by_status']}"
    )


def bench_sqlite(runs: int, path: Path) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="parindex-bench-") as tmp:
            result = run_child({"SQLITE_PATH": str(Path(tmp) / "bench.sqlite3")}, path)
        times.append(result["seconds"])
        _show("sqlite", result)
    return times


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def bench_postgres(runs: int, path: Path) -> list[float] | None:
    base = os.environ.get("DATABASE_URL") or DEFAULT_PG
    try:
        import psycopg

        admin = psycopg.connect(_with_db(base, "postgres"), autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        print(f"  postgresql skipped: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}")
        return None
    times = []
    try:
        for _ in range(runs):
            name = f"parindex_bench_{uuid.uuid4().hex[:10]}"
            admin.execute(f'CREATE DATABASE "{name}"')
            try:
                result = run_child({"DATABASE_URL": _with_db(base, name)}, path)
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            times.append(result["seconds"])
            _show("postgresql", result)
    finally:
        admin.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory(prefix="parindex-bench-") as tmp:
        path = Path(tmp) / "danh-sach.xlsx"
        started = time.perf_counter()
        info = make_file(path, args.rows)
        print(
            f"list file: {info['rows']:,} rows, {info['duplicates']:,} repeated people, {info['excluded']:,} citizens "
            f"to exclude, {path.stat().st_size / 1e6:.1f} MB (made in {time.perf_counter() - started:.1f} s)"
        )
        print(f"respondent_list_import on a migrated database, {args.runs} runs each (goal: under 20 s)")
        sqlite = bench_sqlite(args.runs, path)
        postgres = bench_postgres(args.runs, path)
    print(f"SQLite     median: {statistics.median(sqlite):.2f} s")
    if postgres:
        print(f"PostgreSQL median: {statistics.median(postgres):.2f} s")


if __name__ == "__main__":
    main()
