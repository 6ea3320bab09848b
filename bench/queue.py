"""The job queue under load: ``python -m bench queue``.

gunicorn (4 workers) and one ``flask worker`` on Redis (``BENCH_REDIS_URL``, default db 3 of
127.0.0.1:6379) serve a fresh PostgreSQL database ``yttrande_bench_queue`` with the bench response;
e-mail goes to a local aiosmtpd sink.

* ``pdf_burst``: 20 readers load the response page over and over; alone (``calm``), then
  while 8 others ask for its PDF at once and wait for it as the page's script does; ``BURSTS``
  (4) times, the stored PDF forgotten after each so that each burst converts. Readers' p95 over
  all calm and all burst spells (one burst gives too few samples for a steady p95), seconds
  from a burst to its last PDF (the longest), and conversions (LibreOffice runs, in all).
  Target: ``readers_p95_ratio`` ≤ 1.5.
* ``mail_latency``: seconds from an objection (the POST) to its e-mail arriving in the sink.
  Target: under 5 s.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from drafting.mailsink import MailSink

from .load import _forget_queue, _free_port, _start_server, _stop_server

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "yttrande_bench_queue"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE_URL = f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
PASSWORD = "demo-losenord"
READERS = 20
PDF_USERS = 8
CALM_SECONDS = float(os.environ.get("BENCH_QUEUE_CALM_SECONDS", 10))
BURSTS = int(os.environ.get("BENCH_QUEUE_BURSTS", 4))
OBJECTIONS = 3
TIMEOUT = (5.0, 120.0)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _recreate_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DB_NAME}")


def _build() -> tuple[int, int, list[str]]:
    """The bench response (in review): its id, its version number, the officials' e-mails."""
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from drafting import create_app
    from drafting.extensions import db
    from drafting.models import User
    from drafting.services.queries import latest_version

    from . import dataset

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "JOBS_BACKEND": "manual"})
    with app.app_context():
        upgrade(directory=str(Path(app.root_path) / "migrations"))
        response = dataset.build(sections=40, versions=5, comments=300)
        version = latest_version(response)
        emails = list(db.session.scalars(select(User.email).where(
            User.email.like("tjansteman.%")).order_by(User.email)))
        result = (response.id, version.number, emails)
        # The data set's own notifications were mailed long ago, as far as this bench is concerned.
        db.session.execute(text("UPDATE job SET status = 'done' WHERE status = 'queued'"))
        db.session.execute(text("UPDATE notification SET emailed = true"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result


def _session(base: str, email: str) -> requests.Session:
    session = requests.Session()
    answer = session.post(f"{base}/login", data={"email": email, "password": PASSWORD},
                          allow_redirects=False, timeout=TIMEOUT)
    if answer.status_code != 302:
        raise RuntimeError(f"login as {email} answered {answer.status_code}")
    return session


class Readers:
    """Readers of the response page, each timing every request, until stopped."""

    def __init__(self, base: str, response_id: int, emails: list[str]) -> None:
        self.samples: list[tuple[float, float]] = []  # (start, seconds)
        self.errors = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sessions = [_session(base, emails[i % len(emails)]) for i in range(READERS)]
        self.url = f"{base}/responses/{response_id}"
        self.threads = [threading.Thread(target=self._read, args=(s,)) for s in self.sessions]

    def _read(self, session: requests.Session) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                ok = session.get(self.url, allow_redirects=False, timeout=TIMEOUT).status_code == 200
            except requests.RequestException:
                ok = False
            with self.lock:
                if ok:
                    self.samples.append((started, time.monotonic() - started))
                else:
                    self.errors += 1

    def between(self, start: float, end: float) -> list[float]:
        with self.lock:
            return [seconds for begun, seconds in self.samples if start <= begun <= end]


def _fetch_pdf(session: requests.Session, base: str, response_id: int) -> tuple[bool, float]:
    """Ask for the PDF and wait for it as static/jobs.js does; (got a PDF, seconds)."""
    started = time.monotonic()
    answer = session.get(f"{base}/responses/{response_id}/export/final.pdf",
                         allow_redirects=False, timeout=TIMEOUT)
    if answer.status_code == 200:
        return answer.content.startswith(b"%PDF"), time.monotonic() - started
    if answer.status_code != 303:
        return False, time.monotonic() - started
    waiting = answer.headers["Location"]
    waiting = waiting if waiting.startswith("http") else base + waiting
    deadline = time.monotonic() + 300
    pause = 1.0
    while time.monotonic() < deadline:
        time.sleep(pause)  # static/jobs.js: after 1 s, then 1.5 times longer each time, at most 5 s
        pause = min(pause * 1.5, 5.0)
        status = session.get(waiting + "/status.json", timeout=TIMEOUT).json()
        if status["state"] == "done":
            url = status["url"] if status["url"].startswith("http") else base + status["url"]
            file = session.get(url, timeout=TIMEOUT)
            return file.content.startswith(b"%PDF"), time.monotonic() - started
        if status["state"] == "failed":
            return False, time.monotonic() - started
    return False, time.monotonic() - started


def _conversions() -> int:
    import psycopg

    with psycopg.connect(DATABASE_URL) as connection:
        row = connection.execute("SELECT coalesce(sum(attempts), 0) FROM job "
                                 "WHERE task = 'pdf.convert'").fetchone()
    return int(row[0])


def _forget_pdfs() -> None:
    """Drop the stored PDFs and their jobs, so that the next burst converts again."""
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
        connection.execute("DELETE FROM stored_file WHERE key LIKE 'pdf:%'")
        connection.execute("DELETE FROM job WHERE task = 'pdf.convert'")


def pdf_burst(base: str, response_id: int, emails: list[str]) -> dict:
    """BURSTS times: a calm spell, then 8 askers at once; p95 over all calm and all burst samples
    (one burst gives too few readers' requests for a steady p95)."""
    readers = Readers(base, response_id, emails)
    askers = [_session(base, emails[(i + 3) % len(emails)]) for i in range(PDF_USERS)]
    for thread in readers.threads:
        thread.start()
    calm: list[float] = []
    burst: list[float] = []
    results: list[tuple[bool, float]] = []
    conversions = 0
    lock = threading.Lock()
    for _ in range(BURSTS):
        calm_start = time.monotonic()
        readers.stop.wait(CALM_SECONDS)
        burst_start = time.monotonic()
        barrier = threading.Barrier(PDF_USERS)

        def ask(session: requests.Session, barrier: threading.Barrier = barrier) -> None:
            barrier.wait(60)
            outcome = _fetch_pdf(session, base, response_id)
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=ask, args=(s,)) for s in askers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
        burst_end = time.monotonic()
        calm += readers.between(calm_start, burst_start)
        burst += readers.between(burst_start, burst_end)
        conversions += _conversions()
        _forget_pdfs()
    readers.stop.set()
    for thread in readers.threads:
        thread.join(120)
    calm_p95, burst_p95 = _percentile(calm, 0.95), _percentile(burst, 0.95)
    return {
        "name": "pdf_burst", "bursts": BURSTS, "pdfs": sum(1 for ok, _ in results if ok),
        "readers": READERS,
        "readers_p95_ms": round(burst_p95 * 1000, 1),
        "readers_p95_calm_ms": round(calm_p95 * 1000, 1),
        "readers_p95_ratio": round(burst_p95 / calm_p95, 2) if calm_p95 else None,
        "readers_requests_burst": len(burst), "readers_requests_calm": len(calm),
        "last_pdf_s": round(max((s for _, s in results), default=0.0), 2),
        "conversions": conversions, "errors": readers.errors + sum(1 for ok, _ in results if not ok),
    }


def mail_latency(base: str, response_id: int, version: int, emails: list[str],
                 sink: MailSink) -> dict:
    seconds: list[float] = []
    errors = 0
    for email in emails[:OBJECTIONS]:
        session = _session(base, email)
        before = len(sink.messages)
        started = time.monotonic()
        answer = session.post(f"{base}/responses/{response_id}/position",
                              data={"version_number": version, "decision": "object",
                                    "note": "Bänk: finansieringen saknas"},
                              allow_redirects=False, timeout=TIMEOUT)
        if answer.status_code not in (302, 303):
            errors += 1
            continue
        if sink.wait_for(before + 1, 60):
            seconds.append(time.monotonic() - started)
        else:
            errors += 1
    return {"name": "mail_latency", "seconds": round(statistics.median(seconds), 3) if seconds else None,
            "max_seconds": round(max(seconds), 3) if seconds else None, "mails": len(seconds),
            "errors": errors}


def run() -> list[str]:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL).ping()
    except Exception as error:  # noqa: BLE001 - reported as the line's error
        return [json.dumps({"name": "pdf_burst", "error": f"Redis: {error}"})]
    _recreate_database()
    response_id, version, emails = _build()
    sink = MailSink().start()
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    workdir = Path(tempfile.mkdtemp(prefix="yttrande-bench-queue-"))
    port = _free_port()
    # The same deployment as bench/load.py: gunicorn and one flask worker on Redis, mail to the sink.
    processes = _start_server(port, workdir / "servers.log", sink.port, queue,
                              database_url=DATABASE_URL, redis_url=REDIS_URL)
    base = f"http://127.0.0.1:{port}"
    lines = []
    try:
        lines.append(json.dumps(pdf_burst(base, response_id, emails)))
        lines.append(json.dumps(mail_latency(base, response_id, version, emails, sink)))
    finally:
        _stop_server(processes)
        sink.stop()
        _forget_queue(queue, redis_url=REDIS_URL)
    return lines
