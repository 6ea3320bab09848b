"""What the job queue (drafting/jobs.py) runs but must not import: it sits below every service.

Registered from above by create_app, in every process that made the app (web, `flask worker`,
the command line): the modules whose ``@task`` functions the queue runs, and the periodic duties
that `flask scheduler` enqueues by name beyond jobs.recover.
"""

from __future__ import annotations

from flask import Flask

from . import jobs
from .extensions import db
from .models import local_today

# Imported for their @task functions: every task is known before a job is enqueued or run.
from .services import documents, imports, mail, passwords  # noqa: F401
from .services.mail import deliver_digests
from .services.reminders import send_deadline_reminders


def send_reminders() -> None:
    """The scheduler's daily duty: deadline reminders, then today's digests."""
    send_deadline_reminders(local_today())
    db.session.commit()  # the reminders' mail jobs are handed over now
    deliver_digests()


def init_app(app: Flask) -> None:
    """Give the job queue its periodic duties (the same for every app of the process)."""
    jobs.PERIODIC["reminders"] = send_reminders
