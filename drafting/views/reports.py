"""In-app notifications and the yearly follow-up report."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, update

from ..csv_export import csv_download
from ..extensions import db
from ..labels import FOCUS_AREA_LABELS
from ..models import Cooperation, Notification, utcnow
from ..permissions import CooperationAction, ensure_in_cooperation
from ..services.followup import build_report, current_year
from .common import commit, query_int

bp = Blueprint("reports", __name__)


@bp.route("/notifications")
@login_required
def notifications():
    items = list(db.session.scalars(
        select(Notification).where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc()).limit(200)
    ))
    return render_template("reports/notifications.html", items=items)


@bp.post("/notifications/read")
@login_required
def mark_read():
    db.session.execute(update(Notification).where(
        Notification.user_id == current_user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    commit()
    return redirect(url_for("reports.notifications"))


def _report(cooperation_id: int):
    cooperation = db.session.get(Cooperation, cooperation_id) or abort(404)
    ensure_in_cooperation(current_user, CooperationAction.VIEW, cooperation)
    year = query_int("year", current_year(), minimum=2000, maximum=2100)
    return cooperation, build_report(cooperation, year)


@bp.route("/cooperations/<int:cooperation_id>/report")
@login_required
def followup(cooperation_id: int):
    cooperation, report = _report(cooperation_id)
    labels = {key: str(label) for key, label in FOCUS_AREA_LABELS.items()}
    return render_template("reports/followup.html", cooperation=cooperation, report=report,
                           labels=labels)


@bp.route("/cooperations/<int:cooperation_id>/report.csv")
@login_required
def followup_csv(cooperation_id: int):
    cooperation, report = _report(cooperation_id)
    rows: list[list[object]] = [
        ["ar", "samarbete", "oppnade", "skickade", "aterkallade",
         "median_dagar_till_samsyn", "median_dagar_till_skickat"],
        [report.year, report.cooperation, report.opened, report.sent, report.withdrawn,
         report.median_days_to_consensus if report.median_days_to_consensus is not None else "",
         report.median_days_to_sending if report.median_days_to_sending is not None else ""],
        [],
        ["fokusomrade", "skickade"],
        *([FOCUS_AREA_LABELS[area], count] for area, count in report.sent_by_focus_area.items()),
        [],
        ["kommun", "inbjuden", "deltog", "avbojde", "avstod"],
        *([row.name, row.invited, row.joined, row.declined, row.stepped_aside]
          for row in report.participation),
    ]
    return csv_download(rows, f"uppfoljning-{report.year}.csv")
