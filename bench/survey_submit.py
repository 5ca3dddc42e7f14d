#!/usr/bin/env python
"""Questionnaire submissions per second under gunicorn with 100 concurrent clients on PostgreSQL, beside a minimal
Django view in the same run (goal: at least half its rate).

    python bench/survey_submit.py [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--seconds 10]
                                  [--clients 100] [--questions 25] [--tokens 60000] [--workers N] [--threads 4]
                                  [--client-processes 2] [--runs 3] [--baseline /path/to/older/checkout]

What it does: creates a throwaway PostgreSQL database on the server given (dropped at the end), migrates, builds the
test province and cycle (``parindex.cycles.factories.make_cycle``) with the survey window open now, a survey whose
citizens' questionnaire has ``--questions`` questions (options A/B/C/D/X), a sent list of ``--tokens`` citizens
and one invitation each — the raw tokens go to a file of the run, only their SHA-256 to the database. It measures in
process how many queries one submission makes, starts gunicorn (config.wsgi, gthread workers) with PARINDEX_BENCH=1
(which adds ``/bench/minimal/``), then

1. drives the minimal view with ``--clients`` keep-alive connections for ``--seconds``;
2. drives ``POST /api/v1/surveys/answer/{token}/submit`` (the public endpoint, no account) with ``--clients``
   clients, each submitting a complete questionnaire with varied answers, each time with a new token of its own.

Both are driven ``--runs`` times (default 3) and the medians reported. With ``--baseline DIR`` (a copy of the
repository from before a change, same models), a second gunicorn serves DIR's code on the same database, and each run
also drives its submissions (the order of the two alternates between runs): before and after in the same run, on the
same data and the same machine load.

It prints requests per second and p50/p95/p99 latency of each, the ratios, and checks the database afterwards: one
submitted response per successful submission, ``--questions`` answers each, no invitation used twice. Server and load
generator share the machine: read the ratio more than the absolute numbers.
"""

from __future__ import annotations

import argparse
import itertools
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assessment_save import Job, MinimalJob, admin_url, db_url, drive, server_env  # noqa: E402
from home_rps import free_port, request, stop  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

SETUP_SCRIPT = """
import datetime as dt, hashlib, json, secrets
from types import SimpleNamespace
from django.utils import timezone
from parindex.cycles import services as cycle_services
from parindex.cycles.factories import make_cycle
from parindex.orgs.factories import UserFactory, grant, make_unit
from parindex.orgs.models import Role, UnitKind
from parindex.surveys.factories import make_questionnaire, make_survey
from parindex.surveys.models import Invitation, Respondent, RespondentList

province = make_unit("Tỉnh Thử Tải", UnitKind.PROVINCE, code="B77")
cast = SimpleNamespace(
    province=province,
    home_affairs=make_unit("Sở Nội vụ", UnitKind.DEPARTMENT, parent=province, code="B77-SNV"),
    dept_a=make_unit("Sở Tư pháp", UnitKind.DEPARTMENT, parent=province, code="B77-STP"),
    dept_b=make_unit("Sở Tài chính", UnitKind.DEPARTMENT, parent=province, code="B77-STC"),
)
cast.manager = UserFactory(username="bench.manager", full_name="Trần Thị Quản Lý")
grant(cast.manager, province, Role.INDEX_MANAGER, includes_subunits=True)
cyc = make_cycle(cast, with_council=False)
now = timezone.now()
cycle_services.window_set(
    cycle=cyc.cycle, kind="survey", opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=30),
    actor=cast.manager, reason="Đo tải: mở thời hạn khảo sát",
)
srv = make_survey(cyc, cast)
questionnaire = make_questionnaire("phieu-do-tai", "Phiếu đo tải", cast.home_affairs, questions={questions})
srv.citizens.questionnaire = questionnaire
srv.citizens.save(update_fields=["questionnaire"])
expires = now + dt.timedelta(days=30)
raw_tokens = []
for unit in (cast.dept_a, cast.dept_b):
    rl = RespondentList.objects.create(survey=srv.survey, unit=unit, status="sent", sent_at=now)
    people = Respondent.objects.bulk_create([
        Respondent(respondent_list=rl, survey=srv.survey, group=srv.citizens, row=i, full_name=f"Người dân {{i}}",
                   name_key=f"nguoi dan {{i}}", phone=f"09{{i:08d}}", unit=unit, rated_unit=unit)
        for i in range({tokens} // 2)
    ], batch_size=2000)
    invitations = []
    for person in people:
        raw = secrets.token_urlsafe(32)
        raw_tokens.append(raw)
        invitations.append(Invitation(respondent=person, token_hash=hashlib.sha256(raw.encode()).hexdigest(),
                                      expires_at=expires, sent_at=now))
    Invitation.objects.bulk_create(invitations, batch_size=2000)

options = {{}}
for q in questionnaire.questions.order_by("order").prefetch_related("options"):
    options[str(q.pk)] = {{o.code: o.pk for o in q.options.all()}}

# One submission measured in process: the queries of the hot path.
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
probe = raw_tokens.pop()
body = json.dumps({{"answers": {{qid: codes["A"] for qid, codes in options.items()}}}})
with CaptureQueriesContext(connection) as queries:
    response = Client().post(f"/api/v1/surveys/answer/{{probe}}/submit", body, content_type="application/json")
assert response.status_code == 200, response.content
with open({tokens_file!r}, "w") as out:
    json.dump({{"tokens": raw_tokens, "options": options}}, out)
print("BENCH_JSON=" + json.dumps({{"queries_per_submit": len(queries.captured_queries)}}))
"""

CHECK_SCRIPT = """
from django.db.models import Count
from parindex.surveys.models import Answer, Invitation, Response
submitted = Response.objects.filter(status="submitted").count()
answers = Answer.objects.count()
per_response = set(Answer.objects.values("response").annotate(n=Count("id")).values_list("n", flat=True))
used = Invitation.objects.filter(used_at__isnull=False).count()
print(f"CHECK submitted={submitted} answers={answers} per_response={sorted(per_response)} used={used}")
"""


def manage(env: dict[str, str], script: str) -> str:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "--verbosity", "0", "--command", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def prepare(env: dict[str, str], *, questions: int, tokens: int, tokens_file: Path) -> dict:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    out = manage(env, SETUP_SCRIPT.format(questions=questions, tokens=tokens, tokens_file=str(tokens_file)))
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON="))
    return json.loads(line.removeprefix("BENCH_JSON="))


class TokenPool:
    """Tokens shared by the clients (threads) of one load-generating process: a fast client simply draws more, so
    no client runs out while others still hold unused tokens. ``next(itertools.count())`` is atomic under the GIL."""

    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self.counter = itertools.count()

    def draw(self) -> str | None:
        i = next(self.counter)
        return self.tokens[i] if i < len(self.tokens) else None


class SubmitJob(Job):
    """Submit complete questionnaires, each with the next token of the pool of this client's process."""

    CODES = "ABCDX"

    def __init__(self, pool: TokenPool, options: dict[str, dict[str, int]], seed: int):
        self.pool = pool
        self.options = options
        self.rng = random.Random(seed)
        self.last = ""
        self.headers = {"Content-Type": "application/json", "User-Agent": f"bench-client-{seed}"}

    def next(self):
        token = self.pool.draw()
        if token is None:  # the pool is empty: the last token again answers 409, counted as failed
            token = self.last
        self.last = token
        answers = {qid: codes[self.rng.choice(self.CODES)] for qid, codes in self.options.items()}
        return "POST", f"/api/v1/surveys/answer/{token}/submit", json.dumps({"answers": answers}), self.headers


def start_server(env: dict[str, str], port: int, workers: int, threads: int, tree: Path) -> subprocess.Popen:
    """gunicorn (gthread, keep-alive) serving the code of ``tree``."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--chdir",
        str(tree),
        "--bind",
        f"127.0.0.1:{port}",
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
    server = subprocess.Popen(command, cwd=tree, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn ({tree}) exited with code {server.returncode}")
        try:
            if request(port, "GET", "/bench/minimal/")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop(server)
    raise RuntimeError(f"gunicorn ({tree}) did not answer within 30 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--questions", type=int, default=25)
    parser.add_argument("--tokens", type=int, default=60_000, help="invitations made (each submission uses one)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a copy of the repository to compare with, in the same runs")
    args = parser.parse_args()

    import psycopg

    variants = [("current", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    name = f"parindex_bench_survey_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url(args.postgres), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    minimal: list[dict] = []
    submits: dict[str, list[dict]] = {label: [] for label, _tree in variants}
    try:
        with tempfile.TemporaryDirectory(prefix="parindex-bench-survey-") as tmp:
            env = server_env(db_url(args.postgres, name), Path(tmp))
            tokens_file = Path(tmp) / "tokens.json"
            started = time.perf_counter()
            data = prepare(env, questions=args.questions, tokens=args.tokens, tokens_file=tokens_file)
            loaded = json.loads(tokens_file.read_text())
            tokens, options = loaded["tokens"], loaded["options"]
            print(
                f"PostgreSQL {name}: {len(tokens) + 1:,} invitations, questionnaire of {len(options)} questions, "
                f"built in {time.perf_counter() - started:.0f} s; one submission = {data['queries_per_submit']} queries"
            )
            chunk = len(tokens) // (args.runs * len(variants))
            servers, ports = {}, {}
            try:
                for label, tree in variants:
                    ports[label] = free_port()
                    servers[label] = start_server(env, ports[label], args.workers, args.threads, tree)
                print(
                    f"gunicorn: {args.workers} workers × {args.threads} threads (gthread), {os.cpu_count()} cores; "
                    f"{args.clients} clients (keep-alive) in {args.client_processes} processes, {args.seconds:g} s "
                    f"each, {args.runs} runs; {chunk:,} tokens per phase"
                )
                phase = 0
                for run in range(args.runs):
                    minimal.append(
                        drive(
                            ports["current"],
                            [MinimalJob() for _ in range(args.clients)],
                            seconds=args.seconds,
                            processes=args.client_processes,
                        )
                    )
                    order = variants if run % 2 == 0 else variants[::-1]
                    for label, _tree in order:
                        mine = tokens[phase * chunk : (phase + 1) * chunk]
                        phase += 1
                        # drive() gives client i to process i % processes: one pool per process, its own tokens.
                        pools = [TokenPool(mine[p :: args.client_processes]) for p in range(args.client_processes)]
                        jobs = [
                            SubmitJob(pools[i % args.client_processes], options, seed=1000 * phase + i)
                            for i in range(args.clients)
                        ]
                        submits[label].append(
                            drive(ports[label], jobs, seconds=args.seconds, processes=args.client_processes)
                        )
                    print(
                        f"run {run + 1}: minimal {minimal[-1]['rps']:.0f} req/s; "
                        + "; ".join(f"{label} {submits[label][-1]['rps']:.0f} req/s" for label, _t in variants)
                    )
            finally:
                for server in servers.values():
                    stop(server)
            check = next(x for x in manage(env, CHECK_SCRIPT).splitlines() if x.startswith("CHECK"))
    finally:
        with psycopg.connect(admin_url(args.postgres), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def median_run(results: list[dict]) -> dict:
        return sorted(results, key=lambda r: r["rps"])[len(results) // 2]

    def line(label, results):
        r = median_run(results)
        failed = sum(x["failed"] for x in results)
        extra = "" if not failed else f"  ({failed} not 200 in all runs)"
        runs = ", ".join(f"{x['rps']:.0f}" for x in results)
        return (
            f"{label:44} median {r['rps']:6.0f} req/s [{runs}]   p50 {r['p50']:6.1f} ms   p95 {r['p95']:6.1f} ms   "
            f"p99 {r['p99']:6.1f} ms{extra}"
        )

    base = statistics.median(r["rps"] for r in minimal)
    print(line("minimal view (GET /bench/minimal/)", minimal))
    for label, _tree in variants:
        print(line(f"submit, {label} ({len(options)} questions)", submits[label]))
    for label, _tree in variants:
        ratio = statistics.median(r["rps"] for r in submits[label]) / base if base else float("nan")
        print(f"ratio submissions ({label}) / minimal: {ratio:.3f}")
    print(f"database after the run (incl. warm-up and the in-process probe): {check.removeprefix('CHECK ')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
