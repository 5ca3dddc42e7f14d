#!/usr/bin/env python
"""Survey points for a national-scale survey: 3,321 communes × 30 respondents × 25 questions (≈ 2.5 million answers).

The data are built in a throwaway database (a temporary SQLite file; a temporary PostgreSQL database, dropped
afterwards): units, a framework with 5 survey criteria, a cycle, two respondent groups (10 officials and 20 citizens
per commune) with 25-question questionnaires (5 questions per criterion), respondents, invitations and responses by
bulk insert, the answers by one INSERT … SELECT. Then, in the same process, timed:

* ``survey_points_compute`` — the SQL aggregate (SUM and COUNT per unit, group and question), the composition in
  Decimal, and replacing the survey's 16,605 ``SurveyScore`` rows in one transaction;
* the SQL aggregate alone, for comparison;
* ``cycle_survey_points`` — what the score engine reads when a result set is computed.

The figures of both databases are compared: the stored points must be identical.

    python bench/survey_points.py [--runs 3]     # SQLite, and PostgreSQL when reachable (DATABASE_URL's server)
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
OFFICIALS, CITIZENS = 10, 20
QUESTIONS = 25
CRITERIA = 5
OPTIONS = [("A", 100, False), ("B", 60, False), ("C", 20, False), ("D", 0, False), ("X", 0, True)]

ANSWERS_SQL = """
INSERT INTO surveys_answer (response_id, question_id, option_id, weight, excluded)
SELECT r.id, q.id, o.id, o.weight, o.excluded
FROM surveys_response r
JOIN surveys_respondentgroup g ON g.id = r.group_id
JOIN surveys_question q ON q.questionnaire_id = g.questionnaire_id
JOIN surveys_option o ON o.question_id = q.id AND o."order" = (r.id * 7 + q."order" * 13 + r.rated_unit_id) %% 5
WHERE r.survey_id = %s
"""


def build():

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
            OrgUnit(code=f"B{i:05d}", name=f"Xã Số {i}", name_key=f"so {i}", kind=UnitKind.COMMUNE, parent=province)
            for i in range(UNITS)
        ],
        batch_size=2000,
    )
    for unit in communes:
        unit.path = f"{province.path}{unit.pk}/"
    OrgUnit.objects.bulk_update(communes, ["path"], batch_size=2000)
    framework = Framework.objects.create(
        code="bench-survey", name="Bộ chỉ số xã", owner=province, status=FrameworkStatus.ACTIVE, declared_total=100
    )
    field = Node.objects.create(framework=framework, code="9", name="Hài lòng", max_points=20, order=9)
    for k in range(1, CRITERIA + 1):
        Node.objects.create(
            framework=framework, parent=field, code=f"9.{k}", name=f"Tiêu chí {k}", max_points=4, method="survey"
        )
    group = UnitGroup.objects.create(code="xa-bench", name="Xã (đo hiệu năng)")
    cycle = Cycle.objects.create(year=2026, name="Đợt đo hiệu năng", assessor=province, status="active")
    CycleFramework.objects.create(cycle=cycle, group=group, framework=framework)
    Participant.objects.bulk_create(
        [Participant(cycle=cycle, unit=u, group=group, framework=framework) for u in communes], batch_size=2000
    )
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
                criteria=[{"node": f"9.{q % CRITERIA + 1}", "weight": 1 + q % 2}],
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
    people = []
    for lst, unit in zip(lists, communes, strict=True):
        for i in range(OFFICIALS + CITIZENS):
            people.append(
                Respondent(
                    respondent_list=lst,
                    survey=survey,
                    group=groups[0] if i < OFFICIALS else groups[1],
                    full_name=f"Người {unit.pk}-{i}",
                    name_key=f"nguoi {unit.pk}-{i}",
                    rated_unit=unit,
                )
            )
    answers = submit_everyone(survey, people)
    return survey, cycle, framework, answers


def submit_everyone(survey, people) -> int:
    """Store ``people`` (unsaved respondents), their invitations and submitted responses, then every answer in one
    INSERT … SELECT (``ANSWERS_SQL``), and refresh the statistics. Returns the answer count. Shared with
    ``compute_results.py``."""
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from parindex.surveys.models import Invitation, Respondent, Response

    Respondent.objects.bulk_create(people, batch_size=5000)
    expires = timezone.now() + dt.timedelta(days=60)
    invitations = Invitation.objects.bulk_create(
        [Invitation(respondent=p, token_hash=uuid.uuid4().hex * 2, expires_at=expires) for p in people],
        batch_size=5000,
    )
    submitted = timezone.now()
    Response.objects.bulk_create(
        [
            Response(
                invitation=inv,
                survey=survey,
                group=p.group,
                rated_unit=p.rated_unit,
                status="submitted",
                submitted_at=submitted,
            )
            for inv, p in zip(invitations, people, strict=True)
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute(ANSWERS_SQL, [survey.pk])
        answers = cursor.rowcount
        cursor.execute("ANALYZE")  # fresh statistics, as a database in service has
    return answers


def child(runs: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("PARINDEX_TASKS_DB", "0")
    import django

    django.setup()
    from django.core.management import call_command

    from parindex.scoring.services import cycle_survey_points
    from parindex.surveys.models import SurveyScore
    from parindex.surveys.points import answer_sums, survey_points_compute

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    survey, cycle, framework, answers = build()
    build_s = time.perf_counter() - started
    compute, sql, read = [], [], []
    rows = 0
    for _ in range(runs):
        t = time.perf_counter()
        rows = survey_points_compute(survey=survey)
        compute.append(time.perf_counter() - t)
        t = time.perf_counter()
        answer_sums(survey)
        sql.append(time.perf_counter() - t)
        t = time.perf_counter()
        cycle_survey_points(cycle=cycle, framework=framework)
        read.append(time.perf_counter() - t)
    points = {
        f"{u}:{c}": str(p)
        for u, c, p in SurveyScore.objects.filter(survey=survey).values_list("unit__code", "node__code", "points")
    }
    total = sum((Decimal(p) for p in points.values()), Decimal(0))
    print(
        json.dumps(
            {
                "build": build_s,
                "answers": answers,
                "rows": rows,
                "compute": compute,
                "sql": sql,
                "read": read,
                "total": str(total),
                "digest": hashlib.sha256(json.dumps(points, sort_keys=True).encode()).hexdigest(),
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
    compute, sql, read = (statistics.median(r[k]) for k in ("compute", "sql", "read"))
    print(
        f"{label}: {UNITS} xã × {OFFICIALS + CITIZENS} người × {QUESTIONS} câu = {r['answers']:,} câu trả lời "
        f"(dựng dữ liệu {r['build']:.0f} s)"
    )
    print(
        f"  survey_points_compute ({r['rows']:,} dòng): trung vị {compute:.2f} s  {[round(x, 2) for x in r['compute']]}"
    )
    print(f"  riêng câu SQL tổng hợp:              trung vị {sql:.2f} s")
    print(f"  bộ máy tính điểm đọc điểm XHH:       trung vị {read:.2f} s")
    print(f"  tổng điểm {r['total']}, dấu vân tay {r['digest'][:16]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.runs)
        return
    results = {}
    with tempfile.TemporaryDirectory(prefix="parindex-bench-") as tmp:
        results["SQLite"] = run_child({"SQLITE_PATH": str(Path(tmp) / "bench.sqlite3")}, args.runs)
    report("SQLite", results["SQLite"])
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
        results["PostgreSQL"] = run_child({"DATABASE_URL": _with_db(base, name)}, args.runs)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    report("PostgreSQL", results["PostgreSQL"])
    same = results["SQLite"]["digest"] == results["PostgreSQL"]["digest"]
    print("Điểm giống hệt nhau trên SQLite và PostgreSQL." if same else "KHÁC NHAU giữa SQLite và PostgreSQL!")


if __name__ == "__main__":
    main()
