#!/usr/bin/env python
"""Full recomputation of a national-scale cycle, and the ranking page for it.

3,321 communes × a 100-criterion framework (10 fields × 10 sub-criteria): 95 criteria appraised, 5 (10.6–10.10) fed
by a social survey of 30 respondents (10 officials, 20 citizens) × 25 questions per commune (≈ 2.5 million answers).
Times, in the same process and on the same tables (median of ``--runs``):

* ``survey_points_compute`` — the survey's answers → survey points per commune and criterion (``SurveyScore``);
* ``resultset_fill`` — read the appraised and survey points, run the pure engine for every unit, rank, classify,
  store the result rows and the frozen copy of every leaf value (332,100 rows), with the time spent in each step;
* one hand-written SQL aggregate computing the same totals over the same tables (appraised points + survey points
  per unit), and the ratio of ``resultset_fill`` to it;
* the ranking page (``/ket-qua/<id>/``) rendered for 3,321 units (server time through Django's test client).

The totals of the engine and of the SQL aggregate must agree, and both databases must store identical results
(a digest of every unit's points, percent, rank and class, and of the frozen leaf values, is compared).

    python bench/compute_results.py [--runs 3]     # SQLite (temporary file) and PostgreSQL when reachable
"""

from __future__ import annotations

import argparse
import hashlib
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
SURVEY_LEAVES = 5  # the last five criteria of the last field
OFFICIALS, CITIZENS, QUESTIONS = 10, 20, 25

from survey_points import OPTIONS, submit_everyone  # noqa: E402 — the sibling bench builds the answers


def build():

    from parindex.assessments.models import Assessment, Entry
    from parindex.cycles.models import Cycle, CycleFramework, Participant
    from parindex.frameworks.models import Framework, FrameworkStatus, Node
    from parindex.orgs.models import OrgUnit, UnitGroup, UnitKind
    from parindex.surveys.models import (
        Option,
        Question,
        Questionnaire,
        Respondent,
        RespondentGroup,
        RespondentList,
        Survey,
    )

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
    leaves, survey_codes = [], []
    for f in range(1, FIELDS + 1):
        field = Node.objects.create(framework=framework, code=str(f), name=f"Lĩnh vực {f}", max_points=10, order=f)
        kids = []
        for k in range(1, LEAVES + 1):
            survey = f == FIELDS and k > LEAVES - SURVEY_LEAVES
            if survey:
                survey_codes.append(f"{f}.{k}")
            kids.append(
                Node(
                    framework=framework,
                    parent=field,
                    code=f"{f}.{k}",
                    name=f"Tiêu chí {f}.{k}",
                    max_points=1,
                    method="survey" if survey else "appraised",
                    order=f * 100 + k,
                )
            )
        leaves += Node.objects.bulk_create(kids)
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
            p = None if leaf.method == "survey" else points[(i + j) % 7]
            batch.append(Entry(assessment=a, node=leaf, self_points=Decimal(1), round1_points=p, round2_points=p))
        if len(batch) >= 20000:
            Entry.objects.bulk_create(batch, batch_size=5000)
            batch = []
    Entry.objects.bulk_create(batch, batch_size=5000)

    # The survey: two respondent groups with 25-question questionnaires feeding the five survey criteria.
    survey = Survey.objects.create(cycle=cycle, framework=framework, name="Điều tra XHH đo hiệu năng")
    groups = []
    for code, name, priority, citizen in (("can-bo", "Cán bộ", 1, False), ("nguoi-dan", "Người dân", 2, True)):
        questionnaire = Questionnaire.objects.create(code=f"bench-{code}", name=name, owner=province)
        for q in range(QUESTIONS):
            question = Question.objects.create(
                questionnaire=questionnaire,
                code=f"Q{q + 1}",
                text=f"Câu {q + 1}",
                order=q,
                criteria=[{"node": survey_codes[q % SURVEY_LEAVES], "weight": 1 + q % 2}],
            )
            Option.objects.bulk_create(
                [
                    Option(question=question, code=c, text=c, weight=w, excluded=x, order=i)
                    for i, (c, w, x) in enumerate(OPTIONS)
                ]
            )
        groups.append(
            RespondentGroup.objects.create(
                survey=survey,
                code=code,
                name=name,
                priority=priority,
                is_citizen=citizen,
                rates="served_unit" if citizen else "own_unit",
                questionnaire=questionnaire,
            )
        )
    lists = RespondentList.objects.bulk_create(
        [RespondentList(survey=survey, unit=u) for u in communes], batch_size=2000
    )
    people = [
        Respondent(
            respondent_list=lst,
            survey=survey,
            group=groups[0] if i < OFFICIALS else groups[1],
            full_name=f"Người {unit.pk}-{i}",
            name_key=f"nguoi {unit.pk}-{i}",
            rated_unit=unit,
        )
        for lst, unit in zip(lists, communes, strict=True)
        for i in range(OFFICIALS + CITIZENS)
    ]
    answers = submit_everyone(survey, people)
    return cycle, group, survey, answers


# The same totals by hand: appraised points (round 2, else round 1) and the survey points, summed per unit.
SQL_TOTALS = """
SELECT t.unit_id, SUM(t.points) FROM (
    SELECT a.unit_id, COALESCE(e.round2_points, e.round1_points) AS points
    FROM assessments_entry e JOIN assessments_assessment a ON a.id = e.assessment_id
    JOIN cycles_participant p ON p.id = a.participant_id
    WHERE a.cycle_id = %s AND p.group_id = %s AND p.withdrawn_at IS NULL
    UNION ALL
    SELECT s.unit_id, s.points FROM surveys_surveyscore s WHERE s.survey_id = %s
) t
GROUP BY t.unit_id
"""

# Where resultset_fill spends its time: statements recognised by their text; the rest of the time is Python.
STEPS = [
    ("aggregate", "SUM(CASE WHEN n.method"),
    ("missing", "SELECT a.unit_id, n.code"),
    ("snapshot", "INSERT INTO scoring_leafscore"),
    ("snapshot_survey", "UPDATE scoring_leafscore"),
    ("survey_read", "surveys_surveyscore"),
    ("delete", "DELETE"),
    ("unit_rows", "scoring_unitresult"),
]


class StepTimer:
    """Sums the time of the statements run, by step. The unit rows may be written by COPY, which does not pass
    through Django's execute wrappers: ``store`` times that step as a whole."""

    def __init__(self):
        self.spent: dict[str, float] = {}
        self.paused = False

    def __call__(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if not self.paused:
                step = next((name for name, marker in STEPS if marker in sql), "other_sql")
                self.spent[step] = self.spent.get(step, 0.0) + time.perf_counter() - t

    def store(self, original):
        def timed(rows):
            self.paused = True
            t = time.perf_counter()
            try:
                return original(rows)
            finally:
                self.paused = False
                self.spent["unit_rows"] = self.spent.get("unit_rows", 0.0) + time.perf_counter() - t

        return timed


def _digest(result_set) -> str:
    from parindex.scoring.models import LeafScore

    units = sorted(
        (u, str(p), str(c), r, k)
        for u, p, c, r, k in result_set.units.values_list("unit__code", "points", "percent", "rank", "class_code")
    )
    leaves = sorted(
        (u, n, str(s), str(a), str(v))
        for u, n, s, a, v in LeafScore.objects.filter(result_set=result_set).values_list(
            "unit__code", "node__code", "self_points", "appraised_points", "survey_points"
        )
    )
    return hashlib.sha256(json.dumps([units, leaves]).encode()).hexdigest()


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
    from parindex.surveys.points import survey_points_compute

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    cycle, group, survey, answers = build()
    build_s = time.perf_counter() - started
    survey_s, fill, sql, steps = [], [], [], []
    last = None
    for _ in range(runs):
        t = time.perf_counter()
        survey_points_compute(survey=survey)
        survey_s.append(time.perf_counter() - t)
        rs = ResultSet.objects.create(
            year=cycle.year, cycle=cycle, group=group, framework=cycle.plans.get().framework, job_state="queued"
        )
        timer = StepTimer()
        original_store = getattr(services, "unit_results_store", None)
        if original_store is not None:
            services.unit_results_store = timer.store(original_store)
        t = time.perf_counter()
        try:
            with connection.execute_wrapper(timer):
                services.resultset_fill(rs)
        finally:
            if original_store is not None:
                services.unit_results_store = original_store
        fill.append(time.perf_counter() - t)
        timer.spent["python"] = fill[-1] - sum(timer.spent.values())
        steps.append(timer.spent)
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(SQL_TOTALS, [cycle.pk, group.pk, survey.pk])
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
    names = [name for name, _marker in STEPS] + ["other_sql", "python"]
    print(
        json.dumps(
            {
                "build": build_s,
                "answers": answers,
                "survey": survey_s,
                "fill": fill,
                "sql": sql,
                "steps": {n: statistics.median(s.get(n, 0.0) for s in steps) for n in names},
                "page": page,
                "queries": queries,
                "units": len(stored),
                "entries": UNITS * FIELDS * LEAVES,
                "digest": _digest(last),
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


STEP_LABELS = {
    "aggregate": "đọc điểm thẩm định (tổng theo nút)",
    "missing": "tiêu chí chưa có điểm",
    "survey_read": "đọc điểm điều tra XHH",
    "delete": "xóa bản cũ",
    "unit_rows": "lưu kết quả đơn vị",
    "snapshot": "chốt điểm tiêu chí (INSERT … SELECT)",
    "snapshot_survey": "chốt điểm XHH vào bản chốt",
    "other_sql": "truy vấn khác",
    "python": "Python (engine, xếp hạng, xếp loại), commit",
}


def report(label: str, r: dict) -> None:
    fill, sql, page = statistics.median(r["fill"]), statistics.median(r["sql"]), statistics.median(r["page"])
    survey = statistics.median(r["survey"])
    head = f"{label}: {r['units']} đơn vị × {FIELDS * LEAVES} tiêu chí = {r['entries']:,} điểm"
    print(f"{head}, {r['answers']:,} câu trả lời điều tra (dựng dữ liệu {r['build']:.0f} s)")
    print(f"  điểm điều tra XHH từ câu trả lời:       trung vị {survey:.2f} s  {[round(x, 2) for x in r['survey']]}")
    print(f"  tính lại kết quả (engine + xếp hạng + lưu): trung vị {fill:.2f} s  {[round(x, 2) for x in r['fill']]}")
    for name, spent in r["steps"].items():
        if spent >= 0.005:
            print(f"      {STEP_LABELS[name]:<40} {spent:.2f} s")
    storing = sum(r["steps"].get(k, 0.0) for k in ("delete", "unit_rows", "snapshot", "snapshot_survey"))
    print(f"  cùng tổng điểm bằng một câu SQL:        trung vị {sql:.2f} s  → tỷ lệ tính lại / SQL {fill / sql:.1f}×")
    print(
        f"  riêng phần tính (không kể lưu kết quả và bản chốt {storing:.2f} s): {fill - storing:.2f} s"
        f"  → tỷ lệ / SQL {(fill - storing) / sql:.1f}×"
    )
    print(f"  toàn bộ (điểm XHH + kết quả):           trung vị {survey + fill:.2f} s")
    print(
        f"  trang xếp hạng {r['units']} đơn vị:           trung vị {page * 1000:.0f} ms ({r['queries']} truy vấn);"
        f" lần đầu (vẽ biểu đồ) {r['page'][0] * 1000:.0f} ms"
    )
    print(f"  dấu vân tay kết quả: {r['digest'][:16]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="một cơ sở dữ liệu")
    args = parser.parse_args()
    if args.child:
        child(args.runs)
        return
    digests = {}
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory(prefix="parindex-bench-") as tmp:
            r = run_child({"SQLITE_PATH": str(Path(tmp) / "bench.sqlite3")}, args.runs)
            report("SQLite", r)
            digests["SQLite"] = r["digest"]
    if args.only == "sqlite":
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
        r = run_child({"DATABASE_URL": _with_db(base, name)}, args.runs)
        report("PostgreSQL", r)
        digests["PostgreSQL"] = r["digest"]
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    if len(set(digests.values())) > 1:
        print("KHÁC NHAU: SQLite và PostgreSQL lưu kết quả khác nhau!")
    elif len(digests) == 2:
        print("SQLite và PostgreSQL lưu kết quả giống hệt nhau.")


if __name__ == "__main__":
    main()
