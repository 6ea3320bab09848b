"""Many municipalities at once: latency, errors and lost writes under concurrent use.

What is measured, and why:

* ``load``: the app served by gunicorn (4 sync workers) on a fresh PostgreSQL database, as the
  README deploys it beside one ``flask worker`` on Redis (``BENCH_REDIS_URL``, default db 3 of
  127.0.0.1:6379: page cache, rate limits, job queue) with e-mail to a local sink, all on
  this machine; with the bench data set (40 sections, 5 published versions, 300 comments, response in review).
  50 simulated users, spread over the 11 municipalities' official accounts, each with its own
  session and login, loop for ``BENCH_LOAD_SECONDS`` (60) without think time unless
  ``BENCH_LOAD_THINK_MS`` is set. Each loop picks a weighted action: the response page (most
  common), the position matrix, the compare page, a new comment on a random section, or a
  position on the current version. The load generator runs in spawned processes, never in the
  server's (``BENCH_LOAD_PROCESSES``, 5; ``BENCH_LOAD_USERS``, 50). ``errors`` counts 5xx
  answers, connection failures and failed logins; ``unexpected`` counts other
  answers that were not the expected 200 (reads) or 302 (writes). ``lost_writes`` compares the
  writes the clients saw succeed with the rows found in the database afterwards. Before the
  window, every user reads each page once (``WARM_UP_ACTIONS``, not counted): a fresh gunicorn
  worker compiles its templates on first use, and that is start-up, not the load's latency.
  ``baseline_p95_ms`` is the trivial page's p95 in the same window: from the mix's own fetches
  of it and, in the think-time run, from one more thread per load process that fetches it
  every ``BASELINE_EVERY`` seconds (the mix alone gives about thirty samples in a minute,
  too few for a p95).
* ``ceiling_rps``: the same users and the same gunicorn on a trivial page (``/login``,
  anonymous; ``BENCH_LOAD_CEILING_PATH``) for ``BENCH_LOAD_CEILING_SECONDS`` (15): what this
  machine, server setup and load generator manage at most, so ``rps`` can be read against it.
  ``/login`` touches no database and no session: every product page costs at least a login
  check and a few queries more. So ``session_ceiling_rps`` measures, the same way, a trivial
  page of a logged-in user (``/profile``: the session, the user's row, a small form;
  ``BENCH_LOAD_SESSION_CEILING_PATH``), and ``load_saturated`` gives ``rps`` against both.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from drafting.mailsink import MailSink

ROOT = Path(__file__).resolve().parents[1]
# A scratch database, dropped and created afresh (BENCH_LOAD_DATABASE names another one).
DB_NAME = os.environ.get("BENCH_LOAD_DATABASE", "yttrande_bench")
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE_URL = f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"
PASSWORD = "demo-losenord"
USERS = 50
WORKERS = 4
SECTIONS = 40
VERSIONS = 5
COMMENTS = 300
# Read before the measured window by every user of the first run: each gunicorn worker compiles
# its templates and fills its caches on first use, which is start-up, not load.
WARM_UP_ACTIONS = ("show", "matrix", "compare", "trivial")
WARM_UP_SECONDS = 20  # what the first run's users are given for it before the window starts
# Weighted actions of one loop: reading the response page is by far the most common.
# "trivial" is the login page fetched without a session, the baseline measured under the same load.
ACTIONS = (("show", 50), ("matrix", 10), ("compare", 10), ("comment", 15), ("position", 10),
           ("trivial", 5))
WRITES = {"comment", "position"}
REQUEST_TIMEOUT = (5.0, 60.0)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
# Each load process also fetches the trivial page every this many seconds in the think-time
# run (about 150 samples in 60 s from 5 processes, beside the mix's own; well under 1 % of
# the machine's load).
BASELINE_EVERY = 2.0


@dataclass(frozen=True)
class Plan:
    """Everything a load process needs; plain data, so it pickles into spawned processes."""

    base_url: str
    response_id: int
    section_ids: tuple[int, ...]
    version_number: int
    emails: tuple[str, ...]
    body_prefix: str
    start_at: float
    seconds: float
    think_seconds: float = 0.0
    warm_up: bool = False  # each user reads every page once before the measured window
    max_requests: int = 1_000_000
    ceiling_path: str | None = None  # set: GETs of this path instead of the mix
    ceiling_login: bool = False  # the ceiling's users log in first
    # Seconds between one process's own fetches of the trivial page beside the mix (0: none).
    baseline_every: float = 0.0


@dataclass
class Tally:
    """What one process saw: latencies per action, statuses, writes that succeeded."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    unexpected: int = 0
    comments: int = 0
    positions: int = 0
    login_failures: int = 0
    last_end: float = 0.0

    def record(self, action: str, status: int, elapsed_ms: float) -> None:
        """One answer: its latency and status, and whether it was an error, unexpected or a
        write that succeeded (status 0: no answer at all)."""
        self.latencies.setdefault(action, []).append(elapsed_ms)
        key = f"{action}:{status}"
        self.statuses[key] = self.statuses.get(key, 0) + 1
        expected = 302 if action in WRITES else 200
        if status == 0 or status >= 500:
            self.errors += 1
        elif status != expected:
            self.unexpected += 1
        elif action == "comment":
            self.comments += 1
        elif action == "position":
            self.positions += 1

    def merge(self, other: Tally) -> None:
        for name, values in other.latencies.items():
            self.latencies.setdefault(name, []).extend(values)
        for key, count in other.statuses.items():
            self.statuses[key] = self.statuses.get(key, 0) + count
        self.errors += other.errors
        self.unexpected += other.unexpected
        self.comments += other.comments
        self.positions += other.positions
        self.login_failures += other.login_failures
        self.last_end = max(self.last_end, other.last_end)


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# --- The load generator (runs in spawned processes) -------------------------------------------


def _trivial(plan: Plan) -> requests.Response:
    """The login page, anonymous, on a connection of its own: the baseline."""
    return requests.get(f"{plan.base_url}/login", allow_redirects=False, timeout=REQUEST_TIMEOUT)


def _request(session: requests.Session, plan: Plan, action: str, rng: random.Random,
             serial: str) -> requests.Response:
    base = f"{plan.base_url}/responses/{plan.response_id}"
    if action == "trivial":
        return _trivial(plan)
    if action == "show":
        return session.get(base, allow_redirects=False, timeout=REQUEST_TIMEOUT)
    if action == "matrix":
        return session.get(f"{base}/matrix", allow_redirects=False, timeout=REQUEST_TIMEOUT)
    if action == "compare":
        old = rng.randint(1, max(1, plan.version_number - 1))
        return session.get(f"{base}/compare", params={"from": old, "to": plan.version_number},
                           allow_redirects=False, timeout=REQUEST_TIMEOUT)
    if action == "comment":
        section_id = rng.choice(plan.section_ids)
        body = f"{plan.body_prefix} {serial}: kan detta förtydligas?"
        return session.post(f"{base}/sections/{section_id}/comments", data={"body": body},
                            allow_redirects=False, timeout=REQUEST_TIMEOUT)
    decision = rng.choices(("approve", "approve_with_note", "object"), (6, 2, 2))[0]
    note = "" if decision == "approve" else f"{plan.body_prefix} {serial}: finansieringen"
    return session.post(f"{base}/position",
                        data={"version_number": plan.version_number, "decision": decision,
                              "note": note},
                        allow_redirects=False, timeout=REQUEST_TIMEOUT)


def _login(session: requests.Session, plan: Plan, email: str) -> bool:
    try:
        answer = session.post(f"{plan.base_url}/login", data={"email": email, "password": PASSWORD},
                              allow_redirects=False, timeout=REQUEST_TIMEOUT)
    except requests.RequestException:
        return False
    return answer.status_code == 302


def _user(plan: Plan, index: int, tally: Tally, lock: threading.Lock) -> None:
    """One simulated user: log in, wait for the common start, then loop until the deadline."""
    rng = random.Random(f"{plan.body_prefix}-{index}")
    names = [name for name, _ in ACTIONS]
    weights = [weight for _, weight in ACTIONS]
    local = Tally()
    with requests.Session() as session:
        email = plan.emails[index % len(plan.emails)] if plan.emails else ""
        if (plan.ceiling_path is None or plan.ceiling_login) and not _login(session, plan, email):
            with lock:
                tally.login_failures += 1
            return
        if plan.warm_up:
            for action in WARM_UP_ACTIONS:
                try:
                    _request(session, plan, action, rng, "warm-up")
                except requests.RequestException:
                    pass  # a failure here shows again, counted, in the window
        deadline = plan.start_at + plan.seconds
        # With think time, users arrive spread over one think period rather than all at once.
        offset = rng.uniform(0, plan.think_seconds) if plan.think_seconds else 0.0
        time.sleep(max(0.0, plan.start_at + offset - time.time()))
        for number in range(plan.max_requests):
            if time.time() >= deadline:
                break
            action = "ceiling" if plan.ceiling_path else rng.choices(names, weights)[0]
            serial = f"u{index}-n{number}-{uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            try:
                if plan.ceiling_path:
                    answer = session.get(plan.base_url + plan.ceiling_path, allow_redirects=False,
                                         timeout=REQUEST_TIMEOUT)
                else:
                    answer = _request(session, plan, action, rng, serial)
                status = answer.status_code
            except requests.RequestException:
                status = 0
            local.record(action, status, (time.perf_counter() - started) * 1000)
            local.last_end = time.time()
            if plan.think_seconds:
                pause = rng.uniform(0.5, 1.5) * plan.think_seconds
                time.sleep(max(0.0, min(pause, deadline - time.time())))
    with lock:
        tally.merge(local)


def _baseline_sampler(plan: Plan, seed: int, tally: Tally, lock: threading.Lock) -> None:
    """The trivial page at a steady pace beside the mix (plan.baseline_every): the mix's thirty
    fetches of it alone made the think-time ratio swing by a fifth from run to run."""
    rng = random.Random(f"{plan.body_prefix}-baseline-{seed}")
    local = Tally()
    deadline = plan.start_at + plan.seconds
    time.sleep(max(0.0, plan.start_at + rng.uniform(0, plan.baseline_every) - time.time()))
    while time.time() < deadline:
        started = time.perf_counter()
        try:
            status = _trivial(plan).status_code
        except requests.RequestException:
            status = 0
        local.record("trivial", status, (time.perf_counter() - started) * 1000)
        pause = rng.uniform(0.5, 1.5) * plan.baseline_every
        time.sleep(max(0.0, min(pause, deadline - time.time())))
    with lock:
        tally.merge(local)


def drive_process(plan: Plan, indices: list[int]) -> Tally:
    """Entry point of one spawned load process: one thread per simulated user, and one that
    samples the trivial page (plan.baseline_every)."""
    tally, lock = Tally(), threading.Lock()
    threads = [threading.Thread(target=_user, args=(plan, index, tally, lock), daemon=True)
               for index in indices]
    if plan.baseline_every and plan.ceiling_path is None and indices:
        threads.append(threading.Thread(target=_baseline_sampler,
                                        args=(plan, indices[0], tally, lock), daemon=True))
    for thread in threads:
        thread.start()
    wait = plan.seconds + 5 + 2 * REQUEST_TIMEOUT[1] + max(0.0, plan.start_at - time.time())
    for thread in threads:
        thread.join(wait)
    return tally


def _drive(plan: Plan, users: int, processes: int) -> Tally:
    """Run the users in spawned processes (never in the server's) and merge what they saw."""
    chunks = [list(range(users))[start::processes] for start in range(processes)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        tallies = pool.starmap(drive_process, [(plan, chunk) for chunk in chunks if chunk])
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total


# --- Database, data set and server ------------------------------------------------------------


def _recreate_database(drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        if not drop_only:
            connection.execute(f"CREATE DATABASE {DB_NAME}")


@dataclass(frozen=True)
class Built:
    response_id: int
    section_ids: tuple[int, ...]
    version_number: int
    emails: tuple[str, ...]


def _build() -> Built:
    """Migrate the fresh database and build the data set in it (cheap password hashes)."""
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from drafting import create_app
    from drafting.extensions import db
    from drafting.models import User
    from drafting.services import drafting
    from drafting.services.queries import latest_version

    from . import dataset

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "WTF_CSRF_ENABLED": False,
                      "JOBS_BACKEND": "manual"})
    with app.app_context():
        upgrade(directory=str(Path(app.root_path) / "migrations"))
        response = dataset.build(sections=SECTIONS, versions=VERSIONS, comments=COMMENTS)
        # The data set's own notifications were mailed long ago, as far as this bench is concerned.
        db.session.execute(text("UPDATE job SET status = 'done' WHERE status = 'queued'"))
        db.session.execute(text("UPDATE notification SET emailed = true"))
        db.session.commit()
        version = latest_version(response)
        assert response.stage == "review" and version is not None, response.stage
        built = Built(
            response_id=response.id,
            section_ids=tuple(s.id for s in drafting.working_sections(response)),
            version_number=version.number,
            emails=tuple(db.session.scalars(select(User.email).where(
                User.email.like("tjansteman.%")).order_by(User.email))),
        )
        db.session.remove()
        db.engine.dispose()
    return built


def _count_rows(response_id: int, body_prefix: str) -> tuple[int, int]:
    """Bench comments (by their body prefix) and all positions of the response."""
    import psycopg

    with psycopg.connect(DATABASE_URL) as connection:
        comments = connection.execute(
            "SELECT count(*) FROM \"comment\" WHERE response_id = %s AND body LIKE %s",
            (response_id, body_prefix + "%")).fetchone()
        positions = connection.execute(
            "SELECT count(*) FROM \"position\" WHERE response_id = %s", (response_id,)).fetchone()
    return int(comments[0]), int(positions[0])  # type: ignore[index]


def _forget_queue(queue: str, *, redis_url: str = REDIS_URL) -> None:
    """Drop what this run left in Redis: its queue and its page cache."""
    import redis
    from rq import Queue

    connection = redis.Redis.from_url(redis_url)
    Queue(queue, connection=connection).delete(delete_jobs=True)
    for key in connection.scan_iter(f"{queue}:*"):
        connection.delete(key)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _gunicorn() -> str:
    """gunicorn of this interpreter's environment (a worktree may use a shared venv)."""
    beside = Path(sys.executable).parent / "gunicorn"
    return str(beside if beside.exists() else ROOT / ".venv" / "bin" / "gunicorn")


def _start_server(port: int, log: Path, mail_port: int, queue: str, *,
                  database_url: str = DATABASE_URL,
                  redis_url: str = REDIS_URL) -> list[subprocess.Popen[bytes]]:
    """The deployment the README describes: gunicorn and one `flask worker` on Redis (the page
    cache, rate limits and the job queue), e-mail to a local sink; all on this machine."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DRAFTING_")}
    env.update({
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DRAFTING_JOBS_QUEUE": queue,
        "DRAFTING_CACHE_KEY_PREFIX": queue + ":",
        "DRAFTING_SECRET_KEY": "bench",
        "DRAFTING_WTF_CSRF_ENABLED": "false",
        "DRAFTING_MAIL_SERVER": "127.0.0.1",
        "DRAFTING_MAIL_PORT": str(mail_port),
        "DRAFTING_EXTERNAL_BASE_URL": "https://yttrande.example.se",
        "DRAFTING_LOGIN_LIMIT_ACCOUNT_ADDRESS": "100000 per hour",
        "DRAFTING_LOGIN_LIMIT_ACCOUNT": "100000 per hour",
        "DRAFTING_LOGIN_LIMIT_ADDRESS": "100000 per hour",
    })
    with log.open("wb") as output:
        server = subprocess.Popen(
            [_gunicorn(), "--workers", str(WORKERS),
             "--bind", f"127.0.0.1:{port}", "drafting:create_app()"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "drafting", "worker"],
                                  cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    processes = [server, worker]
    deadline = time.time() + 180  # a loaded machine imports slowly
    while time.time() < deadline:
        for process in processes:
            if process.poll() is not None:
                _stop_server(processes)
                raise RuntimeError(f"a bench process exited with {process.returncode}: see {log}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return processes
        except requests.RequestException:
            pass
        time.sleep(0.2)
    _stop_server(processes)
    raise RuntimeError(f"gunicorn did not answer within 180 s: see {log}")


def _stop_server(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- The bench ---------------------------------------------------------------------------------


def _headline(name: str, users: int, tally: Tally, plan: Plan, lost_writes: int) -> dict[str, object]:
    """The figures both load lines share: throughput, latency, errors and lost writes."""
    times = [value for values in tally.latencies.values() for value in values]
    elapsed = max(plan.seconds, tally.last_end - plan.start_at)
    return {
        "name": name, "users": users, "seconds": round(elapsed, 1),
        "rps": round(len(times) / elapsed, 1),
        "p50_ms": round(statistics.median(times), 1) if times else None,
        "p95_ms": round(_percentile(times, 0.95), 1) if times else None,
        "errors": tally.errors + tally.login_failures,
        "lost_writes": lost_writes,
    }


def _baseline(values: list[float], tally) -> dict:
    """The trivial page's p95 under the same load, and the product pages' p95 against it."""
    if not values:
        return {}
    product = [v for name, times in tally.latencies.items() for v in times]
    p95 = _percentile(values, 0.95)
    return {"baseline_p95_ms": round(p95, 1), "baseline_samples": len(values),
            "p95_ratio_to_baseline": round(_percentile(product, 0.95) / p95, 2) if product else None}


def run() -> list[str]:
    users = int(_env_float("BENCH_LOAD_USERS", USERS))
    seconds = _env_float("BENCH_LOAD_SECONDS", 60)
    ceiling_seconds = _env_float("BENCH_LOAD_CEILING_SECONDS", 15)
    # Officials read before they act: 5 s between a user's requests by default. The saturated
    # run below (no pause) shows where this 2-core machine tops out.
    think = _env_float("BENCH_LOAD_THINK_MS", 5000) / 1000
    saturated_seconds = _env_float("BENCH_LOAD_SATURATED_SECONDS", 30)
    processes = max(1, min(users, int(_env_float("BENCH_LOAD_PROCESSES", 5))))
    ceiling_path = os.environ.get("BENCH_LOAD_CEILING_PATH", "/login")
    session_ceiling_path = os.environ.get("BENCH_LOAD_SESSION_CEILING_PATH", "/profile")
    prefix = f"bench-load-{uuid.uuid4().hex[:12]}"

    _recreate_database()
    workdir = Path(tempfile.mkdtemp(prefix="yttrande-load-"))
    log = workdir / "gunicorn.log"
    server = None
    sink = MailSink().start()
    queue = f"bench-load-{uuid.uuid4().hex[:8]}"
    try:
        built = _build()
        _, positions_before = _count_rows(built.response_id, prefix)
        port = _free_port()
        server = _start_server(port, log, sink.port, queue)
        plan = Plan(base_url=f"http://127.0.0.1:{port}", response_id=built.response_id,
                    section_ids=built.section_ids, version_number=built.version_number,
                    emails=built.emails, body_prefix=prefix,
                    start_at=time.time() + 8 + WARM_UP_SECONDS, seconds=seconds,
                    think_seconds=think, warm_up=True, baseline_every=BASELINE_EVERY)
        tally = _drive(plan, users, processes)
        comments_found, positions_after = _count_rows(built.response_id, prefix)
        saturated = None
        if saturated_seconds > 0:
            saturated_prefix = prefix + "-sat"
            saturated_plan = Plan(base_url=plan.base_url, response_id=built.response_id,
                                  section_ids=built.section_ids, version_number=built.version_number,
                                  emails=built.emails, body_prefix=saturated_prefix,
                                  start_at=time.time() + 8, seconds=saturated_seconds,
                                  think_seconds=0)
            saturated = _drive(saturated_plan, users, processes)
            saturated_comments, positions_now = _count_rows(built.response_id, saturated_prefix)
        ceiling_plan = Plan(base_url=plan.base_url, response_id=0, section_ids=(),
                            version_number=0, emails=(), body_prefix=prefix,
                            start_at=time.time() + 5, seconds=ceiling_seconds,
                            ceiling_path=ceiling_path)
        ceiling = _drive(ceiling_plan, users, processes)
        session_plan = Plan(base_url=plan.base_url, response_id=0, section_ids=(),
                            version_number=0, emails=built.emails, body_prefix=prefix,
                            start_at=time.time() + 8, seconds=ceiling_seconds,
                            ceiling_path=session_ceiling_path, ceiling_login=True)
        session_ceiling = _drive(session_plan, users, processes)
    finally:
        if server is not None:
            _stop_server(server)
        sink.stop()
        _forget_queue(queue)
        _recreate_database(drop_only=True)
    server_log = log.read_text(errors="replace")
    ceiling_count = sum(len(values) for values in ceiling.latencies.values())
    ceiling_elapsed = max(ceiling_seconds, ceiling.last_end - ceiling_plan.start_at)
    session_count = sum(len(values) for values in session_ceiling.latencies.values())
    session_rps = session_count / max(ceiling_seconds, session_ceiling.last_end - session_plan.start_at)
    reads = sum(len(tally.latencies.get(name, [])) for name in ("show", "matrix", "compare"))
    writes = sum(len(tally.latencies.get(name, [])) for name in WRITES)
    lost = (tally.comments - comments_found) + (tally.positions - (positions_after - positions_before))
    baseline = tally.latencies.pop("trivial", [])  # not part of the product's own figures
    line = _headline("load", users, tally, plan, lost) | _baseline(baseline, tally) | {
        "ceiling_rps": round(ceiling_count / ceiling_elapsed, 1),
        "reads": reads, "writes": writes, "comments": tally.comments,
        "positions": tally.positions, "unexpected": tally.unexpected,
        "login_failures": tally.login_failures, "ceiling_errors": ceiling.errors,
        "server_exceptions": server_log.count("Traceback"), "think_ms": round(think * 1000),
    }
    for name, _ in ACTIONS:
        values = tally.latencies.get(name, [])
        if values:
            line[f"{name}_p50_ms"] = round(statistics.median(values), 1)
            line[f"{name}_p95_ms"] = round(_percentile(values, 0.95), 1)
    if tally.unexpected or tally.errors:
        odd = {key: count for key, count in sorted(tally.statuses.items())
               if not key.endswith((":200", ":302"))}
        print(f"load: unexpected answers {odd}; server log {log}", file=sys.stderr)
    lines = [json.dumps(line)]
    if saturated is not None:
        lost = (saturated.comments - saturated_comments) + (
            saturated.positions - (positions_now - positions_after))
        saturated_baseline = saturated.latencies.pop("trivial", [])
        headline = _headline("load_saturated", users, saturated, saturated_plan, lost)
        saturated_rps = float(headline["rps"])  # type: ignore[arg-type]
        lines.append(json.dumps(
            headline
            | _baseline(saturated_baseline, saturated)
            | {"think_ms": 0, "ceiling_rps": round(ceiling_count / ceiling_elapsed, 1),
               "ratio_to_ceiling": round(saturated_rps / (ceiling_count / ceiling_elapsed), 2),
               "session_ceiling_rps": round(session_rps, 1),
               "ratio_to_session_ceiling": round(saturated_rps / session_rps, 2) if session_rps else None,
               "session_ceiling_errors": session_ceiling.errors + session_ceiling.login_failures}))
    return lines
