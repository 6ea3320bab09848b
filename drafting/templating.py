"""Template globals and filters shared by every page."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, g
from flask_babel import format_date, get_locale, gettext
from flask_login import current_user
from markupsafe import Markup, escape

from .labels import (
    DEADLINE_WINDOW_LABELS,
    DECISION_LABELS,
    EVENT_KIND_LABELS,
    FOCUS_AREA_LABELS,
    PARTICIPATION_LABELS,
    ROLE_LABELS,
    STAGE_LABELS,
)
from .models import Stage, local_today
from .permissions import Action, CooperationAction, can, can_in_cooperation
from .services.fingerprint import short_fingerprint

_TABLE_OPEN = re.compile(r"<table(?:\s[^>]*)?>")


def scroll_tables(html: str) -> Markup:
    """Each table of rendered, sanitized HTML inside its own focusable scroll region, so a wide
    table scrolls by itself (by keyboard too) instead of widening the page. No text is added:
    passage offsets on the page stay those of the stored HTML."""
    def region(match: re.Match) -> str:
        # Numbered through the request: landmarks on one page need names of their own.
        g.scroll_tables = g.get("scroll_tables", 0) + 1
        label = escape(gettext("Tabell %(n)d", n=g.scroll_tables))
        return f'<div class="table-scroll" role="region" aria-label="{label}" tabindex="0">{match.group(0)}'

    opened = _TABLE_OPEN.sub(region, str(html))
    return Markup(opened.replace("</table>", "</table></div>"))


def days_left(deadline: date, today: date | None = None) -> int:
    return (deadline - (today or local_today())).days


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    # Less whitespace in long pages (a response may show a thousand comments).
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def inject() -> dict:
        return {
            "Action": Action,
            "CooperationAction": CooperationAction,
            "Stage": Stage,
            "can": lambda action, response: can(current_user, action, response),
            "can_in_cooperation": lambda action, coop: can_in_cooperation(current_user, action, coop),
            "STAGE_LABELS": STAGE_LABELS,
            "FOCUS_AREA_LABELS": FOCUS_AREA_LABELS,
            "PARTICIPATION_LABELS": PARTICIPATION_LABELS,
            "ROLE_LABELS": ROLE_LABELS,
            "DECISION_LABELS": DECISION_LABELS,
            "DEADLINE_WINDOW_LABELS": DEADLINE_WINDOW_LABELS,
            "EVENT_KIND_LABELS": EVENT_KIND_LABELS,
            "days_left": days_left,
            "today": local_today(),
            "get_locale": get_locale,
        }

    local_zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])

    @app.template_filter("day")
    def day_filter(value: date | datetime | None) -> str:
        # ISO dates in Swedish local time; strftime, as Babel is slow for a thousand comments.
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.astimezone(local_zone).strftime("%Y-%m-%d %H:%M")
        return value.isoformat() if isinstance(value, date) else str(value)

    app.add_template_filter(short_fingerprint, "short_fingerprint")
    app.add_template_filter(scroll_tables, "scroll_tables")

    @app.template_filter("longdate")
    def longdate_filter(value: date | None) -> str:
        return format_date(value, "long") if value else ""
