"""What the job queue (drafting/jobs.py) runs but must not import: it sits below every service.

Registered from above by create_app, in every process that made the app (web, `flask worker`,
the command line): the modules whose ``@task`` functions the queue runs, and the periodic duties
that `flask scheduler` enqueues by name beyond jobs.recover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Flask

from . import jobs
from .extensions import db
from .models import local_today

# Imported for their @task functions: every task is known before a job is enqueued or run.
from .services import documents, imports, mail, passwords  # noqa: F401
from .services.mail import deliver_digests
from .services.reminders import send_deadline_reminders, send_plan_reminders


@dataclass(frozen=True)
class DailyDuty:
    """What one run of the daily duty did."""

    reminders: int
    digests: int
    purged_jobs: int
    purged_files: int


def daily_duty(today: date | None = None) -> DailyDuty:
    """Once a day, from `flask scheduler` or cron's `flask send-reminders` alike: the deadline
    and plan reminders (each once), today's digests, and forgetting old jobs and files."""
    day = today or local_today()
    reminders = send_deadline_reminders(day) + send_plan_reminders(day)
    db.session.commit()  # the reminders' mail jobs are handed over now
    digests = deliver_digests()
    purged = jobs.purge()
    return DailyDuty(reminders, digests, purged["jobs"], purged["files"])


def init_app(app: Flask) -> None:
    """Give the job queue its periodic duties (the same for every app of the process)."""
    jobs.PERIODIC["reminders"] = daily_duty
