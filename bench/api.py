"""Benchmark the partner API and the busiest pages per request, against a bare Django + DRF floor.

Starts two apps under gunicorn, each with one sync worker pinned to CPU 0: Gigfair with its
production settings, and the floor in ``bench/floor`` (a fresh Django 5.2 + DRF project with
an eight-field order: the naive RetrieveAPIView, ListAPIView and ModelSerializer, a POST that
locks a row and makes one django-fsm transition). Each runs on a throw-away PostgreSQL
database with a client holding 200 orders (the floor's table holds 100,000). wrk, pinned to
CPU 1 (1 thread, 8 connections), loads each endpoint after a warm-up, and the script prints
req/s, the floor's, the ratio (Gigfair's req/s ÷ the floor's, against the goal for that
endpoint) and p50/p99 latency. Then the web pages (session login) against the order detail API for the
same order, and a deep page of the order list against its first page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gigfair .venv/bin/python bench/api.py
    ... bench/api.py --duration 30 --only detail,list --json results.json
    ... bench/api.py --deep        # the deep page with 1,000,000 more orders for the client

Only the server named by ``DATABASE_URL`` is used: the script creates and drops its own
databases there (``bench_api_floor``, ``bench_api_gigfair``), and uses a Redis database that
must be empty (``--redis``, flushed at the end). Run it on an idle machine with at least two
cores; the numbers mean nothing on a busy one, which is why it is not part of CI.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import environ
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
FLOOR_DB = "bench_api_floor"
GIGFAIR_DB = "bench_api_gigfair"
PAGE_SIZE = 20
CLIENT_USERNAME = "bench-client"  # as bench/api_seed.py names the client
HOST = "127.0.0.1"

# The partner API's endpoints against the floor's shape (the key selects it with --only).
API_ENDPOINTS = (
    ("detail", "GET /api/v1/orders/{id}/", "detail"),
    ("quote", "GET /api/v1/orders/{id}/cancellation-quote/", "detail"),
    ("credit", "GET /api/v1/me/credit/", "detail"),
    ("list", f"GET /api/v1/orders/?page_size={PAGE_SIZE}", "list"),
    ("create", "POST /api/v1/orders/", "create"),
)
# The goal for each endpoint: Gigfair's req/s at least this share of the floor's.
GOALS = {"detail": 0.5, "quote": 0.5, "credit": 0.5, "list": 1.0, "create": 0.25}
PAGES = (
    ("order page", "/orders/{id}/"),
    ("credit page", "/credit/"),
    ("dashboard", "/dashboard/"),
)
ONLY_CHOICES = ("detail", "quote", "credit", "list", "create", "scale", "pages", "deep")
PAGE_GOAL = 2.0
DEEP_GOAL = 1.5


@dataclass
class Result:
    name: str
    app: str
    method: str
    path: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx answers and socket errors
    notes: list[str] = field(default_factory=list)


# --- Processes and cleanup ----------------------------------------------------------------


class Bench:
    """Everything the run started or created, undone in ``close`` (also on Ctrl-C)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.servers: list[subprocess.Popen] = []
        self.databases: list[str] = []
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
        self.secret = secrets.token_urlsafe(40)
        self.redis = redis.Redis.from_url(args.redis)
        self.redis_used = False
        server = urlsplit(args.database_url)
        self.pg_server = f"{server.scheme}://{server.netloc}"
        self.results: list[Result] = []

    # PostgreSQL
    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(f"{self.pg_server}/postgres", autocommit=True)

    def database_create(self, name: str) -> str:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return f"{self.pg_server}/{name}"

    # Environments
    def env_floor(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.floor.settings",
            "DJANGO_SECRET_KEY": self.secret,
            "DATABASE_URL": f"{self.pg_server}/{FLOOR_DB}",
            "DJANGO_ALLOWED_HOSTS": f"{HOST},localhost",
            "PYTHONPATH": str(ROOT),
        }

    def env_gigfair(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": self.secret,
            "DATABASE_URL": f"{self.pg_server}/{GIGFAIR_DB}",
            "REDIS_URL": self.args.redis,
            "DJANGO_ALLOWED_HOSTS": f"{HOST},localhost",
            # Throttling still runs (a cache round trip per request), but never refuses the load.
            "API_THROTTLE_USER": "100000000/s",
            "API_THROTTLE_ANON": "100000000/s",
            "PYTHONPATH": str(ROOT),
        }

    def run(self, what: str, cmd: list[str], env: dict[str, str]) -> str:
        """Run a set-up step; its output is shown only if it fails."""
        started = time.monotonic()
        say(f"  {what} …")
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit(f"{what} failed (exit {done.returncode})")
        say(f"  {what}: {time.monotonic() - started:.0f} s")
        return done.stdout

    def seed(self, what: str, args: list[str], env: dict[str, str]) -> dict:
        out = self.run(what, [sys.executable, "-m", "bench.api_seed", *args], env)
        line = next(line for line in reversed(out.splitlines()) if line.startswith("SEED "))
        return json.loads(line.removeprefix("SEED "))

    def serve(self, name: str, wsgi: str, env: dict[str, str]) -> int:
        """gunicorn with one sync worker pinned to the server CPU; its port once it answers."""
        port = free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        cmd = [
            *self.pin(self.args.server_cpu),
            str(gunicorn if gunicorn.exists() else shutil.which("gunicorn")),
            "--workers=1",
            "--worker-class=sync",
            f"--bind={HOST}:{port}",
            "--timeout=120",
            wsgi,
        ]
        log = (self.tmp / f"{name}.log").open("w")
        # A session of its own: Ctrl-C reaches this script, which stops the server itself.
        server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)  # noqa: S603
        self.servers.append(server)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                sys.stderr.write((self.tmp / f"{name}.log").read_text())
                raise SystemExit(f"{name}: gunicorn exited with {server.returncode}")
            with contextlib.suppress(OSError):
                socket.create_connection((HOST, port), timeout=1).close()
                return port
            time.sleep(0.2)
        raise SystemExit(f"{name}: gunicorn did not answer within 60 s")

    def pin(self, cpu: int | None) -> list[str]:
        return ["taskset", "--cpu-list", str(cpu)] if cpu is not None else []

    def close(self) -> None:
        for server in self.servers:
            if server.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGTERM)
        for server in self.servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        if self.databases and not self.args.keep:
            with self._admin() as conn:
                for name in self.databases:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        elif self.databases:
            say(f"Kept the databases: {', '.join(self.databases)} (drop them yourself).")
        if self.redis_used:
            self.redis.flushdb()
        shutil.rmtree(self.tmp, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def say(text: str = "") -> None:
    print(text, flush=True)


# --- HTTP (set-up and checks) -------------------------------------------------------------


def request(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        conn.request(method, path, body=body, headers={"X-Forwarded-Proto": "https", **headers})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def cookies_of(headers: http.client.HTTPMessage) -> dict[str, str]:
    return {
        value.split("=", 1)[0]: value.split("=", 1)[1].split(";", 1)[0] for value in headers.get_all("Set-Cookie") or []
    }


def session_login(port: int, username: str, password: str) -> str:
    """Sign in through the login page as a browser would; the Cookie header of the session."""
    status, headers, body = request(port, "GET", "/login/", {})
    if status != 200:
        raise SystemExit(f"GET /login/ answered {status}")
    csrf = cookies_of(headers)["csrftoken"]
    field_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": field_token}).encode()
    origin = f"https://{HOST}:{port}"
    status, headers, _body = request(
        port,
        "POST",
        "/login/",
        {
            "Cookie": f"csrftoken={csrf}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin,
            "Referer": f"{origin}/login/",
        },
        form,
    )
    session = cookies_of(headers).get("sessionid")
    if status != 302 or not session:
        raise SystemExit(f"POST /login/ answered {status} without a session: the login did not work")
    return f"csrftoken={csrf}; sessionid={session}"


# --- wrk ----------------------------------------------------------------------------------


def lua_quote(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for this text


def wrk_script(path: Path, method: str, headers: dict[str, str], body: str | None) -> None:
    """GETs are formatted once by wrk; POSTs get a fresh Idempotency-Key each."""
    headers = {"X-Forwarded-Proto": "https", **headers}
    lines = [f"wrk.method = {lua_quote(method)}"]
    lines += [f"wrk.headers[{lua_quote(k)}] = {lua_quote(v)}" for k, v in headers.items()]
    if body is not None:
        lines += [
            'wrk.headers["Content-Type"] = "application/json"',
            f"local body = {lua_quote(body)}",
            f"local prefix = {lua_quote(secrets.token_hex(8))}",
            "local n = 0",
            "request = function()",
            "  n = n + 1",
            '  wrk.headers["Idempotency-Key"] = prefix .. "-" .. n',
            "  return wrk.format(nil, nil, nil, body)",
            "end",
        ]
    path.write_text("\n".join(lines) + "\n")


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_parse(output: str) -> tuple[int, float, float, float, int]:
    def number(pattern: str) -> re.Match:
        found = re.search(pattern, output)
        if found is None:
            raise SystemExit(f"Unexpected wrk output:\n{output}")
        return found

    requests = int(number(r"(\d+) requests in").group(1))
    rps = float(number(r"Requests/sec:\s+([\d.]+)").group(1))
    p50, p99 = (
        float(m.group(1)) * UNITS_MS[m.group(2)]
        for m in (number(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b") for p in ("50", "99"))
    )
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(found.group(1))
    if found := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        # Read errors are how wrk counts a server closing the connection after each answer
        # (gunicorn's sync worker does); connect, write and timeout errors are failures.
        errors += int(found.group(1)) + int(found.group(3)) + int(found.group(4))
    return requests, rps, p50, p99, errors


def load(
    bench: Bench,
    *,
    name: str,
    app: str,
    port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: str | None = None,
) -> Result:
    """One endpoint under wrk: a warm-up, then the measured run."""
    args = bench.args
    script = bench.tmp / "request.lua"
    wrk_script(script, method, headers, body)
    url = f"http://{HOST}:{port}{path}"

    def wrk(seconds: int) -> str:
        cmd = [
            *bench.pin(args.client_cpu),
            "wrk",
            f"--threads={args.threads}",
            f"--connections={args.connections}",
            f"--duration={seconds}s",
            "--timeout=30s",
            "--latency",
            f"--script={script}",
            url,
        ]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # noqa: S603

    if args.warmup:
        wrk(args.warmup)
    requests, rps, p50, p99, errors = wrk_parse(wrk(args.duration))
    result = Result(name, app, method, path, requests, rps, p50, p99, errors)
    if errors:
        result.notes.append(f"{errors} failed requests")
    if not requests:
        result.notes.append("no request finished within the run: give it a longer --duration")
    bench.results.append(result)
    say(f"  {app:<8} {method} {path}: {rps:.1f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    return result


def check(port: int, method: str, path: str, headers: dict[str, str], expect: int, body: str | None = None) -> bytes:
    """One request before the load: the endpoint answers what it should (no redirect, no error)."""
    extra = {"Content-Type": "application/json", "Idempotency-Key": secrets.token_hex(8)} if body else {}
    status, _headers, content = request(port, method, path, {**headers, **extra}, body.encode() if body else None)
    if status != expect:
        raise SystemExit(f"{method} {path} answered {status}, not {expect}:\n{content[:2000].decode(errors='replace')}")
    return content


# --- Output -------------------------------------------------------------------------------


def times(slow: Result, fast: Result) -> float:
    """How many times ``fast``'s time per request ``slow`` takes."""
    return fast.rps / slow.rps if slow.rps and fast.rps else math.nan


def ratio_text(ratio: float, width: int) -> str:
    return f"{'n/a':>{width}}" if math.isnan(ratio) else f"{ratio:{width - 1}.1f}×"


def latency(result: Result) -> str:
    return f"{result.p50_ms:8.1f} {result.p99_ms:8.1f}"


def flag(result: Result) -> str:
    return "  ! " + "; ".join(result.notes) if result.notes else ""


def share(ours: Result, floor: Result) -> float:
    """Gigfair's req/s as a share of the floor's (the issue's ratio: 1.0 is as fast as the floor)."""
    return ours.rps / floor.rps if ours.rps and floor.rps else math.nan


def report_table(rows: list[tuple[str, str, Result, Result]]) -> None:
    say(f"{'':<46} {'req/s':>18} {'':>14}   {'p50 / p99 ms':>17}   {'p50 / p99 ms':>17}")
    say(f"{'endpoint':<46} {'gigfair':>8} {'floor':>9} {'ratio':>6} {'goal':>7}   {'gigfair':>17}   {'floor':>17}")
    for key, label, ours, floor in rows:
        ratio = share(ours, floor)
        goal = GOALS.get(key)
        verdict = "" if goal is None else "?" if math.isnan(ratio) else "ok" if ratio >= goal else "under"
        shown = f"{'n/a':>6}" if math.isnan(ratio) else f"{ratio:6.2f}"
        goal_text = f"≥{goal:.2f} {verdict}" if goal is not None else ""
        say(
            f"{label:<46} {ours.rps:8.1f} {floor.rps:9.1f} {shown} {goal_text:>7}"
            f"   {latency(ours)}   {latency(floor)}{flag(ours)}{flag(floor)}"
        )


def report_against(title: str, base: Result, rows: list[tuple[str, Result]], goal: float) -> None:
    say(title)
    say(f"{'':<46} {'req/s':>8} {'time':>9} {'goal':>7}   {'p50 / p99 ms':>17}")
    say(f"{base.method + ' ' + base.path:<46} {base.rps:8.1f} {'1.0×':>9} {'':>7}   {latency(base)}{flag(base)}")
    for label, result in rows:
        ratio = times(result, base)
        verdict = "?" if math.isnan(ratio) else "ok" if ratio <= goal else "over"
        say(f"{label:<46} {result.rps:8.1f} {ratio_text(ratio, 9)} {verdict:>7}   {latency(result)}{flag(result)}")


# --- The run ------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    only = set(args.only) | ({"deep"} if args.deep else set())
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (Debian: apt install wrk)")
    if (os.cpu_count() or 1) < 2 or shutil.which("taskset") is None:
        say("Fewer than two CPUs or no taskset: server and wrk are not pinned, and the numbers mean less.")
        args.server_cpu = args.client_cpu = None
    bench = Bench(args)
    if bench.redis.dbsize():
        raise SystemExit(f"The Redis database {args.redis} is not empty; name an empty one with --redis.")
    bench.redis_used = True  # empty now, so everything in it at the end is this run's
    # Ctrl-C and a plain kill both end in the finally below (also when started in the background,
    # where a shell would have the script ignore Ctrl-C).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        measure(bench, only)
        if args.json:
            dump = {
                "config": {k: v for k, v in vars(args).items() if k != "database_url"},
                "results": [asdict(r) for r in bench.results],
            }
            if args.json == "-":
                say(json.dumps(dump, indent=2))
            else:
                Path(args.json).write_text(json.dumps(dump, indent=2) + "\n")
                say(f"Results written to {args.json}")
    except KeyboardInterrupt:
        say("\nInterrupted: stopping the servers and dropping the databases.")
        raise SystemExit(130) from None
    finally:
        bench.close()


def measure(bench: Bench, only: set[str]) -> None:
    args = bench.args
    say("Setting up (throw-away databases, data, servers):")
    floor_env, ours_env = bench.env_floor(), bench.env_gigfair()
    manage = [sys.executable, "manage.py"]
    bench.database_create(FLOOR_DB)
    bench.run("floor: migrate", [sys.executable, "-m", "django", "migrate", "--noinput"], floor_env)
    floor = bench.seed("floor: 100,000 orders", ["floor"], floor_env)
    bench.database_create(GIGFAIR_DB)
    bench.run("gigfair: migrate", [*manage, "migrate", "--noinput"], ours_env)
    bench.run("gigfair: collectstatic", [*manage, "collectstatic", "--noinput"], ours_env)
    ours = bench.seed("gigfair: a client with 200 orders, through the services", ["gigfair"], ours_env)
    floor_port = bench.serve("floor", "bench.floor.wsgi:application", floor_env)
    ours_port = bench.serve("gigfair", "config.wsgi:application", ours_env)

    floor_auth = {"Authorization": f"Token {floor['token']}"}
    ours_auth = {"Authorization": f"Token {ours['token']}"}
    buyer_auth = {"Authorization": f"Token {ours['buyer_token']}"}
    ours_paths = {
        "detail": f"/api/v1/orders/{ours['detail_id']}/",
        "quote": f"/api/v1/orders/{ours['detail_id']}/cancellation-quote/",
        "credit": "/api/v1/me/credit/",
        "list": f"/api/v1/orders/?page_size={PAGE_SIZE}",
        "create": "/api/v1/orders/",
    }
    floor_shapes = {
        "detail": ("GET", f"/api/v1/orders/{floor['detail_id']}/", None, 200),
        "list": ("GET", f"/api/v1/orders/?page_size={PAGE_SIZE}", None, 200),
        "create": ("POST", "/api/v1/orders/", json.dumps({"order": floor["post_order_id"]}), 201),
    }
    ours_body = json.dumps({"listing": ours["listing_id"]})

    # Every endpoint answers as it should before any load.
    for method, path, body, expect in floor_shapes.values():
        check(floor_port, method, path, floor_auth, expect, body)
    for key, path in ours_paths.items():
        post = key == "create"
        if post:
            check(ours_port, "POST", path, buyer_auth, 201, ours_body)
            continue
        content = check(ours_port, "GET", path, ours_auth, 200)
        if key == "quote":
            quote = json.loads(content)
            say(f"  the quote: allowed={quote.get('allowed')}, tier={quote.get('tier')}, code={quote.get('code')}")

    pinned = (
        f"server on CPU {args.server_cpu}, wrk on CPU {args.client_cpu}"
        if args.server_cpu is not None
        else "not pinned"
    )
    say()
    say(
        f"Loading each endpoint for {args.duration} s after {args.warmup} s of warm-up: one gunicorn sync "
        f"worker per app, wrk with {args.threads} thread(s) and {args.connections} connections, {pinned}."
    )
    floor_results: dict[str, Result] = {}

    def floor_load(shape: str) -> Result:
        if shape not in floor_results:
            method, path, body, _expect = floor_shapes[shape]
            floor_results[shape] = load(
                bench,
                name=f"floor {shape}",
                app="floor",
                port=floor_port,
                method=method,
                path=path,
                headers=floor_auth,
                body=body,
            )
        return floor_results[shape]

    rows: list[tuple[str, str, Result, Result]] = []
    ours_results: dict[str, Result] = {}
    for key, label, shape in API_ENDPOINTS:
        if key not in only and not (key == "detail" and "pages" in only):
            continue
        method = "POST" if key == "create" else "GET"
        ours_results[key] = load(
            bench,
            name=key,
            app="gigfair",
            port=ours_port,
            method=method,
            path=ours_paths[key],
            headers=buyer_auth if key == "create" else ours_auth,
            body=ours_body if key == "create" else None,
        )
        if key in only:
            rows.append((key, label, ours_results[key], floor_load(shape)))

    scale: list[Result] = []
    if "scale" in only:
        scale.append(
            load(
                bench,
                name="DRF APIView, small dict",
                app="floor",
                port=floor_port,
                method="GET",
                path="/api/v1/hello/",
                headers=floor_auth,
            )
        )
        scale.append(
            load(
                bench,
                name="Django JsonResponse",
                app="floor",
                port=floor_port,
                method="GET",
                path="/hello.json",
                headers={},
            )
        )

    pages: list[tuple[str, Result]] = []
    if "pages" in only:
        cookie = {"Cookie": session_login(ours_port, ours["username"], ours["password"])}
        for label, template in PAGES:
            path = template.format(id=ours["detail_id"])
            check(ours_port, "GET", path, cookie, 200)
            pages.append(
                (
                    f"{label} GET {path}",
                    load(bench, name=label, app="gigfair", port=ours_port, method="GET", path=path, headers=cookie),
                )
            )

    deep: tuple[Result, Result, str] | None = None
    if "deep" in only:
        if args.deep:
            rows_out = bench.seed(
                f"gigfair: {args.deep_rows:,} more orders for the client",
                ["deep", f"--rows={args.deep_rows}"],
                ours_env,
            )
            say(f"  the client now has {rows_out['rows']:,} orders")
        first_path = ours_paths["list"]
        deep_path, where = deep_page(ours_port, first_path, ours_auth, ours_env["DATABASE_URL"])
        first = load(
            bench,
            name="list first page",
            app="gigfair",
            port=ours_port,
            method="GET",
            path=first_path,
            headers=ours_auth,
        )
        last = load(
            bench, name="list deep page", app="gigfair", port=ours_port, method="GET", path=deep_path, headers=ours_auth
        )
        deep = (first, last, where)

    say()
    say("=" * 118)
    say(f"Gigfair against the floor (bare Django 5.2 + DRF on PostgreSQL), {pinned}, {args.duration} s each.")
    say("ratio: Gigfair's req/s ÷ the floor's (1.00 = as fast as the floor); goal: the issue's target.")
    say()
    if rows:
        report_table(rows)
        say()
    if scale:
        say("For scale, on the floor:")
        for result in scale:
            say(f"  {result.name:<44} {result.rps:8.1f} req/s   p50 / p99 {latency(result)} ms{flag(result)}")
        say()
    if pages:
        report_against(
            f"Web pages (session login) against the order detail API, same order (goal ≤ {PAGE_GOAL:g}×):",
            ours_results["detail"],
            pages,
            PAGE_GOAL,
        )
        say()
    if deep:
        first, last, where = deep
        report_against(
            f"A deep page of the order list against its first page, {where} (goal ≤ {DEEP_GOAL:g}×):",
            first,
            [(f"{last.method} {last.path}", last)],
            DEEP_GOAL,
        )
        say()


def oldest_position(pg_url: str) -> tuple[str, int, int]:
    """``(created_at, id)`` of the client's order with a last page of orders behind it, and how
    many orders the client has."""
    with psycopg.connect(pg_url) as conn:
        (total,) = conn.execute(
            "SELECT count(*) FROM orders_order o JOIN marketplace_user u ON u.id = o.client_id WHERE u.username = %s",
            [CLIENT_USERNAME],
        ).fetchone()
        at, id_ = conn.execute(
            "SELECT o.created_at, o.id FROM orders_order o JOIN marketplace_user u ON u.id = o.client_id "
            "WHERE u.username = %s ORDER BY o.created_at, o.id OFFSET %s LIMIT 1",
            [CLIENT_USERNAME, PAGE_SIZE],
        ).fetchone()
    return at.isoformat(), id_, total


def deep_page(port: int, first_path: str, auth: dict[str, str], pg_url: str) -> tuple[str, str]:
    """The order list's last page: numbered, or by a cursor at the client's oldest orders (the
    cursor is ``a|created_at|id`` in URL-safe base64, as ``core.api.pagination.Position`` writes it)."""
    page = json.loads(check(port, "GET", first_path, auth, 200))
    next_link = page.get("next")
    if next_link is None:
        return first_path, "one page only"
    query = parse_qs(urlsplit(next_link).query)
    if "page" in query and "count" in page:
        last = max(1, math.ceil(page["count"] / PAGE_SIZE))
        return f"{first_path}&page={last}", f"page {last:,} of {page['count']:,} orders"
    if "cursor" in query:
        at, id_, total = oldest_position(pg_url)
        cursor = base64.urlsafe_b64encode(f"a|{at}|{id_}".encode()).decode().rstrip("=")
        path = f"{first_path}&{urlencode({'cursor': cursor})}"
        body = json.loads(check(port, "GET", path, auth, 200))
        if body["next"] is not None or len(body["results"]) != PAGE_SIZE:
            raise SystemExit("the deep cursor did not land on the last page")
        return path, f"the last page of {total:,} orders, by cursor"
    hops = 0
    path = first_path
    while next_link and hops < 50:
        parts = urlsplit(next_link)
        path = f"{parts.path}?{parts.query}"
        next_link = json.loads(check(port, "GET", path, auth, 200)).get("next")
        hops += 1
    return path, f"{hops} next links from the first page"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Per-request benchmark of the partner API and the pages against a bare Django + DRF floor.",
        epilog="DATABASE_URL names the PostgreSQL server (only its host, port and user are used).",
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per endpoint (default 15)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before each (default 3)")
    parser.add_argument(
        "--only",
        type=lambda text: [part.strip() for part in text.split(",") if part.strip()],
        default=list(ONLY_CHOICES),
        help=f"comma-separated, of: {', '.join(ONLY_CHOICES)} (default: all)",
    )
    parser.add_argument(
        "--deep",
        action="store_true",
        help="before the deep page, insert --deep-rows more orders for the client (takes a while)",
    )
    parser.add_argument("--deep-rows", type=int, default=1_000_000)
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON ('-': standard output)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/9", help="an empty Redis database, flushed at the end"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases at the end")
    args = parser.parse_args()
    unknown = set(args.only) - set(ONLY_CHOICES)
    if unknown:
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}; choose from {', '.join(ONLY_CHOICES)}")
    args.database_url = environ.Env().str("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/postgres")
    return args


if __name__ == "__main__":
    main()
