#!/usr/bin/env python
"""How long ``manage.py load_units`` takes on an empty database: SQLite, and PostgreSQL when one is reachable.

Each run starts from a new, freshly migrated database (a temporary SQLite file; a temporary PostgreSQL database,
dropped afterwards) and times the load alone, in a separate process. Three runs each; the median is printed.

    python bench/load_units.py [--runs 3]

PostgreSQL: DATABASE_URL if set (its server is used, not its database), else postgresql://postgres@127.0.0.1:5432/.
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
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/"


def child() -> None:
    """Inside a fresh process whose environment points at an empty database: migrate, then time the load."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from parindex.orgs.loaders import units_load_official

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    counts = units_load_official()
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed, "created": counts["created"], "lineage": counts["lineage_created"]}))


def run_child(env_overrides: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env.update(env_overrides)
    out = subprocess.run(
        [sys.executable, __file__, "--child"], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip()[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_sqlite(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="parindex-bench-") as tmp:
            result = run_child({"SQLITE_PATH": str(Path(tmp) / "bench.sqlite3")})
        times.append(result["seconds"])
        print(f"  sqlite     run: {result['seconds']:.2f} s ({result['created']} units)")
    return times


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def bench_postgres(runs: int) -> list[float] | None:
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
                result = run_child({"DATABASE_URL": _with_db(base, name)})
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            times.append(result["seconds"])
            print(f"  postgresql run: {result['seconds']:.2f} s ({result['created']} units)")
    finally:
        admin.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    print(f"load_units on an empty, migrated database, {args.runs} runs each")
    sqlite = bench_sqlite(args.runs)
    postgres = bench_postgres(args.runs)
    print(f"SQLite     median: {statistics.median(sqlite):.2f} s")
    if postgres:
        print(f"PostgreSQL median: {statistics.median(postgres):.2f} s")


if __name__ == "__main__":
    main()
