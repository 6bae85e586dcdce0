#!/usr/bin/env python3
"""Run Gigfair on a laptop with nothing but Python 3.11 (standard library only).

    python3 dev.py up [--port 8000]   set up .venv, migrate, seed the demo and run web + worker + beat
    python3 dev.py serve [--port N]   the production stack: migrate, collect static files and run
                                      gunicorn + a Celery worker + beat with the production settings
    python3 dev.py test [pytest args] set up .venv with the dev tools and run the test suite
    python3 dev.py lint               ruff check, ruff format --check, the apps' layers (import-linter),
                                      makemigrations --check
    python3 dev.py fmt                ruff check --fix, ruff format

With no DATABASE_URL and no REDIS_URL, `up` runs on SQLite and on an embedded Celery broker
(files under var/), so no other server is needed. `serve` needs DATABASE_URL, REDIS_URL,
DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS (see README.md, "Deploying").
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".gigfair-requirements.json"
RUNTIME_REQUIREMENTS = ("requirements.txt",)
DEV_REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def fail(message: str, code: int = 1) -> None:
    print(f"dev.py: {message}", file=sys.stderr, flush=True)
    raise SystemExit(code)


# --- the virtual environment ------------------------------------------------------------


def venv_bin(name: str) -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    suffix = ".exe" if os.name == "nt" else ""
    return VENV / folder / f"{name}{suffix}"


def python() -> str:
    return str(venv_bin("python"))


def requirements_digest(files: tuple[str, ...]) -> dict[str, str]:
    return {name: hashlib.sha256((ROOT / name).read_bytes()).hexdigest() for name in files}


def ensure_venv(files: tuple[str, ...]) -> None:
    """Create .venv if missing and install ``files``, skipping pip when nothing changed."""
    if sys.version_info[:2] != (3, 11):
        print(
            f"dev.py: warning: Gigfair targets Python 3.11, this is {sys.version.split()[0]}.",
            file=sys.stderr,
        )
    if not venv_bin("python").exists():
        say("Creating the virtual environment in .venv")
        try:
            venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
        except (OSError, subprocess.CalledProcessError) as exc:
            fail(f"could not create .venv ({exc}). On Debian/Ubuntu install python3.11-venv first.")
        STAMP.unlink(missing_ok=True)
    try:
        installed = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        installed = {}
    wanted = requirements_digest(files)
    if all(installed.get(name) == digest for name, digest in wanted.items()):
        return
    say(f"Installing {', '.join(files)} into .venv")
    command = [python(), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    for name in files:
        command += ["-r", name]
    run(command)
    STAMP.write_text(json.dumps({**installed, **wanted}, indent=2))


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra)
    return env


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=ROOT, env=kwargs.pop("env", None) or child_env(), **kwargs)  # noqa: S603
    if result.returncode != 0:
        fail(f"{' '.join(command[1:] if command[0] == python() else command)} failed", result.returncode)
    return result


def manage(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    return run([python(), "manage.py", *args], env=env, **kwargs)


# --- up -----------------------------------------------------------------------------------


class Platform:
    """The web server and the Celery worker (with beat), each in its own process group."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        say(f"Starting {name}: {' '.join(command[1:] if command[0] == python() else command)}")
        kwargs: dict = {"cwd": ROOT, "env": env}
        if os.name == "nt":
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        else:
            # A group of its own: Ctrl-C reaches only dev.py, which then stops each child
            # (and a worker's pool processes) once, in order.
            kwargs["start_new_session"] = True
        self.children.append((name, subprocess.Popen(command, **kwargs)))  # noqa: S603

    def exited(self) -> tuple[str, int] | None:
        for name, process in self.children:
            if process.poll() is not None:
                return name, process.returncode
        return None

    def stop(self, timeout: float = 15.0) -> None:
        """Ask each child to stop (SIGTERM), newest first; kill what is still running after ``timeout``."""
        for name, process in reversed(self.children):
            if process.poll() is None:
                say(f"Stopping {name}")
                # The main process only: a Celery worker then stops its own pool cleanly.
                process.terminate()
        deadline = time.monotonic() + timeout
        for name, process in reversed(self.children):
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in time; killing it")
                self._kill_group(process)
                process.wait()
        # Pool processes left behind by a killed worker share its process group.
        for _name, process in self.children:
            self._kill_group(process)

    @staticmethod
    def _kill_group(process: subprocess.Popen) -> None:
        if os.name == "nt":
            process.kill()
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone already
            os.killpg(process.pid, signal.SIGKILL)


def wait_for_http(url: str, platform: Platform, timeout: float = 60.0, *, ok_only: bool = False) -> bool:
    """Wait until ``url`` answers (with a 2xx if ``ok_only``); False if a child exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if platform.exited():
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return True
        except urllib.error.HTTPError:
            if not ok_only:
                return True  # the server answered
            time.sleep(0.5)
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    return False


def run_platform(platform: Platform, start: Callable[[], bool], *, stop_timeout: float = 15.0) -> int:
    """``start()`` the children, then run until Ctrl-C or SIGTERM (0) or until a child exits (its
    status, or 1 if ``start`` failed); then stop them all."""
    stop_on_signals()
    code = 0
    try:
        if not start():
            return 1
        while True:
            failed = platform.exited()
            if failed:
                print(f"dev.py: {failed[0]} exited with status {failed[1]}; stopping", file=sys.stderr, flush=True)
                code = failed[1] or 1
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        print(flush=True)
    finally:
        # Stop once, completely: further Ctrl-Cs must not cut the shutdown short.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        platform.stop(stop_timeout)
        say("Stopped")
    return code


def stop_on_signals() -> None:
    """SIGTERM (and SIGHUP) stop everything the way Ctrl-C does."""

    def on_signal(signum, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, on_signal)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host.strip("[]"), port))
        except OSError:
            return False
    return True


def cmd_up(args: argparse.Namespace) -> int:
    port = int(args.port or os.environ.get("PORT") or 8000)
    host = args.host
    base_url = f"http://{host}:{port}"
    if not port_is_free(host, port):
        fail(f"port {port} on {host} is already in use; pick another with --port or PORT.")
    ensure_venv(RUNTIME_REQUIREMENTS)
    env = child_env()
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    env.setdefault("GIGFAIR_PUBLIC_URL", base_url)  # the links in e-mails point at this server
    # E-mails go to files, not to this terminal: every notification would bury the demo logins.
    env.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    say("Migrating the database")
    manage("migrate", "--noinput", "-v", "0", env=env)
    say("Collecting static files")
    manage("collectstatic", "--noinput", "-v", "0", env=env)
    say("Seeding the demo data")
    seeded = manage("seed_demo", "--base-url", base_url, env=env, capture_output=True, text=True)
    print(seeded.stdout, end="", flush=True)
    logins = seeded.stdout[seeded.stdout.find("Demo logins") :] if "Demo logins" in seeded.stdout else ""

    platform = Platform()

    def start() -> bool:
        platform.start("web", [python(), "manage.py", "runserver", f"{host}:{port}", "--noreload"], env)
        platform.start(
            "worker + beat",
            [python(), "-m", "celery", "-A", "config", "worker", "-B", "-l", "info", "--concurrency", "2"],
            env,
        )
        if not wait_for_http(f"{base_url}/admin/login/", platform):
            failed = platform.exited()
            print(f"dev.py: {failed[0] if failed else 'web'} did not start", file=sys.stderr, flush=True)
            return False
        print(
            "\n"
            f"Gigfair is running at {base_url}/\n"
            f"  admin     {base_url}/admin/\n"
            f"  API docs  {base_url}/api/v1/docs/  (schema: {base_url}/api/v1/schema/)\n"
            "  worker and beat run the sweeps every 5 minutes; `manage.py run_due_jobs` runs them now\n"
            "  e-mails   written to var/mail/, one file per message\n"
            f"\n{logins}\n"
            "Press Ctrl-C to stop everything.\n",
            flush=True,
        )
        return True

    return run_platform(platform, start)


# --- serve ----------------------------------------------------------------------------------

# What a deployment must say about itself; the rest has defaults (README.md, "Deploying").
SERVE_REQUIRED = {
    "DATABASE_URL": "the PostgreSQL database, e.g. postgres://gigfair:secret@db.example:5432/gigfair",
    "REDIS_URL": "the Celery broker and cache, e.g. redis://cache.example:6379/0",
    "DJANGO_SECRET_KEY": "a long random secret; make one with\n"
    "      python3 -c 'import secrets; print(secrets.token_urlsafe(50))'",
    "DJANGO_ALLOWED_HOSTS": "the host names the site answers to, e.g. gigfair.example,www.gigfair.example",
}
# A stop waits for requests and tasks under way: gunicorn's graceful_timeout (config/gunicorn.py)
# and a task's run fit in this.
SERVE_STOP_TIMEOUT = 30.0


def cmd_serve(args: argparse.Namespace) -> int:
    missing = [name for name in SERVE_REQUIRED if not os.environ.get(name, "").strip()]
    if missing:
        fail(
            "serve runs the production settings and needs these environment variables:\n"
            + "\n".join(f"  {name}: {SERVE_REQUIRED[name]}" for name in missing)
        )
    port = int(args.port or os.environ.get("PORT") or 8000)
    host = args.host
    if not port_is_free(host, port):
        fail(f"port {port} on {host} is already in use; pick another with --port or PORT.")
    ensure_venv(RUNTIME_REQUIREMENTS)
    # Always the production settings, whatever the shell had for development.
    env = child_env(DJANGO_SETTINGS_MODULE="config.settings.production")
    say("Migrating the database")
    manage("migrate", "--noinput", "-v", "0", env=env)
    say("Collecting static files")
    manage("collectstatic", "--noinput", "-v", "0", env=env)

    web = [python(), "-m", "gunicorn", "-c", "config/gunicorn.py", "--bind", f"{host}:{port}"]
    if args.workers:
        web += ["--workers", str(args.workers)]
    # -q: no start-up banner, so the output stays one JSON object per line. No mingle and gossip:
    # the workers' chatter over Redis at start and every second, which nothing here uses.
    worker = [python(), "-m", "celery", "-A", "config", "-q", "worker", "-l", "INFO"]
    worker += ["--without-mingle", "--without-gossip"]
    if args.concurrency:
        worker += ["--concurrency", str(args.concurrency)]
    beat = [python(), "-m", "celery", "-A", "config", "-q", "beat", "-l", "INFO"]
    probe_host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, host)  # noqa: S104 - what a bind means
    ready_url = f"http://{probe_host}:{port}/readyz"
    platform = Platform()

    def start() -> bool:
        platform.start("web", web, env)
        platform.start("worker", worker, env)
        if args.beat:
            platform.start("beat", beat, env)
        if not wait_for_http(ready_url, platform, timeout=90, ok_only=True):
            failed = platform.exited()
            problem = f"{failed[0]} exited with status {failed[1]}" if failed else f"{ready_url} did not answer 200"
            print(f"dev.py: {problem} while starting; stopping", file=sys.stderr, flush=True)
            return False
        say(
            f"Gigfair is serving on {host}:{port} with the production settings"
            + ("" if args.beat else " (no beat: another serve runs it)")
            + f"; {ready_url} answers. Ctrl-C or SIGTERM stops everything."
        )
        return True

    return run_platform(platform, start, stop_timeout=SERVE_STOP_TIMEOUT)


# --- test, lint, fmt ------------------------------------------------------------------------


def cmd_test(args: argparse.Namespace) -> int:
    ensure_venv(DEV_REQUIREMENTS)
    env = child_env()
    env.pop("DJANGO_SETTINGS_MODULE", None)  # pytest takes it from pyproject.toml
    # The browser tests keep their screenshots here, for a person to look at the pages.
    env.setdefault("GIGFAIR_SCREENSHOT_DIR", str(ROOT / "var" / "screenshots"))
    pytest_args = list(args.pytest_args)
    # One worker per core (pytest-xdist), unless the caller chose: each worker has its own test
    # database and cache prefix, and the suite takes half the time on two cores.
    if not any(arg == "-n" or arg.startswith(("-n", "--numprocesses", "--dist")) for arg in pytest_args):
        pytest_args = ["-n", "auto", *pytest_args]
    return subprocess.run([python(), "-m", "pytest", *pytest_args], cwd=ROOT, env=env).returncode  # noqa: S603


def cmd_lint(args: argparse.Namespace) -> int:
    ensure_venv(DEV_REQUIREMENTS)
    env = child_env(DJANGO_SETTINGS_MODULE="config.settings.test")
    checks = [
        ("ruff check", [python(), "-m", "ruff", "check", "."]),
        ("ruff format --check", [python(), "-m", "ruff", "format", "--check", "."]),
        # The layering contract in pyproject.toml: no app imports one above it.
        ("lint-imports", [str(venv_bin("lint-imports")), "--no-logo", "--no-cache"]),
        ("makemigrations --check", [python(), "manage.py", "makemigrations", "--check", "--dry-run"]),
    ]
    failed = []
    for label, command in checks:
        say(label)
        if subprocess.run(command, cwd=ROOT, env=env).returncode != 0:  # noqa: S603
            failed.append(label)
    if failed:
        print(f"dev.py: lint failed: {'; '.join(failed)}", file=sys.stderr, flush=True)
        return 1
    say("lint passed")
    return 0


def cmd_fmt(args: argparse.Namespace) -> int:
    ensure_venv(DEV_REQUIREMENTS)
    run([python(), "-m", "ruff", "check", "--fix", "."])
    run([python(), "-m", "ruff", "format", "."])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="set up and run web, worker and beat with demo data")
    up.add_argument("--port", type=int, default=None, help="web port (default: $PORT or 8000)")
    up.add_argument("--host", default="127.0.0.1", help="web address to listen on (default: 127.0.0.1)")
    up.set_defaults(handler=cmd_up)
    serve = commands.add_parser("serve", help="run the production stack: gunicorn, a Celery worker and beat")
    serve.add_argument("--port", type=int, default=None, help="web port (default: $PORT or 8000)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: 0.0.0.0)")  # noqa: S104
    serve.add_argument(
        "--workers", type=int, default=None, help="web processes (default: $WEB_CONCURRENCY or 2 x CPUs + 1)"
    )
    serve.add_argument("--concurrency", type=int, default=None, help="Celery worker processes (default: CPUs)")
    serve.add_argument(
        "--no-beat", dest="beat", action="store_false", help="no beat scheduler: exactly one serve may run it"
    )
    serve.set_defaults(handler=cmd_serve)
    test = commands.add_parser("test", help="run the test suite; extra arguments go to pytest")
    test.set_defaults(handler=cmd_test)
    commands.add_parser("lint", help="ruff, the apps' layers, makemigrations --check").set_defaults(handler=cmd_lint)
    commands.add_parser("fmt", help="fix what ruff can and format the code").set_defaults(handler=cmd_fmt)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["test"]:
        # Everything after "test" belongs to pytest, exactly as given (-k, -n, -x, paths...).
        return cmd_test(argparse.Namespace(pytest_args=argv[1:]))
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
