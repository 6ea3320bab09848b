"""Eleven municipalities recording positions at the same moment, from separate processes."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import func, select

from drafting.demo import MUNICIPALITIES, email_for
from drafting.models import AuditEvent, Notification, Position, SignOff, Stage, local_today
from drafting.services import drafting, responses
from tests.conftest import coordinator, municipality, official

pytestmark = pytest.mark.slow


def _worker(database_url: str, email: str, path: str, data: dict, barrier, results) -> None:
    from drafting import create_app

    # Correctness under contention, not latency: on a loaded machine 22 SQLite writers may queue
    # longer than production's busy timeout, so the queue is allowed to be long here.
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": database_url, "SQLITE_BUSY_TIMEOUT_MS": 600_000})
    client = app.test_client()
    login = client.post("/login", data={"email": email, "password": "demo-losenord"})
    barrier.wait(timeout=600)
    response = client.post(path, data=data)
    results.put((email, login.status_code, response.status_code))


def run_concurrently(app, jobs: list[tuple[str, str, dict]]) -> list[tuple[str, int, int]]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(jobs))
    results = context.Queue()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    processes = [context.Process(target=_worker, args=(url, email, path, data, barrier, results))
                 for email, path, data in jobs]
    for process in processes:
        process.start()
    collected = [results.get(timeout=900) for _ in processes]
    for process in processes:
        process.join(timeout=120)
    return collected


def test_eleven_simultaneous_positions_lose_nothing_and_declare_consensus_once(app, db, demo):
    responses.invite(demo, coordinator(), [municipality(n).id for n in MUNICIPALITIES])
    for name in MUNICIPALITIES:
        responses.answer_invitation(demo, official(name), join=True)
    drafting.publish_version(demo, coordinator(), "")
    response_id = demo.id
    db.session.commit()  # and hold no transaction: on SQLite it would hold the write lock

    jobs = [(email_for(name, "tjansteman"), f"/responses/{response_id}/position",
             {"version_number": "1", "decision": "approve"}) for name in MUNICIPALITIES]
    results = run_concurrently(app, jobs)
    assert all(status == 302 for _, _, status in results), results

    db.session.expire_all()
    current = db.session.scalar(select(func.count()).select_from(Position).where(Position.is_current.is_(True)))
    assert current == 11
    assert demo.stage == Stage.CONSENSUS
    consensus_events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "stage_changed")).all()
    assert [e.details["to"] for e in consensus_events].count("consensus") == 1
    notified = db.session.scalars(select(Notification.user_id).where(Notification.kind == "consensus")).all()
    assert len(notified) == len(set(notified)) > 0  # each person told once
    db.session.commit()

    jobs = [(email_for(name, "direktor"), f"/responses/{response_id}/sign-off",
             {"version_number": "1", "deciding_body": "Kommunstyrelsen", "decision_date": local_today().isoformat(),
              "signatory_name": f"Direktör {name}", "signatory_title": "Kommundirektör",
              "confirmed": "1"})
            for name in MUNICIPALITIES]
    # Every director signs twice at once: the second of each pair must be refused, not doubled.
    results = run_concurrently(app, jobs + jobs)
    statuses = sorted(status for _, _, status in results)
    assert statuses.count(302) == 11 and statuses.count(409) == 11, statuses
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SignOff)) == 11
    assert demo.stage == Stage.SIGNED


def test_simultaneous_publishing_makes_one_version_and_refuses_the_rest(app, db, demo):
    response_id = demo.id
    db.session.commit()
    jobs = [("koordinator@example.se", f"/responses/{response_id}/publish",
             {"change_note": f"Ändring från process {i}"}) for i in range(6)]
    results = run_concurrently(app, jobs)
    statuses = sorted(status for _, _, status in results)
    # One publishes; the others find nothing new to publish. None fails on a lock.
    assert statuses == [302, 400, 400, 400, 400, 400], results
    from drafting.models import Version

    numbers = sorted(db.session.scalars(select(Version.number).where(Version.response_id == response_id)))
    assert numbers == [1]
    db.session.commit()
