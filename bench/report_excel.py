#!/usr/bin/env python
"""Excel export of the full result table of a national-scale cycle.

3,321 communes × a 100-criterion framework (10 fields × 10 criteria, 95 appraised, 5 fed by the survey): the data,
its survey points and its computed result set come from ``bench/compute_results.py`` (``build``, then
``survey_points_compute`` and ``resultset_fill``). Then ``parindex.reports.excel.results_xlsx`` is timed (median of the
runs) in a fresh process, with its queries, the file size and the process's peak resident memory, and once more
under tracemalloc for the peak of Python allocations. The survey export of the same cycle is timed once.

    python bench/report_excel.py [--runs 3]     # SQLite (temporary file) and PostgreSQL when reachable
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import compute_results  # noqa: E402 — the bench next door builds the same national cycle


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("PARINDEX_TASKS_DB", "0")
    import django

    django.setup()


def stage_build() -> dict:
    from django.core.management import call_command

    from parindex.scoring import services
    from parindex.scoring.models import ResultSet

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    made = compute_results.build()  # (cycle, group[, survey, answers])
    cycle, group = made[0], made[1]
    built = time.perf_counter() - started
    survey_s = 0.0
    if len(made) > 2:  # the survey's points feed the survey criteria, as in a real cycle
        from parindex.surveys.points import survey_points_compute

        started = time.perf_counter()
        survey_points_compute(survey=made[2])
        survey_s = time.perf_counter() - started
    rs = ResultSet.objects.create(
        year=cycle.year,
        cycle=cycle,
        group=group,
        framework=cycle.plans.get().framework,
        title=f"{cycle.name} — {group.name}",
        job_state="queued",
    )
    started = time.perf_counter()
    units = services.resultset_fill(rs)
    fill = time.perf_counter() - started
    return {"cycle": cycle.pk, "build": built, "survey": survey_s, "fill": fill, "units": units}


def _request(cycle_id: int, kind: str = "results"):
    from parindex.cycles.models import Cycle
    from parindex.reports.registry import ReportRequest

    return ReportRequest(kind=kind, fmt="xlsx", cycle=Cycle.objects.get(pk=cycle_id))


def stage_export(cycle_id: int, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from parindex.reports.excel import results_xlsx

    req = _request(cycle_id)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, cpu_times, size, queries, calls = [], [], 0, 0, []
    for _ in range(runs):
        calls.clear()
        with CaptureQueriesContext(connection) as ctx:
            started, cpu = time.perf_counter(), time.process_time()
            built = results_xlsx(req, lambda done, total, label="": calls.append(done))
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu)
        size, queries = len(built.content), len(ctx.captured_queries)
        out = Path(tempfile.gettempdir()) / built.filename
        out.write_bytes(built.content)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    survey = None
    if req.cycle.surveys.exists():  # the survey export on the same cycle (progress and points of 3,321 units)
        from parindex.reports.excel import survey_xlsx

        started = time.perf_counter()
        survey_size = len(survey_xlsx(_request(cycle_id, "survey"), lambda *a: None).content)
        survey = [time.perf_counter() - started, survey_size]
    started = time.perf_counter()
    from openpyxl import load_workbook

    wb = load_workbook(out, read_only=True)
    ws = wb["Kết quả"]
    rows = columns = 0
    for values in ws.iter_rows(min_row=4, values_only=True):
        rows, columns = rows + 1, max(columns, len(values))
    wb.close()
    reopen = time.perf_counter() - started
    out.unlink()
    return {
        "times": times,
        "cpu": cpu_times,
        "size": size,
        "queries": queries,
        "progress_calls": len(calls),
        "base_rss_kb": base_rss,
        "peak_rss_kb": peak_rss,
        "rows": rows,
        "columns": columns,
        "reopen": reopen,
        "survey_xlsx": survey,
    }


def stage_trace(cycle_id: int) -> dict:
    import tracemalloc

    from parindex.reports.excel import results_xlsx

    req = _request(cycle_id)
    tracemalloc.start()
    started = time.perf_counter()
    results_xlsx(req, lambda *a: None)
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"traced_peak": peak, "traced_time": elapsed}


def run_stage(env_overrides: dict[str, str], *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env.update(env_overrides)
    out = subprocess.run(
        [sys.executable, __file__, "--stage", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip()[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(label: str, env: dict[str, str], runs: int) -> None:
    b = run_stage(env, "build")
    e = run_stage(env, "export", str(b["cycle"]), str(runs))
    t = run_stage(env, "trace", str(b["cycle"]))
    median = statistics.median(e["times"])
    mb = 1024 * 1024
    head = f"{label}: {b['units']} đơn vị × 100 tiêu chí"
    print(f"{head} (dựng dữ liệu {b['build']:.0f} s, điểm XHH {b['survey']:.0f} s, tính kết quả {b['fill']:.1f} s)")
    print(
        f"  results_xlsx: trung vị {median:.2f} s  {[round(x, 2) for x in e['times']]}  "
        f"(CPU của tiến trình: trung vị {statistics.median(e['cpu']):.2f} s; {e['queries']} truy vấn, "
        f"{e['progress_calls']} lần báo tiến độ)"
    )
    print(f"  tệp: {e['size'] / mb:.1f} MB, trang “Kết quả” {e['rows']} dòng × {e['columns']} cột")
    print(
        f"  bộ nhớ: RSS đỉnh của tiến trình {e['peak_rss_kb'] / 1024:.0f} MB "
        f"(trước khi xuất {e['base_rss_kb'] / 1024:.0f} MB); tracemalloc đỉnh {t['traced_peak'] / mb:.1f} MB "
        f"(lần chạy có tracemalloc: {t['traced_time']:.1f} s)"
    )
    print(f"  mở lại bằng openpyxl (read-only, đọc mọi dòng): {e['reopen']:.1f} s")
    if e["survey_xlsx"]:
        seconds, size = e["survey_xlsx"]
        print(f"  survey_xlsx (tiến độ và điểm XHH của {b['units']} đơn vị): {seconds:.2f} s, {size / mb:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stage", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    if args.stage:
        _setup()
        name, *rest = args.stage
        if name == "build":
            result = stage_build()
        elif name == "export":
            result = stage_export(int(rest[0]), int(rest[1]))
        else:
            result = stage_trace(int(rest[0]))
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="parindex-bench-") as tmp:
        measure("SQLite", {"SQLITE_PATH": str(Path(tmp) / "bench.sqlite3")}, args.runs)
    if args.no_postgres:
        return
    base = os.environ.get("DATABASE_URL") or compute_results.DEFAULT_PG
    try:
        import psycopg

        admin = psycopg.connect(compute_results._with_db(base, "postgres"), autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        print(f"PostgreSQL bỏ qua: {exc}")
        return
    name = f"parindex_bench_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        measure("PostgreSQL", {"DATABASE_URL": compute_results._with_db(base, name)}, args.runs)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
