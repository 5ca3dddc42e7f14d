#!/usr/bin/env python
"""Requests per second of the home page (signed in) against a minimal Django view, in one run.

    python bench/home_rps.py [--seconds 10] [--concurrency 8] [--workers 2] [--threads 4]

What it does: makes a temporary SQLite database (migrate; a province, a few departments, a unit officer with a
membership), starts gunicorn (config.wsgi, gthread workers so that keep-alive works) on 127.0.0.1:<free port> with
PARINDEX_BENCH=1 (which adds the plain view ``/bench/minimal/``), signs in through the login form to get a session
cookie, then drives each URL in turn with a bounded load generator: ``--concurrency`` keep-alive connections
(http.client) spread over client processes, for ``--seconds`` each after a short warm-up. URLs: the minimal view
anonymous (plain Django), the minimal view signed in (session, user and second-factor policy checks), the home page
signed in. It prints the figures and the ratio home / minimal, and stops gunicorn. Server and load generator share
the machine, so read the ratio more than the absolute numbers.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
USERNAME = "bench.officer"
PASSWORD = "bench-Mat-Khau-2025"
FULL_NAME = "Nguyễn Thị Đo Tải"

SETUP_SCRIPT = f"""
from parindex.orgs import services
from parindex.orgs.models import Role, UnitKind
province = services.unit_create(code="B92", name="Thành phố Thử Tải", kind=UnitKind.PROVINCE, actor=None)
units = [
    services.unit_create(code=f"B92-{{i}}", name=name, kind=UnitKind.DEPARTMENT, parent=province, actor=None)
    for i, name in enumerate(["Sở Nội vụ", "Sở Tư pháp", "Sở Tài chính", "Sở Y tế"])
]
user = services.user_create(username={USERNAME!r}, email="bench@example.com", full_name={FULL_NAME!r},
                            password={PASSWORD!r}, actor=None)
services.membership_grant(user=user, unit=units[1], role=Role.UNIT_OFFICER, actor=None)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(db_path: Path, *, conn_max_age: int | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "PARINDEX_PRODUCTION"}}
    settings_module = "config.settings"
    if conn_max_age is not None:
        # Diagnostic variant: the project's settings with persistent database connections.
        (db_path.parent / "bench_settings.py").write_text(
            f"from config.settings import *  # noqa\nDATABASES['default']['CONN_MAX_AGE'] = {conn_max_age}\n"
        )
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(db_path.parent), env.get("PYTHONPATH", "")]))
        settings_module = "bench_settings"
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        SQLITE_PATH=str(db_path),
        PARINDEX_BENCH="1",
        ALLOWED_HOSTS=HOST,
        LOG_LEVEL="ERROR",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONWARNINGS="ignore::UserWarning",  # whitenoise: no collected static files (not needed here)
    )
    return env


def prepare_database(env: dict[str, str]) -> None:
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "shell", "--verbosity", "0", "--command", SETUP_SCRIPT], cwd=ROOT, env=env, check=True)


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
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {server.returncode}")
        try:
            status, _headers, _body = request(port, "GET", "/tai-khoan/dang-nhap/")
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop(server)
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def request(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def cookies_from(headers) -> dict[str, str]:
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            found[key.strip()] = rest.split(";", 1)[0]
    return found


def sign_in(port: int) -> str:
    """Log in through the form; return the Cookie header of the signed-in session."""
    status, headers, body = request(port, "GET", "/tai-khoan/dang-nhap/")
    csrf_cookie = cookies_from(headers)["csrftoken"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urlencode({"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/"})
    status, headers, _ = request(
        port,
        "POST",
        "/tai-khoan/dang-nhap/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": f"http://{HOST}:{port}/tai-khoan/dang-nhap/",
        },
    )
    session = cookies_from(headers).get("sessionid")
    if status != 302 or not session:
        raise RuntimeError(f"sign-in failed (HTTP {status})")
    cookie = f"csrftoken={csrf_cookie}; sessionid={session}"
    status, _headers, body = request(port, "GET", "/", headers={"Cookie": cookie})
    if status != 200 or FULL_NAME.encode() not in body:
        raise RuntimeError(f"the home page did not show the signed-in user (HTTP {status})")
    return cookie


def _client_thread(port, path, headers, start_at, stop_at, counts, errors, index):
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    done = failed = 0
    while True:
        now = time.monotonic()
        if now >= stop_at:
            break
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.will_close:
                conn.close()
            if now >= start_at:
                if response.status == 200:
                    done += 1
                else:
                    failed += 1
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=10)
            if now >= start_at:
                failed += 1
    conn.close()
    counts[index] = done
    errors[index] = failed


def _client_process(port, path, headers, threads, start_at, stop_at, queue):
    counts = [0] * threads
    errors = [0] * threads
    pool = [
        threading.Thread(target=_client_thread, args=(port, path, headers, start_at, stop_at, counts, errors, i))
        for i in range(threads)
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put((sum(counts), sum(errors)))


def measure(port: int, path: str, headers: dict, *, seconds: float, concurrency: int, processes: int) -> float:
    """Successful requests per second over ``seconds`` (after a one-second warm-up)."""
    warmup = 1.0
    start_at = time.monotonic() + 0.5 + warmup
    stop_at = start_at + seconds
    queue: mp.Queue = mp.Queue()
    per_process = [concurrency // processes + (1 if i < concurrency % processes else 0) for i in range(processes)]
    clients = [
        mp.Process(target=_client_process, args=(port, path, headers, n, start_at, stop_at, queue))
        for n in per_process
        if n
    ]
    for client in clients:
        client.start()
    results = [queue.get(timeout=seconds + 60) for _ in clients]
    for client in clients:
        client.join()
    done = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    if failed:
        print(f"  {path}: {failed} failed requests", file=sys.stderr)
    return done / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per URL (default 10)")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections (default 8)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn workers (default: cores)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--client-processes", type=int, default=2, help="load generator processes (default 2)")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="diagnostic: run with persistent database connections (CONN_MAX_AGE seconds) instead of the settings'",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="parindex-bench-") as tmp:
        env = server_env(Path(tmp) / "bench.sqlite3", conn_max_age=args.conn_max_age)
        prepare_database(env)
        port = free_port()
        server = start_gunicorn(env, port, args.workers, args.threads)
        try:
            cookie = sign_in(port)
            print(
                f"gunicorn: {args.workers} workers × {args.threads} threads (gthread), {os.cpu_count()} cores; "
                f"load: {args.concurrency} keep-alive connections in {args.client_processes} processes, "
                f"{args.seconds:g} s per URL"
                + (f"; CONN_MAX_AGE={args.conn_max_age}" if args.conn_max_age is not None else "")
            )
            minimal = measure(
                port,
                "/bench/minimal/",
                {},
                seconds=args.seconds,
                concurrency=args.concurrency,
                processes=args.client_processes,
            )
            minimal_signed_in = measure(
                port,
                "/bench/minimal/",
                {"Cookie": cookie},
                seconds=args.seconds,
                concurrency=args.concurrency,
                processes=args.client_processes,
            )
            home = measure(
                port,
                "/",
                {"Cookie": cookie},
                seconds=args.seconds,
                concurrency=args.concurrency,
                processes=args.client_processes,
            )
        finally:
            stop(server)
    print(f"minimal view, anonymous (/bench/minimal/):  {minimal:8.0f} req/s")
    print(f"minimal view, signed in (/bench/minimal/):  {minimal_signed_in:8.0f} req/s")
    print(f"home page, signed in (/):                   {home:8.0f} req/s")
    print(f"ratio home / minimal:                       {home / minimal:8.3f}" if minimal else "ratio: n/a")
    return 0


if __name__ == "__main__":
    sys.exit(main())
