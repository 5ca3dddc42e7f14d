#!/usr/bin/env python
"""Server time to render the self-assessment grid of a 100-criterion framework (goal: under 150 ms).

    python bench/grid.py [--renders 20] [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

What it does: on a throwaway database (SQLite in memory by default; with ``--postgres``, a database created for the
run on that server and dropped after), migrates, builds a cycle over the 100-criterion framework of
``bench/assessment_data.py`` with one report half filled in (50 scored criteria, 10 with a document), then renders
the grid through Django's test client (the whole stack: middleware, session, access checks, queries, template) as
the unit's officer (editable grid) and as the index manager (read-only), and prints the median and p95 of
``--renders`` renders after two warm-ups, the number of queries of one render and the page size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _admin_url(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--postgres", default="", help="a PostgreSQL server URL; a throwaway database is made on it")
    args = parser.parse_args()

    dbname = None
    if args.postgres:
        import psycopg

        dbname = f"parindex_bench_grid_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_admin_url(args.postgres), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        from urllib.parse import urlsplit, urlunsplit

        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(args.postgres)._replace(path=f"/{dbname}"))
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    os.environ.pop("DEBUG", None)
    try:
        return run(args)
    finally:
        if dbname:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(_admin_url(args.postgres), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def run(args) -> int:
    import django

    django.setup()
    import assessment_data
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from parindex.orgs.models import User

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    data = assessment_data.build(units=3, prefill=1, prefix="BG")
    build_s = time.perf_counter() - started
    unit = data["units"][0]
    url = f"/tu-danh-gia/{unit['assessment']}/"
    print(
        f"parindex — bảng tự đánh giá 100 tiêu chí ({connection.vendor}); dữ liệu dựng trong {build_s:.1f} s; "
        f"{args.renders} lần hiển thị sau 2 lần khởi động"
    )
    for label, username in (
        ("cán bộ đơn vị (sửa được)", unit["officer"]),
        ("quản lý Chỉ số (chỉ xem)", data["manager"]),
    ):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for _ in range(2):
            assert client.get(url).status_code == 200
        times = []
        for _ in range(args.renders):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        body = response.content.decode()
        rows = body.count('data-testid="row-')
        marker = 'data-testid="progress">'
        progress = body[body.index(marker) + len(marker) :].split("<", 1)[0]
        documents = body.count('data-testid="evidence"')
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(
            f"  {label:28} trung vị {statistics.median(times):6.1f} ms, p95 {p95:6.1f} ms, "
            f"{len(queries.captured_queries)} truy vấn, {rows} dòng ({progress} có điểm, {documents} tài liệu), "
            f"{len(response.content) / 1024:.0f} KB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
