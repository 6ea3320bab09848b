"""Command-line tools: flask --app drafting <command>."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from . import jobs
from .backup import BackupError, backup, restore
from .demo import DEMO_PASSWORD, seed_demo, seed_showcase
from .export import assemble
from .export.docx_builder import build_final_docx, build_review_copy_docx
from .extensions import db
from .models import Cooperation, Municipality, Role
from .services import passwords, people
from .services.errors import DomainError, NotFound
from .services.queries import get_response, latest_version
from .worker import daily_duty


def init_app(app: Flask) -> None:
    _register_backup(app)

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load the demo cooperation, its people and a remiss (safe to run twice)."""
        created = seed_demo()
        created = seed_showcase() or created
        db.session.commit()
        if created:
            click.echo(f"Demo data created. Password for every demo account: {DEMO_PASSWORD}")
        else:
            click.echo("Demo data already present; nothing changed.")

    @app.cli.command("create-cooperation")
    @click.argument("name")
    @click.option("--chair", default=None,
                  help="Chair municipality: added as the first member and made chair.")
    def create_cooperation_command(name: str, chair: str | None) -> None:
        """Create a cooperation, optionally with its chair municipality."""
        try:
            cooperation = people.create_cooperation(None, name)
            if chair is not None:
                # A new cooperation has no members yet: the chair becomes its first.
                people.set_chair(cooperation, None, people.add_municipality(cooperation, None, chair))
        except DomainError as error:
            db.session.rollback()  # nothing half-made: not the cooperation without its chair
            raise click.ClickException(error.message) from error
        db.session.commit()
        click.echo(f"Cooperation {cooperation.id}: {cooperation.name}")
        if cooperation.chair_municipality is not None:
            click.echo(f"{cooperation.chair_municipality.name} is its chair municipality.")

    @app.cli.command("add-municipality")
    @click.argument("cooperation")
    @click.argument("name")
    @click.option("--chair", is_flag=True, help="Make it the chair municipality.")
    @click.option("--formal-name", default="", help='Name in documents, e.g. "Lunds kommun".')
    def add_municipality_command(cooperation: str, name: str, chair: bool, formal_name: str) -> None:
        """Add a member municipality to a cooperation (by name)."""
        coop = _find_cooperation(cooperation)
        try:
            municipality = people.add_municipality(coop, None, name, formal_name)
            if chair:
                people.set_chair(coop, None, municipality)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from error
        db.session.commit()
        click.echo(f"{municipality.name} is a member of {coop.name}.")

    @app.cli.command("set-formal-name")
    @click.argument("cooperation")
    @click.argument("name")
    @click.argument("formal_name")
    def set_formal_name_command(cooperation: str, name: str, formal_name: str) -> None:
        """Set the name documents use for a member municipality ("Lunds kommun")."""
        coop = _find_cooperation(cooperation)
        municipality = next((m for m in coop.municipalities if m.name.lower() == name.lower()), None)
        if municipality is None:
            raise click.ClickException(f"{name} is not a member of {coop.name}.")
        try:
            people.set_formal_name(coop, None, municipality, formal_name)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from error
        db.session.commit()
        click.echo(f"{municipality.name} is called {municipality.document_name} in documents.")

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--password", default=None,
                  help="Asked for (hidden) unless given here or --invite is used.")
    @click.option("--invite", is_flag=True,
                  help="No password: print a one-time link (and e-mail it) where the person "
                       "chooses their own.")
    @click.option("--cooperation", required=True, help="Cooperation name.")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--municipality", default=None, help="Municipality name (officials, directors).")
    @click.option("--title", default="")
    @click.option("--system-admin", is_flag=True, help="May administer every cooperation.")
    def create_user_command(email: str, name: str, password: str | None, invite: bool,
                            cooperation: str, role: str, municipality: str | None, title: str,
                            system_admin: bool) -> None:
        """Create a user with a role in a cooperation."""
        if invite and password is not None:
            raise click.UsageError("Use either --invite or --password, not both.")
        if not invite and password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        coop = _find_cooperation(cooperation)
        municipality_id = None
        if municipality:
            municipality_id = db.session.scalar(
                select(Municipality.id).where(Municipality.name == municipality))
            if municipality_id is None:
                raise click.ClickException(f"No municipality named {municipality!r}.")
        try:
            user = people.create_user(email=email, name=name, password=password, cooperation=coop,
                                      role=Role(role), municipality_id=municipality_id, title=title)
            user.is_system_admin = system_admin
            link = passwords.send_invitation(user, coop, None) if invite else None
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from error
        db.session.commit()
        click.echo(f"User {user.email} created as {role} in {coop.name}.")
        if link:
            click.echo(f"Invitation link (works once, until it expires): {link}")

    @app.cli.command("send-reminders")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
    def send_reminders_command(today) -> None:
        """The daily duty: deadline reminders (7 and 2 days before) and plan reminders, each once,
        today's digests, and forgetting finished jobs and stored files after JOBS_KEEP_DAYS."""
        done = daily_duty(today.date() if today else None)
        mailed = 0
        if not isinstance(jobs.backend(), jobs.RqBackend):
            mailed = jobs.run_queued()  # no worker without Redis: this command sends them
        click.echo(f"{done.reminders} reminders created, {done.digests} digests queued, "
                   f"{mailed} jobs run, {done.purged_jobs} old jobs and {done.purged_files} "
                   "stored files forgotten.")

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    def worker_command(burst: bool) -> None:
        """Run queued jobs (PDFs, imports, e-mail) from Redis; start as many as you like."""
        runner = jobs.backend()
        if not isinstance(runner, jobs.RqBackend):
            raise click.ClickException("flask worker needs REDIS_URL; without it the web "
                                       "process runs the jobs itself.")
        jobs._worker_app = current_app._get_current_object()
        jobs.recover()  # what a dead worker left behind
        runner.worker().work(burst=burst, with_scheduler=True)

    @app.cli.command("scheduler")
    @click.option("--reminders-at", default="0 7 * * *", show_default=True,
                  help="When the daily reminders and digests go out (cron syntax, server time).")
    def scheduler_command(reminders_at: str) -> None:
        """Enqueue the periodic duties on Redis: reminders and digests daily, lost jobs each minute."""
        runner = jobs.backend()
        if not isinstance(runner, jobs.RqBackend):
            raise click.ClickException("flask scheduler needs REDIS_URL; without it use cron: "
                                       "flask send-reminders and flask jobs-recover.")
        from rq.cron import CronScheduler  # rq only where Redis is used

        scheduler = CronScheduler(connection=runner.connection)
        scheduler.register(jobs.scheduled, runner.queue_name, args=("recover",), interval=60)
        scheduler.register(jobs.scheduled, runner.queue_name, args=("reminders",),
                           cron=reminders_at)
        scheduler.start()

    @app.cli.command("jobs-recover")
    def jobs_recover_command() -> None:
        """Hand over again jobs whose worker died and queued jobs nobody picked up."""
        handed = jobs.recover()
        if not isinstance(jobs.backend(), jobs.RqBackend):
            jobs.run_queued()
        click.echo(f"{handed} jobs handed over again.")

    @app.cli.command("export")
    @click.argument("response_id", type=int)
    @click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--review-copy", is_flag=True, help="The latest version with its open comments.")
    def export_command(response_id: int, out_path: Path, review_copy: bool) -> None:
        """Write the Word document of a response (final, or the latest version marked as a draft)."""
        try:
            response = get_response(response_id)
        except NotFound as error:
            raise click.ClickException(error.message) from error
        template = assemble.cooperation_template(response.cooperation_id)
        if review_copy:
            version = latest_version(response)
            if version is None:
                raise click.ClickException("No published version to export as a review copy.")
            data = build_review_copy_docx(assemble.review_copy(response, version), template)
        else:
            data = build_final_docx(assemble.final_document(response), template)
        out_path.write_bytes(data)
        click.echo(f"Wrote {out_path} ({len(data)} bytes).")


def _register_backup(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path) -> None:
        """Write a consistent backup of the database to PATH (safe while the app runs)."""
        try:
            backup(path)
        except BackupError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Backup written to {path}.")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore_command(path: Path, yes: bool) -> None:
        """Replace the database's contents with the backup at PATH."""
        if not yes:
            click.confirm("This replaces everything in the database. Continue?", abort=True)
        try:
            restore(path)
        except BackupError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Database restored from {path}.")


def _find_cooperation(name: str) -> Cooperation:
    cooperation = db.session.scalars(select(Cooperation).where(Cooperation.name == name)).first()
    if cooperation is None:
        raise click.ClickException(f"No cooperation named {name!r}.")
    return cooperation
