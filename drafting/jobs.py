"""Slow work off the request: PDF conversion, large Word imports, e-mail.

One interface, two ways of running it:

- with ``REDIS_URL``: RQ. ``flask worker`` (on this machine or others) runs the jobs and
  ``flask scheduler`` enqueues the daily reminders and digests and re-runs lost jobs;
- without it (``make run``): a small pool of threads inside the web process.

The ``job`` table is the truth about each job (queued, running, done, failed; attempts; the
last error); Redis or the pool only carry its id. A job row is written in the caller's
transaction and handed to the runner after that transaction commits, so a job never runs
before the data it works on exists, and a job is never lost with a rolled-back request.

A task is a plain function registered with ``@task`` (drafting/worker.py imports the modules
that hold them); it must be idempotent (it may run twice: a worker can die after the work and
before recording it). Failures are retried with backoff (``JOB_RETRY_DELAYS``) up to the task's
attempts; then the job is failed, and listed for the administrator with its error and a button
that runs it again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import delete, event, or_, select, update

from .database import insert_unless_taken
from .extensions import db
from .models import Job, JobStatus, StoredFile, utcnow

log = logging.getLogger(__name__)

QUEUE_NAME = "yttrande"
# A queued job that no runner picked up in this long (Redis was down when it was handed over)
# is handed over again by recover().
LOST_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Task:
    name: str
    func: Callable[..., Any]
    attempts: int  # runs in all, the first included
    timeout: int  # seconds one run may take; after that its worker is presumed lost


TASKS: dict[str, Task] = {}


def task(name: str, *, attempts: int = 3, timeout: int = 120):
    """Register a function as the task `name` (its arguments must be JSON: ids, strings)."""
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        TASKS[name] = Task(name, func, attempts, timeout)
        return func
    return register


class PermanentFailure(Exception):
    """Running again will not help (LibreOffice is missing, the input is gone): fail now."""


# --- the interface ----------------------------------------------------------------------------


def enqueue(task_name: str, *args: Any, key: str, cooperation_id: int | None = None,
            created_by_id: int | None = None) -> Job:
    """The job for `key`: the existing one whatever its state, or a new one.

    A new job runs once the caller's transaction commits. Concurrent callers with the same key
    get the same job (the key is unique; the loser of the race reads the winner's row).
    """
    spec = TASKS[task_name]
    job = insert_unless_taken(Job, key=key, task=spec.name, args=list(args),
                              status=JobStatus.QUEUED.value, attempts=0,
                              max_attempts=spec.attempts, cooperation_id=cooperation_id,
                              created_by_id=created_by_id)
    if job is None:  # asked for before, or at the same time: that job, whatever its state
        existing = find(key)
        if existing is None:
            raise RuntimeError(f"job {key!r} was taken but cannot be read")
        return existing
    _dispatch_after_commit(job.id)
    return job


def find(key: str) -> Job | None:
    """The job of this key, if there is one."""
    return db.session.scalar(select(Job).where(Job.key == key))


def get(job_id: int) -> Job | None:
    return db.session.get(Job, job_id)


def retry(job: Job) -> None:
    """Run a failed (or finished) job again from its first attempt, after the commit."""
    job.status = JobStatus.QUEUED.value
    job.attempts = 0
    job.error = None
    job.lease_until = None
    job.finished_at = None
    job.updated_at = utcnow()
    _dispatch_after_commit(job.id)


def failed_jobs(cooperation_id: int | None, limit: int = 200) -> list[Job]:
    """Failed jobs of one cooperation (None: those that belong to none), newest first."""
    query = select(Job).where(Job.status == JobStatus.FAILED.value)
    query = query.where(Job.cooperation_id.is_(None) if cooperation_id is None
                        else Job.cooperation_id == cooperation_id)
    return list(db.session.scalars(query.order_by(Job.updated_at.desc()).limit(limit)))


def recover(now=None) -> int:
    """Hand over again what was lost: running jobs whose worker died, queued ones never picked up.

    Called by the scheduler every minute (and by ``flask jobs-recover``). Harmless when nothing
    was lost: a job is claimed by exactly one run.
    """
    now = now or utcnow()
    handed = 0
    stale = list(db.session.scalars(select(Job).where(
        Job.status == JobStatus.RUNNING.value, Job.lease_until < now)))
    for job in stale:
        if job.attempts >= job.max_attempts:
            job.status = JobStatus.FAILED.value
            job.error = ((job.error or "") + "\n" + _("Arbetet avbröts: den som körde det "
                                                       "stannade mitt i.")).strip()
            job.finished_at = now
        else:
            job.status = JobStatus.QUEUED.value
            job.lease_until = None
            _dispatch_after_commit(job.id)
            handed += 1
        job.updated_at = now
    lost = list(db.session.scalars(select(Job).where(
        Job.status == JobStatus.QUEUED.value, Job.updated_at < now - LOST_AFTER)))
    for job in lost:
        job.updated_at = now
        _dispatch_after_commit(job.id)
        handed += 1
    db.session.commit()
    return handed


def purge(now=None) -> dict[str, int]:
    """Forget what is old: finished jobs and stored files after JOBS_KEEP_DAYS, failed jobs after
    FAILED_JOBS_KEEP_DAYS. Queued and running jobs, and the files they will read, are kept.

    Part of the daily duty. What a purged file was for is made again when asked for (a PDF:
    services/documents.py runs its job again when the job's file is gone).
    """
    now = now or utcnow()
    config = current_app.config
    kept_since = now - timedelta(days=config["JOBS_KEEP_DAYS"])
    failed_since = now - timedelta(days=config["FAILED_JOBS_KEEP_DAYS"])
    jobs_deleted = db.session.execute(delete(Job).where(or_(
        (Job.status == JobStatus.DONE.value) & (Job.updated_at < kept_since),
        (Job.status == JobStatus.FAILED.value) & (Job.updated_at < failed_since),
    )).execution_options(synchronize_session=False)).rowcount
    pending = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
    # A pending job's own file: stored under its key, or its key and a suffix (an upload).
    pending_keys = select(Job.key).where(Job.status.in_(pending))
    pending_uploads = select(Job.key + ":docx").where(Job.status.in_(pending))
    files_deleted = db.session.execute(delete(StoredFile).where(
        StoredFile.created_at < kept_since, StoredFile.key.not_in(pending_keys),
        StoredFile.key.not_in(pending_uploads),
    ).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return {"jobs": jobs_deleted, "files": files_deleted}


# --- running one job --------------------------------------------------------------------------


def run_job(job_id: int) -> None:
    """Run job `job_id` once if it is queued: claim it, run its task, record the outcome."""
    job = db.session.get(Job, job_id)
    if job is None or job.status != JobStatus.QUEUED.value or job.task not in TASKS:
        db.session.rollback()
        return
    spec = TASKS[job.task]
    args = list(job.args or [])  # set when the job was made, never changed
    now = utcnow()
    claimed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED.value)
        .values(status=JobStatus.RUNNING.value, attempts=Job.attempts + 1, updated_at=now,
                lease_until=now + timedelta(seconds=spec.timeout))
        .execution_options(synchronize_session=False)
    ).rowcount
    # Committed before the task works: the claim holds, and no transaction (on SQLite: no
    # write lock) stays open while it runs.
    db.session.commit()
    if not claimed:
        return  # another run took it first
    try:
        result = spec.func(*args)
    except Exception as error:  # noqa: BLE001 - every failure is recorded, none escapes
        db.session.rollback()
        _record_failure(job_id, error)
        return
    db.session.execute(
        update(Job).where(Job.id == job_id)
        .values(status=JobStatus.DONE.value, result=result, error=None, lease_until=None,
                finished_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    _finished(job_id)


def _record_failure(job_id: int, error: Exception) -> None:
    job = db.session.get(Job, job_id)
    if job is None:
        return
    message = f"{type(error).__name__}: {error}"
    if error.__cause__ is not None:  # what the mail server or LibreOffice actually said
        message += f"\n{type(error.__cause__).__name__}: {error.__cause__}"
    message = message[:4000]
    log.warning("job %s (%s) attempt %d of %d failed: %s", job.id, job.task, job.attempts,
                job.max_attempts, message)
    now = utcnow()
    job.error = message
    job.updated_at = now
    job.lease_until = None
    delay = None
    if isinstance(error, PermanentFailure) or job.attempts >= job.max_attempts:
        job.status = JobStatus.FAILED.value
        job.finished_at = now
    else:
        job.status = JobStatus.QUEUED.value
        delay = retry_delay(job.attempts)
    db.session.commit()
    if delay is None:
        _finished(job_id)
    else:
        backend().dispatch(job_id, delay)


def retry_delay(attempts: int) -> float:
    """Seconds to wait before the next attempt, after `attempts` failed ones."""
    delays = current_app.config.get("JOB_RETRY_DELAYS") or (0,)
    if isinstance(delays, str | int):
        delays = [part for part in str(delays).split(",") if part.strip()] or [0]
    return float(list(delays)[min(attempts, len(delays)) - 1])


# --- handing jobs to a runner -----------------------------------------------------------------


def _dispatch_after_commit(job_id: int) -> None:
    db.session.info.setdefault("jobs_to_dispatch", []).append(job_id)


def _after_commit(session) -> None:
    pending = session.info.pop("jobs_to_dispatch", None)
    if pending:
        runner = backend()
        for job_id in pending:
            runner.dispatch(job_id, 0)


def _after_soft_rollback(session, previous_transaction) -> None:
    # Only the whole transaction: a savepoint that lost a race (same key) keeps earlier jobs.
    if previous_transaction.parent is None:
        session.info.pop("jobs_to_dispatch", None)


class ThreadBackend:
    """The embedded default: a few threads of the web process run the jobs."""

    def __init__(self, app: Flask, workers: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="yttrande-job")
        self.changed = threading.Condition()

    def dispatch(self, job_id: int, delay: float) -> None:
        if delay > 0:
            timer = threading.Timer(delay, self._submit, (job_id,))
            timer.daemon = True
            timer.start()
        else:
            self._submit(job_id)

    def _submit(self, job_id: int) -> None:
        self.executor.submit(self._run, job_id)

    def _run(self, job_id: int) -> None:
        with self.app.app_context():
            try:
                run_job(job_id)
            except Exception:  # noqa: BLE001 - a broken database must not kill the pool
                log.exception("job %s could not be run", job_id)
            finally:
                db.session.remove()
        self.notify()

    def notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def wait(self, timeout: float) -> None:
        with self.changed:
            self.changed.wait(timeout)


class ManualBackend:
    """For tests: jobs wait until the test runs them with run_queued()."""

    def __init__(self) -> None:
        self.dispatched: list[int] = []

    def dispatch(self, job_id: int, delay: float) -> None:
        self.dispatched.append(job_id)

    def notify(self) -> None:
        pass

    def wait(self, timeout: float) -> None:
        raise RuntimeError("manual jobs only run through run_queued()")


class RqBackend:
    """With REDIS_URL: RQ carries the job id to `flask worker`, wherever it runs."""

    def __init__(self, url: str, queue_name: str) -> None:
        # redis and rq are imported only here: without REDIS_URL they are never loaded.
        from redis import Redis

        self.connection = Redis.from_url(url)
        self.queue_name = queue_name

    def queue(self):
        from rq import Queue  # lazily, as redis above

        return Queue(self.queue_name, connection=self.connection)

    def worker(self):
        """The RQ worker of `flask worker`: it runs each job in its own process, without a fork
        per job. A forked work horse would open its own database connection and warm its caches
        for every e-mail, which cost a fifth of a 2-core machine's time under load (make bench).
        What bounds a job is the same either way: LibreOffice and SMTP time out on their own,
        and the job of a worker that died is handed on when its lease runs out (recover)."""
        from rq import SimpleWorker  # lazily, as redis above

        return SimpleWorker([self.queue()], connection=self.connection)

    def dispatch(self, job_id: int, delay: float) -> None:
        from redis.exceptions import RedisError  # lazily, as redis above

        try:
            if delay > 0:
                self.queue().enqueue_in(timedelta(seconds=delay), perform, job_id,
                                        job_timeout=-1, result_ttl=0, failure_ttl=86400)
            else:
                self.queue().enqueue(perform, job_id, job_timeout=-1, result_ttl=0,
                                     failure_ttl=86400)
        except RedisError:
            # The row stays queued; recover() hands it over again once Redis answers.
            log.exception("job %s could not be handed to Redis", job_id)

    def notify(self) -> None:
        pass

    def wait(self, timeout: float) -> None:
        threading.Event().wait(min(timeout, 0.05))  # another process: nothing to wait on here


def backend():
    """This app's runner (made on first use)."""
    app = current_app._get_current_object()
    runner = app.extensions.get("yttrande_jobs")
    if runner is None:
        with _lock:
            runner = app.extensions.get("yttrande_jobs")
            if runner is None:
                runner = _make_backend(app)
                app.extensions["yttrande_jobs"] = runner
    return runner


_lock = threading.Lock()


def _make_backend(app: Flask):
    kind = app.config.get("JOBS_BACKEND") or ("rq" if app.config.get("REDIS_URL") else "thread")
    if kind == "rq":
        return RqBackend(app.config["REDIS_URL"], app.config.get("JOBS_QUEUE") or QUEUE_NAME)
    if kind == "manual":
        return ManualBackend()
    return ThreadBackend(app, int(app.config.get("JOBS_THREADS") or 2))


def run_queued() -> int:
    """Run every queued job now, in this thread (tests, and `flask jobs-run` without Redis)."""
    ran = 0
    while True:
        ids = list(db.session.scalars(select(Job.id).where(Job.status == JobStatus.QUEUED.value)
                                      .order_by(Job.id)))
        db.session.commit()
        if not ids:
            return ran
        for job_id in ids:
            run_job(job_id)
            ran += 1


def wait(job_id: int, timeout: float = 30) -> Job:
    """Wait until the job is done or failed (or the timeout passes); the job as it is then."""
    deadline = time.monotonic() + timeout
    runner = backend()
    while True:
        db.session.rollback()  # read what the runner committed
        job = db.session.get(Job, job_id)
        status = job.status if job is not None else None
        db.session.commit()  # and hold no transaction (on SQLite: the write lock) while waiting
        if job is None or status in (JobStatus.DONE.value, JobStatus.FAILED.value):
            return job
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return job
        runner.wait(min(remaining, 0.2))


def _finished(job_id: int) -> None:
    runner = current_app.extensions.get("yttrande_jobs")
    if runner is not None:
        runner.notify()


# --- RQ entry points (they run in `flask worker`) --------------------------------------------
# RQ stores them by dotted path ("drafting.jobs.perform"), so they stay here. The queue imports
# no service and not the app factory: the app they run in and the periodic duties beyond
# recover() are handed in from above (`flask worker` sets the app; drafting/worker.py, through
# create_app, registers the duties).

_worker_app: Flask | None = None


def _app() -> Flask:
    if _worker_app is None:
        raise RuntimeError("No application for this worker: start workers with `flask worker`, "
                           "which sets drafting.jobs._worker_app.")
    return _worker_app


def perform(job_id: int) -> None:
    """What RQ runs: job `job_id` in the application's context."""
    with _app().app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def scheduled(name: str) -> None:
    """What the scheduler enqueues: one of the periodic duties, by name."""
    with _app().app_context():
        try:
            PERIODIC[name]()
        finally:
            db.session.remove()


# The periodic duties by name, as `flask scheduler` enqueues them; the ones that need services
# are added from above (drafting/worker.py).
PERIODIC: dict[str, Callable[[], Any]] = {
    "recover": recover,
}


def init_app(app: Flask) -> None:
    """Hand jobs over when their transaction commits (one listener for all apps)."""
    if not event.contains(db.session, "after_commit", _after_commit):
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_soft_rollback", _after_soft_rollback)
