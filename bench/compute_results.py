#!/usr/bin/env python
"""Full recomputation of a national-scale cycle, and the ranking page for it.

3,321 communes × a 100-criterion framework (10 fields × 10 sub-criteria), every criterion appraised. Times, in the
same process and on the same tables:

* ``resultset_fill`` — read the points, run the pure engine for every unit, rank, classify, store the snapshot;
* one hand-written SQL aggregate computing the same totals (SUM of appraised points per unit), for comparison;
* the ranking page (``/ket-qua/<id>/``) rendered for 3,321 units (server time through Django's test client).

Survey answers (30 respondents × 25 questions per commune) are not part of the computation yet: the survey issue
adds them; the figure will be re-measured then.

    python bench/compute_results.py [--runs 3]     # SQLite (temporary file) and PostgreSQL when reachable
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
UNITS = 3321
FIELDS, LEAVES = 10, 10


def build():
    from parindex.assessments.models import Assessment, Entry
    from parindex.cycles.models import Cycle, CycleFramework, Participant
    from parindex.frameworks.models import Framework, FrameworkStatus, Node
    from parindex.orgs.models import OrgUnit, UnitGroup, UnitKind

    province = OrgUnit.objects.create(code="B00", name="Tỉnh Đo Hiệu Năng", kind=UnitKind.PROVINCE, path="/")
    province.path = f"/{province.pk}/"
    province.save(update_fields=["path"])
    communes = OrgUnit.objects.bulk_create(
        [
            OrgUnit(
                code=f"B{i:05d}", name=f"Xã Số {i}", name_key=f"so {i}", kind=UnitKind.COMMUNE, parent=province, path=""
            )
            for i in range(UNITS)
        ],
        batch_size=2000,
    )
    for unit in communes:
        unit.path = f"{province.path}{unit.pk}/"
    OrgUnit.objects.bulk_update(communes, ["path"], batch_size=2000)
    group = UnitGroup.objects.create(code="xa-bench", name="Xã, phường (đo hiệu năng)")
    framework = Framework.objects.create(
        code="bench-100",
        name="Bộ chỉ số 100 tiêu chí",
        owner=province,
        status=FrameworkStatus.ACTIVE,
        declared_total=Decimal(100),
    )
    leaves = []
    for f in range(1, FIELDS + 1):
        field = Node.objects.create(framework=framework, code=str(f), name=f"Lĩnh vực {f}", max_points=10, order=f)
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
    cycle = Cycle.objects.create(year=2026, name="Đợt đo hiệu năng", assessor=province, status="active")
    CycleFramework.objects.create(cycle=cycle, group=group, framework=framework)
    participants = Participant.objects.bulk_create(
        [Participant(cycle=cycle, unit=u, group=group, framework=framework) for u in communes], batch_size=2000
    )
    assessments = Assessment.objects.bulk_create(
        [
            Assessment(participant=p, cycle=cycle, unit_id=p.unit_id, framework=framework, status="confirmed")
            for p in participants
        ],
        batch_size=2000,
    )
    points = [Decimal("0.25") * (i % 5) for i in range(7)]
    batch = []
    for i, a in enumerate(assessments):
        for j, leaf in enumerate(leaves):
            p = points[(i + j) % 7]
            batch.append(Entry(assessment=a, node=leaf, self_points=Decimal(1), round1_points=p, round2_points=p))
        if len(batch) >= 20000:
            Entry.objects.bulk_create(batch, batch_size=5000)
            batch = []
    Entry.objects.bulk_create(batch, batch_size=5000)
    return cycle, group


SQL_TOTALS = """
SELECT a.unit_id, SUM(COALESCE(e.round2_points, e.round1_points))
FROM assessments_entry e JOIN assessments_assessment a ON a.id = e.assessment_id
JOIN cycles_participant p ON p.id = a.participant_id
WHERE a.cycle_id = %s AND p.group_id = %s AND p.withdrawn_at IS NULL
GROUP BY a.unit_id
"""


def child(runs: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("PARINDEX_TASKS_DB", "0")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from parindex.orgs.models import User
    from parindex.scoring import services
    from parindex.scoring.models import ResultSet

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    cycle, group = build()
    build_s = time.perf_counter() - started
    fill, sql = [], []
    last = None
    for _ in range(runs):
        rs = ResultSet.objects.create(
            year=cycle.year, cycle=cycle, group=group, framework=cycle.plans.get().framework, job_state="queued"
        )
        t = time.perf_counter()
        services.resultset_fill(rs)
        fill.append(time.perf_counter() - t)
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(SQL_TOTALS, [cycle.pk, group.pk])
            totals = {unit: Decimal(str(v)).quantize(Decimal("0.01")) for unit, v in cursor.fetchall()}
        sql.append(time.perf_counter() - t)
        last = rs
    stored = dict(last.units.values_list("unit_id", "points"))
    assert stored == totals, "the engine and the SQL aggregate disagree"
    admin = User.objects.create_superuser("bench-admin", "b@example.vn", "x")
    client = Client()
    client.force_login(admin)
    page = []
    queries = 0
    for _ in range(5):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            response = client.get(f"/ket-qua/{last.pk}/")
            page.append(time.perf_counter() - t)
        assert response.status_code == 200
        queries = len(ctx.captured_queries)
    print(
        json.dumps(
            {
                "build": build_s,
                "fill": fill,
                "sql": sql,
                "page": page,
                "queries": queries,
                "units": len(stored),
                "entries": UNITS * FIELDS * LEAVES,
            }
        )
    )


def run_child(env_overrides: dict[str, str], runs: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env.update(env_overrides)
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--runs", str(runs)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip()[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def report(label: str, r: dict) -> None:
    fill, sql, page = statistics.median(r["fill"]), statistics.median(r["sql"]), statistics.median(r["page"])
    head = f"{label}: {r['units']} đơn vị × {FIELDS * LEAVES} tiêu chí = {r['entries']:,} điểm"
    print(f"{head} (dựng dữ liệu {r['build']:.0f} s)")
    print(f"  tính lại toàn bộ (engine + xếp hạng + lưu): trung vị {fill:.2f} s  {[round(x, 2) for x in r['fill']]}")
    print(f"  cùng tổng điểm bằng một câu SQL:            trung vị {sql:.2f} s  → tỷ lệ {fill / sql:.1f}×")
    print(
        f"  trang xếp hạng {r['units']} đơn vị:               trung vị {page * 1000:.0f} ms ({r['queries']} truy vấn)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.runs)
        return
    with tempfile.TemporaryDirectory(prefix="parindex-bench-") as tmp:
        report("SQLite", run_child({"SQLITE_PATH": str(Path(tmp) / "bench.sqlite3")}, args.runs))
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
        report("PostgreSQL", run_child({"DATABASE_URL": _with_db(base, name)}, args.runs))
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
