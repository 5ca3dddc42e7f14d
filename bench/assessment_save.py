#!/usr/bin/env python
"""Saving one criterion row through the API under gunicorn, with 50 concurrent clients on PostgreSQL, beside a
minimal Django view in the same run.

    python bench/assessment_save.py [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--seconds 15]
                                    [--clients 50] [--workers 2] [--threads 4] [--client-processes 2]

What it does: creates a throwaway PostgreSQL database on the server given (dropped at the end), migrates, builds a
cycle with the 100-criterion framework of ``bench/assessment_data.py`` and 50 departments, each with its report and an
officer holding a personal API token; starts gunicorn (config.wsgi, gthread workers) with PARINDEX_BENCH=1 (which
adds ``/bench/minimal/``); then

1. drives the minimal view with ``--clients`` keep-alive connections for ``--seconds``;
2. drives ``PATCH /api/v1/assessments/{id}/entries/{entry_id}`` with ``--clients`` clients, each the officer of its
   own unit, saving its own unit's criteria one after another — points entered directly (manual rules) and declared
   ratios (a percent rule) in turn — and sending back the version the previous answer gave (a 409 would be a
   conflict; none is expected since no two clients share a unit).

For each it prints requests per second and the p50/p95 latency seen by the clients, then checks the database: one
ScoreChange per successful save. It also prints how many queries one save makes (measured once, in-process, before
the load). Server and load generator share the machine (2 cores here): read the ratio more than the absolute
numbers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from home_rps import HOST, free_port, request, stop  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

SETUP_SCRIPT = """
import json, sys
sys.path.insert(0, "bench")
import assessment_data
data = assessment_data.build(units={units}, tokens=True, prefix="BS")

# One save measured in-process: the number of queries of the hot path (token auth, access, lock, rule, write, audit).
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
unit = data["units"][0]
entry_id = unit["entries"]["manual"][0]
client = Client()
with CaptureQueriesContext(connection) as queries:
    response = client.patch(
        f"/api/v1/assessments/{{unit['assessment']}}/entries/{{entry_id}}",
        {{"declared": 0.5, "version": 1}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {{unit['token']}}",
    )
assert response.status_code == 200, response.content
data["queries_per_save"] = len(queries.captured_queries)
data["first_versions"] = {{entry_id: response.json()["version"]}}
print("BENCH_JSON=" + json.dumps(data))
"""


def admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def db_url(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def server_env(database_url: str, media: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "PARINDEX_PRODUCTION"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(media),
        PARINDEX_BENCH="1",
        ALLOWED_HOSTS=f"{HOST},testserver",
        LOG_LEVEL="ERROR",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONWARNINGS="ignore::UserWarning",
    )
    return env


def prepare(env: dict[str, str], units: int) -> dict:
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [*manage, "shell", "--verbosity", "0", "--command", SETUP_SCRIPT.format(units=units)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON="))
    return json.loads(line.removeprefix("BENCH_JSON="))


def start_gunicorn(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {server.returncode}")
        try:
            if request(port, "GET", "/bench/minimal/")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop(server)
    raise RuntimeError("gunicorn did not answer within 30 s")


# --- load ---------------------------------------------------------------------------------------------------------


class Job:
    """What one client does: ``next()`` → (method, path, body, headers); ``seen(status, body)`` after each answer."""

    def next(self):
        raise NotImplementedError

    def seen(self, status: int, body: bytes) -> None:
        pass


class MinimalJob(Job):
    def next(self):
        return "GET", "/bench/minimal/", None, {}


class SaveJob(Job):
    """Save the unit's criteria in turn: points (manual rules) and declared ratios (percent rule), with versions."""

    POINTS = [0, 0.25, 0.5, 0.75, 1]

    def __init__(self, unit: dict, versions: dict):
        self.assessment = unit["assessment"]
        self.headers = {"Authorization": f"Bearer {unit['token']}", "Content-Type": "application/json"}
        manual = [(e, "points") for e in unit["entries"]["manual"]]
        ratios = [(e, "percent") for e in unit["entries"]["bands"]]
        self.queue = [x for pair in zip(manual, ratios, strict=False) for x in pair]
        self.versions = {e: int(versions.get(str(e), 1)) for e, _kind in self.queue}
        self.last = {}
        self.i = 0
        self.current = None
        self.rng = random.Random(self.assessment)
        self.conflicts = 0

    def next(self):
        entry, kind = self.queue[self.i % len(self.queue)]
        self.i += 1
        # Always a new value, so that every save is a change of points or data (and writes its ScoreChange).
        if kind == "points":
            value = self.rng.choice([p for p in self.POINTS if p != self.last.get(entry)])
        else:
            value = round(self.rng.uniform(90, 100), 1)
            value = value if value != self.last.get(entry) else round(value - 0.1, 1)
        self.current, self.pending = entry, value
        body = json.dumps({"declared": value, "version": self.versions[entry]})
        return "PATCH", f"/api/v1/assessments/{self.assessment}/entries/{entry}", body, self.headers

    def seen(self, status, body):
        if status == 200:
            self.versions[self.current] = json.loads(body)["version"]
            self.last[self.current] = self.pending
        elif status == 409:
            self.conflicts += 1
            self.versions[self.current] = json.loads(body)["current"]["version"]


def _client_thread(port, job: Job, start_at, stop_at, out, index):
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    latencies, failed, statuses = [], 0, {}
    while True:
        begin = time.monotonic()
        if begin >= stop_at:
            break
        method, path, body, headers = job.next()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if response.will_close:
                conn.close()
            job.seen(response.status, data)
            end = time.monotonic()
            if begin >= start_at:
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status == 200:
                    latencies.append(end - begin)
                else:
                    failed += 1
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            if begin >= start_at:
                failed += 1
    conn.close()
    out[index] = (latencies, failed, statuses, getattr(job, "conflicts", 0))


def _client_process(port, jobs, start_at, stop_at, queue):
    out = [None] * len(jobs)
    pool = [
        threading.Thread(target=_client_thread, args=(port, job, start_at, stop_at, out, i))
        for i, job in enumerate(jobs)
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put(out)


def drive(port: int, jobs: list[Job], *, seconds: float, processes: int) -> dict:
    warmup = 2.0
    start_at = time.monotonic() + 1.0 + warmup
    stop_at = start_at + seconds
    queue: mp.Queue = mp.Queue()
    groups = [jobs[i::processes] for i in range(processes)]
    clients = [mp.Process(target=_client_process, args=(port, g, start_at, stop_at, queue)) for g in groups if g]
    for client in clients:
        client.start()
    results = [r for _ in clients for r in queue.get(timeout=seconds + 120)]
    for client in clients:
        client.join()
    latencies = sorted(x for r in results for x in r[0])
    statuses: dict[int, int] = {}
    for r in results:
        for status, n in r[2].items():
            statuses[status] = statuses.get(status, 0) + n

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {
        "rps": len(latencies) / seconds,
        "ok": len(latencies),
        "failed": sum(r[1] for r in results),
        "statuses": statuses,
        "conflicts": sum(r[3] for r in results),
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
    }


def count_changes(env: dict[str, str]) -> int:
    script = (
        "from parindex.assessments.models import ScoreChange; "
        "print('N=' + str(ScoreChange.objects.filter(stage='self').count()))"
    )
    out = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "--verbosity", "0", "--command", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(next(x for x in out.splitlines() if x.startswith("N="))[2:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--client-processes", type=int, default=2)
    args = parser.parse_args()

    import psycopg

    name = f"parindex_bench_save_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url(args.postgres), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="parindex-bench-media-") as media:
            env = server_env(db_url(args.postgres, name), Path(media))
            started = time.perf_counter()
            data = prepare(env, args.clients)
            print(
                f"PostgreSQL {name}: {args.clients} đơn vị × 100 tiêu chí, "
                f"dựng trong {time.perf_counter() - started:.0f} s;"
                f" một lần lưu = {data['queries_per_save']} truy vấn"
            )
            port = free_port()
            server = start_gunicorn(env, port, args.workers, args.threads)
            try:
                print(
                    f"gunicorn: {args.workers} workers × {args.threads} threads (gthread), {os.cpu_count()} cores; "
                    f"{args.clients} clients (keep-alive) in {args.client_processes} processes, {args.seconds:g} s each"
                )
                minimal = drive(
                    port,
                    [MinimalJob() for _ in range(args.clients)],
                    seconds=args.seconds,
                    processes=args.client_processes,
                )
                saves = drive(
                    port,
                    [SaveJob(u, data["first_versions"]) for u in data["units"][: args.clients]],
                    seconds=args.seconds,
                    processes=args.client_processes,
                )
            finally:
                stop(server)
            changes = count_changes(env)
    finally:
        with psycopg.connect(admin_url(args.postgres), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def line(label, r):
        extra = "" if not r["failed"] else f"  ({r['failed']} not 200: {r['statuses']})"
        return (
            f"{label:44} {r['rps']:7.0f} req/s   p50 {r['p50']:6.1f} ms   p95 {r['p95']:6.1f} ms   "
            f"p99 {r['p99']:6.1f} ms{extra}"
        )

    print(line("minimal view (GET /bench/minimal/)", minimal))
    print(line("save one criterion (PATCH …/entries/{id})", saves))
    print(f"ratio saves / minimal: {saves['rps'] / minimal['rps']:.3f}" if minimal["rps"] else "ratio: n/a")
    print(
        f"conflicts: {saves['conflicts']}; ScoreChange rows written: {changes} "
        f"(successful saves incl. warm-up and the measured one: ≥ {saves['ok']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
