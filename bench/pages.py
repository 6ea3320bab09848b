"""Server time and SQL query count of the response page and the diff page."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from drafting import create_app
from drafting.extensions import db

RUNS = 30


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _measure(client, url: str, counter: list[int]) -> tuple[list[float], int]:
    client.get(url)  # warm caches and templates
    times, queries = [], 0
    for _ in range(RUNS):
        counter[0] = 0
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = counter[0]
    return times, queries


def _measure_after_comments(app, client, response_id: int, counter: list[int]) -> tuple[list[float], int]:
    """The page right after someone else's new comment: the whole column's cache is stale, and
    only the commented section is rendered again (views/document_column.py)."""
    from drafting.models import JointResponse, User
    from drafting.services import comments, drafting

    times, queries = [], 0
    for run in range(RUNS):
        with app.app_context():
            response = db.session.get(JointResponse, response_id)
            author = db.session.scalars(db.select(User).where(
                User.email == "tjansteman.malmo@example.se")).one()
            sections = drafting.working_sections(response)
            comments.add_comment(response, author, sections[run % len(sections)],
                                 f"Ny synpunkt nummer {run}.")
            db.session.commit()
            db.session.remove()
        counter[0] = 0
        start = time.perf_counter()
        answer = client.get(f"/responses/{response_id}")
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200 and f"nummer {run}." in answer.get_data(as_text=True)
        queries = counter[0]
    return times, queries


def _line(name: str, times: list[float], queries: int, baseline_ms: float, **extra) -> str:
    median = statistics.median(times)
    return json.dumps({"name": name, "median_ms": round(median, 1),
                       "p95_ms": round(_percentile(times, 0.95), 1), "queries": queries, **extra,
                       "baseline_ms": round(baseline_ms, 1),
                       "ratio_to_baseline": round(median / baseline_ms, 2)})


def run() -> list[str]:
    from flask_migrate import upgrade

    from . import dataset

    workdir = Path(tempfile.mkdtemp(prefix="yttrande-bench-"))
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite'}",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "WTF_CSRF_ENABLED": False,
                      # The dataset's notification mails would otherwise run beside the measurement.
                      "JOBS_BACKEND": "manual"})
    lines = []
    with app.app_context():
        upgrade(directory=str(Path(app.root_path) / "migrations"))
        response = dataset.build()
        response_id = response.id
        counter = [0]
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: counter.__setitem__(0, counter[0] + 1))
        db.session.remove()
    client = app.test_client()
    client.post("/login", data={"email": "tjansteman.lund@example.se", "password": "demo-losenord"})
    # The baseline: a trivial page of the same app (the login form), measured in this same run.
    baseline = statistics.median(_measure(app.test_client(), "/login", counter)[0])
    times, queries = _measure(client, f"/responses/{response_id}", counter)
    lines.append(_line("response_page", times, queries, baseline,
                       sections=40, comments=1000, versions=20))
    times, queries = _measure_after_comments(app, client, response_id, counter)
    lines.append(_line("response_page_after_comment", times, queries, baseline))
    times, queries = _measure(client, f"/responses/{response_id}/compare?from=1&to=20", counter)
    lines.append(_line("diff_page", times, queries, baseline))
    return lines
