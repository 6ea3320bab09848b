"""Slow work as jobs: one conversion for many askers, retries, failures shown to the admin,
e-mail once per notification, and nothing slow inside a request (embedded pool and RQ)."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from flask import has_request_context
from sqlalchemy import delete, func, select, update

from drafting import jobs
from drafting.export import pdf
from drafting.extensions import db as _db
from drafting.mailsink import MailSink
from drafting.models import Decision, Job, JobStatus, Notification, StoredFile, utcnow
from drafting.services import documents, review
from tests.conftest import coordinator, login, official, statements_sent

FAKE_PDF = b"%PDF-1.7 fake\n%%EOF\n"


class FakeConverter:
    """Counts conversions; each waits for `gate`, and refuses to run inside a request."""

    def __init__(self) -> None:
        self.calls = 0
        self.in_request = 0
        self.gate = threading.Event()
        self.started = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, data: bytes, timeout: float = 60, wait: float | None = None) -> bytes:
        with self.lock:
            self.calls += 1
            if has_request_context():
                self.in_request += 1
        self.started.set()
        assert self.gate.wait(60), "the test never opened the gate"
        assert data.startswith(b"PK")  # a .docx
        return FAKE_PDF


@pytest.fixture
def converter(monkeypatch):
    fake = FakeConverter()
    monkeypatch.setattr(pdf, "docx_to_pdf", fake)
    monkeypatch.setattr(pdf, "soffice_path", lambda: "/usr/bin/soffice")
    return fake


@pytest.fixture
def thread_jobs(app):
    """The embedded default: a pool of threads in the web process runs the jobs."""
    runner = jobs.ThreadBackend(app, 2)
    previous = app.extensions.get("yttrande_jobs")
    app.extensions["yttrande_jobs"] = runner
    yield runner
    runner.executor.shutdown(wait=True)
    app.extensions["yttrande_jobs"] = previous


@pytest.fixture
def sink(app, monkeypatch):
    server = MailSink().start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "EXTERNAL_BASE_URL", "https://yttrande.example.se")
    yield server
    server.stop()


def _clients(app, count: int, email: str):
    clients = []
    for _ in range(count):
        client = app.test_client()
        assert login(client, email).status_code == 302
        clients.append(client)
    return clients


def _all_at_once(count: int, work) -> list:
    from drafting.extensions import db

    db.session.commit()  # the test's own transaction would hold SQLite's write lock
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        barrier.wait(30)
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


# --- the interface ----------------------------------------------------------------------------


def test_the_same_key_gives_the_same_job_and_a_job_runs_after_commit(app, db, signed, converter):
    db.session.commit()
    jobs.run_queued()  # the fixture's notifications' mail
    dispatched = jobs.backend().dispatched
    before = len(dispatched)
    key, job = documents.request_pdf(signed, coordinator(), "a.pdf")
    again_key, again = documents.request_pdf(signed, coordinator(), "a.pdf")
    assert (again_key, again.id) == (key, job.id)
    assert len(dispatched) == before  # nothing is handed over before the commit
    db.session.commit()
    assert dispatched[before:] == [job.id]
    converter.gate.set()
    assert jobs.run_queued() == 1
    db.session.expire_all()
    assert jobs.get(job.id).status == JobStatus.DONE.value
    assert documents.stored(key).data == FAKE_PDF
    assert documents.request_pdf(signed, coordinator(), "a.pdf") == (key, None)  # instant now


def test_a_rolled_back_request_leaves_no_job(app, db, signed, converter):
    db.session.commit()
    before = len(jobs.backend().dispatched)
    documents.request_pdf(signed, coordinator(), "a.pdf")
    db.session.rollback()
    db.session.commit()
    assert len(jobs.backend().dispatched) == before
    assert db.session.scalar(select(func.count()).select_from(Job)
                             .where(Job.task == "pdf.convert")) == 0


def test_a_failing_job_is_retried_then_failed_and_shown_to_the_admin(app, db, signed, monkeypatch):
    attempts = []

    def crash(data, timeout=60, wait=None):
        attempts.append(1)
        raise pdf.PdfConversionFailed("LibreOffice kraschade (SIGSEGV).")

    monkeypatch.setattr(pdf, "docx_to_pdf", crash)
    monkeypatch.setattr(pdf, "soffice_path", lambda: "/usr/bin/soffice")
    _key, job = documents.request_pdf(signed, coordinator(), "a.pdf")
    db.session.commit()
    jobs.run_queued()
    db.session.expire_all()
    job = jobs.get(job.id)
    assert len(attempts) == documents.PDF_ATTEMPTS == job.attempts
    assert job.status == JobStatus.FAILED.value and "SIGSEGV" in job.error
    assert db.session.scalar(select(func.count()).select_from(StoredFile)
                             .where(StoredFile.key == job.key)) == 0
    admin = app.test_client()
    login(admin, "admin@example.se")
    page = admin.get(f"/admin/cooperations/{signed.cooperation_id}/jobs").get_data(as_text=True)
    assert "PDF av yttrandet" in page and "SIGSEGV" in page
    assert "1 jobb har misslyckats" in admin.get(
        f"/admin/cooperations/{signed.cooperation_id}").get_data(as_text=True)
    monkeypatch.setattr(pdf, "docx_to_pdf", lambda data, timeout=60, wait=None: FAKE_PDF)
    answer = admin.post(f"/admin/cooperations/{signed.cooperation_id}/jobs/{job.id}/retry")
    assert answer.status_code == 303
    jobs.run_queued()
    db.session.expire_all()
    assert jobs.get(job.id).status == JobStatus.DONE.value
    assert "Inga jobb har misslyckats" in admin.get(
        f"/admin/cooperations/{signed.cooperation_id}/jobs").get_data(as_text=True)


def test_an_official_may_not_retry_jobs(app, db, signed):
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    assert client.get(f"/admin/cooperations/{signed.cooperation_id}/jobs").status_code == 403


# --- PDF: a waiting page, one conversion for many, instant afterwards -------------------------


def test_eight_users_asking_for_the_same_pdf_cause_one_conversion(app, db, signed, converter,
                                                                  thread_jobs):
    clients = _clients(app, 8, "tjansteman.lund@example.se")
    url = f"/responses/{signed.id}/export/final.pdf"
    answers = _all_at_once(8, lambda i: clients[i].get(url))
    assert [a.status_code for a in answers] == [303] * 8
    waiting = {a.headers["Location"] for a in answers}
    assert len(waiting) == 1  # one job for all eight
    page = clients[0].get(waiting.pop())
    text = page.get_data(as_text=True)
    assert "PDF skapas…" in text and "Uppdatera" in text and "data-job-status" in text
    status_url = page.request.path + "/status.json"
    assert clients[0].get(status_url).json["state"] in ("queued", "running")
    converter.gate.set()
    job_id = int(page.request.path.rsplit("/", 1)[1])
    assert jobs.wait(job_id, 60).status == JobStatus.DONE.value
    assert converter.calls == 1 and converter.in_request == 0
    assert clients[0].get(status_url).json["state"] == "done"
    downloads = _all_at_once(8, lambda i: clients[i].get(url))
    assert [d.status_code for d in downloads] == [200] * 8
    assert all(d.data == FAKE_PDF and d.mimetype == "application/pdf" for d in downloads)
    refreshed = clients[1].get(page.request.path)  # the "Uppdatera" link once it is done
    assert refreshed.status_code == 303 and refreshed.headers["Location"].endswith("/file")
    assert converter.calls == 1


def test_a_new_version_makes_a_new_pdf(app, db, in_review, converter):
    key_before, _job = documents.request_pdf(in_review, coordinator(), "a.pdf")
    db.session.commit()
    from tests.conftest import publish_change

    publish_change(in_review)
    key_after, _job = documents.request_pdf(in_review, coordinator(), "a.pdf")
    assert key_after != key_before and ":v2:draft:" in key_after


def test_a_failed_pdf_says_so_and_offers_another_try(app, db, signed, monkeypatch):
    monkeypatch.setattr(pdf, "soffice_path", lambda: "/usr/bin/soffice")

    def missing(data, timeout=60, wait=None):
        raise pdf.PdfUnavailable("LibreOffice (soffice) är inte installerat; PDF kan inte skapas.")

    monkeypatch.setattr(pdf, "docx_to_pdf", missing)
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    waiting = client.get(f"/responses/{signed.id}/export/final.pdf").headers["Location"]
    jobs.run_queued()
    page = client.get(waiting).get_data(as_text=True)
    assert "PDF:en kunde inte skapas" in page and "Försök igen" in page
    job = db.session.scalars(select(Job).where(Job.task == "pdf.convert")).one()
    assert job.attempts == 1  # LibreOffice missing: no point in trying again
    monkeypatch.setattr(pdf, "docx_to_pdf", lambda data, timeout=60, wait=None: FAKE_PDF)
    assert client.post(waiting + "/retry").status_code == 303
    jobs.run_queued()
    assert client.get(waiting).status_code == 303
    assert client.get(waiting + "/file").data == FAKE_PDF


# --- e-mail: once per notification and recipient, with a link and the reason ----------------


def test_an_objection_is_mailed_at_once_with_the_reason_and_a_link(app, db, in_review, sink,
                                                                  thread_jobs):
    lund = app.test_client()
    login(lund, "tjansteman.lund@example.se")
    answer = lund.post(f"/responses/{in_review.id}/position",
                       data={"version_number": "1", "decision": "object", "note": "Nej"})
    assert answer.status_code in (302, 303)
    mail = sink.wait_for_mail(lambda m: "invänder" in m["Subject"], 30)
    assert mail is not None
    assert mail["To"] == "koordinator@example.se"
    body = mail.get_content()
    assert body.splitlines()[0].startswith("Lund invänder mot version 1 av ”")
    assert f"https://yttrande.example.se/responses/{in_review.id}" in body
    assert mail["Subject"].startswith("Yttrande: Lund invänder mot version 1")


def _settle(sink) -> None:
    """Send what the scenario fixture queued (invitations, a new version), then start afresh."""
    from drafting.extensions import db

    db.session.commit()
    jobs.run_queued()
    sink.messages.clear()
    sink.refused = 0


def _objection_mail_job(in_review, sink) -> Job:
    """Lund objects to version 1; the job that mails the coordinator of it (not run yet)."""
    _settle(sink)
    review.record_position(in_review, official("Lund"), 1, Decision.OBJECT, "Nej")
    _db.session.commit()
    return _db.session.scalars(select(Job).where(Job.task == "mail.notification")
                              .order_by(Job.id.desc())).first()


def test_a_mail_job_that_runs_twice_sends_once(app, db, in_review, sink):
    job = _objection_mail_job(in_review, sink)
    notification_id = job.args[0]
    jobs.run_queued()
    jobs.TASKS["mail.notification"].func(notification_id)  # a duplicate run, e.g. after a crash
    db.session.expire_all()
    jobs.retry(jobs.get(job.id))
    db.session.commit()
    jobs.run_queued()
    assert sink.wait_for(1, 10)
    assert len(sink.messages) == 1


def test_a_mail_job_reads_and_claims_in_few_statements(app, db, in_review, sink):
    """Every comment's mail goes through one job: claiming it, claiming the notification with
    its text, reading the recipient and recording the outcome, nothing read twice."""
    job_id = _objection_mail_job(in_review, sink).id
    db.session.remove()
    with statements_sent() as statements:
        jobs.run_job(job_id)
    sent = [s.split()[0].upper() for s in statements if s.split()[0].upper() != "BEGIN"]
    assert sent == ["SELECT", "UPDATE", "UPDATE", "SELECT", "UPDATE"], statements
    assert sink.wait_for(1, 10) and "Lund" in sink.messages[0].get_content()
    assert jobs.get(job_id).status == JobStatus.DONE.value


def test_a_recipient_deactivated_before_the_mail_goes_gets_none(app, db, in_review, sink):
    job = _objection_mail_job(in_review, sink)
    coordinator().is_active_account = False
    db.session.commit()
    jobs.run_queued()
    db.session.expire_all()
    assert jobs.get(job.id).status == JobStatus.DONE.value and jobs.get(job.id).result == {"sent": False}
    assert db.session.get(Notification, job.args[0]).emailed is True  # claimed: never sent later
    assert sink.messages == []


def test_mail_goes_in_the_recipients_language(app, db, in_review, sink):
    _settle(sink)
    coordinator().preferred_locale = "en"
    db.session.commit()
    review.record_position(in_review, official("Lund"), 1, Decision.OBJECT, "Nej")
    db.session.commit()
    jobs.run_queued()
    mail = sink.wait_for_mail(lambda m: m["To"] == "koordinator@example.se", 10)
    body = mail.get_content()
    assert "Lund objects to version 1" in body and "invänder" not in body


def test_a_refusing_mail_server_is_retried_then_shown_to_the_admin(app, db, in_review, sink):
    _settle(sink)
    sink.refuse = True
    review.record_position(in_review, official("Lund"), 1, Decision.OBJECT, "Nej")
    db.session.commit()
    jobs.run_queued()
    job = db.session.scalars(select(Job).where(Job.task == "mail.notification")
                             .order_by(Job.id.desc())).first()
    assert job.status == JobStatus.FAILED.value and job.attempts == 5
    assert sink.refused == 5 and sink.messages == []
    assert "554" in job.error
    assert db.session.get(Notification, job.args[0]).emailed is False  # not lost: can be retried
    admin = app.test_client()
    login(admin, "admin@example.se")
    page = admin.get(f"/admin/cooperations/{in_review.cooperation_id}/jobs").get_data(as_text=True)
    assert "E-post om en avisering" in page and "554" in page
    sink.refuse = False
    admin.post(f"/admin/cooperations/{in_review.cooperation_id}/jobs/{job.id}/retry")
    jobs.run_queued()
    assert sink.wait_for(1, 10) and len(sink.messages) == 1


def test_a_digest_reader_gets_one_mail_a_day(app, db, in_review, sink):
    _settle(sink)
    client = app.test_client()
    login(client, "koordinator@example.se")
    assert client.post("/profile/mail", data={"mail-mail": "digest"}).status_code == 302
    assert 'checked id="mail-mail-1"' in client.get("/profile").get_data(as_text=True)
    for name in ("Lund", "Malmö"):
        review.record_position(in_review, official(name), 1, Decision.OBJECT, "Nej")
    db.session.commit()
    jobs.run_queued()
    assert sink.messages == []
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert sink.wait_for(1, 10)
    to_coordinator = [m for m in sink.messages if m["To"] == "koordinator@example.se"]
    assert len(to_coordinator) == 1
    body = to_coordinator[0].get_content()
    assert "Lund invänder" in body and "Malmö invänder" in body
    runner.invoke(args=["send-reminders"])
    assert len([m for m in sink.messages if m["To"] == "koordinator@example.se"]) == 1


# --- RQ on the real Redis ---------------------------------------------------------------------

@pytest.fixture
def rq_jobs(app, redis_url):
    """RQ on Redis db 3, with a queue of this test's own; workers run in this process."""
    import uuid

    runner = jobs.RqBackend(redis_url, f"test-{uuid.uuid4().hex[:8]}")
    previous = app.extensions.get("yttrande_jobs")
    app.extensions["yttrande_jobs"] = runner
    jobs._worker_app = app
    yield runner
    runner.queue().empty()
    runner.queue().delete(delete_jobs=True)
    jobs._worker_app = None
    app.extensions["yttrande_jobs"] = previous


def _work(runner) -> None:
    """Run what is on the queue, in this process, until it is empty: the worker of `flask worker`."""
    from drafting.extensions import db

    db.session.commit()  # the test's transaction would hold SQLite's write lock

    runner.worker().work(burst=True)


def test_rq_eight_requests_one_conversion(app, db, signed, converter, rq_jobs):
    clients = _clients(app, 8, "tjansteman.lund@example.se")
    url = f"/responses/{signed.id}/export/final.pdf"
    answers = _all_at_once(8, lambda i: clients[i].get(url))
    assert len({a.headers["Location"] for a in answers}) == 1
    assert db.session.scalar(select(func.count()).select_from(Job)
                             .where(Job.task == "pdf.convert")) == 1
    converter.gate.set()
    _work(rq_jobs)
    assert converter.calls == 1 and converter.in_request == 0
    downloads = _all_at_once(8, lambda i: clients[i].get(url))
    assert [d.data for d in downloads] == [FAKE_PDF] * 8


def test_rq_mail_is_retried_then_failed(app, db, in_review, sink, rq_jobs):
    db.session.commit()
    _work(rq_jobs)
    sink.messages.clear()
    sink.refuse = True
    review.record_position(in_review, official("Lund"), 1, Decision.OBJECT, "Nej")
    db.session.commit()
    _work(rq_jobs)  # each failure hands the job back to Redis (no delay in tests): all 5 run
    job = db.session.scalars(select(Job).where(Job.task == "mail.notification")
                             .order_by(Job.id.desc())).first()
    assert (job.status, job.attempts, sink.refused) == (JobStatus.FAILED.value, 5, 5)
    sink.refuse = False
    jobs.retry(job)
    db.session.commit()
    _work(rq_jobs)
    assert sink.wait_for(1, 10) and len(sink.messages) == 1


WORKER_SCRIPT = """
import sys, threading
from redis import Redis
from drafting import create_app, jobs
from drafting.export import pdf

def hang(data, timeout=60, wait=None):
    Redis.from_url(sys.argv[2]).rpush(sys.argv[4], b"started")
    threading.Event().wait()  # until killed

pdf.docx_to_pdf = hang
app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": sys.argv[1],
                  "JOBS_BACKEND": "rq", "REDIS_URL": sys.argv[2], "JOBS_QUEUE": sys.argv[3]})
jobs._worker_app = app
with app.app_context():
    jobs.backend().worker().work(burst=True)
"""


def test_a_worker_killed_mid_job_leaves_nothing_half_done_and_the_job_finishes(
        app, db, signed, rq_jobs, redis_url, monkeypatch):
    import subprocess
    import sys
    import uuid

    monkeypatch.setattr(pdf, "soffice_path", lambda: "/usr/bin/soffice")
    key, job = documents.request_pdf(signed, coordinator(), "a.pdf")
    db.session.commit()
    started = f"test-started-{uuid.uuid4().hex[:8]}"
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    worker = subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT, url, redis_url,
                               rq_jobs.queue_name, started], cwd=app.root_path + "/..")
    try:
        from redis import Redis

        listener = Redis.from_url(redis_url, socket_timeout=None)
        assert listener.blpop([started], timeout=120), "the worker never started the job"
        worker.kill()
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(30)
    rq_jobs.connection.delete(started)
    db.session.expire_all()
    job = jobs.get(job.id)
    assert (job.status, job.attempts) == (JobStatus.RUNNING.value, 1)
    assert documents.stored(key) is None  # nothing half-stored
    db.session.commit()
    assert jobs.recover(now=utcnow()) == 0  # its lease has not run out: it may still be working
    assert jobs.recover(now=utcnow() + timedelta(hours=1)) >= 1  # (the fixture's mail too)
    db.session.expire_all()
    assert jobs.get(job.id).status == JobStatus.QUEUED.value
    monkeypatch.setattr(pdf, "docx_to_pdf", lambda data, timeout=60, wait=None: FAKE_PDF)
    _work(rq_jobs)
    db.session.expire_all()
    job = jobs.get(job.id)
    assert (job.status, job.attempts) == (JobStatus.DONE.value, 2)
    assert documents.stored(key).data == FAKE_PDF


# --- large Word imports ----------------------------------------------------------------------

CORPUS = Path(__file__).parent / "corpus" / "docx"


def _upload(client, response_id: int, path: Path):
    return client.post(f"/responses/{response_id}/export/import",
                       data={"document": (io.BytesIO(path.read_bytes()), path.name)},
                       content_type="multipart/form-data")


@pytest.fixture
def small_threshold(monkeypatch):
    """Every corpus letter counts as large (the threshold itself is limits.IMPORT_IN_JOB_BYTES)."""
    from drafting.services import imports

    monkeypatch.setattr(imports, "IMPORT_IN_JOB_BYTES", 1000)


@pytest.fixture
def parse_counter(monkeypatch):
    from drafting.export import docx_import

    real = docx_import.parse_docx
    calls = {"job": 0, "request": 0}

    def counted(data):
        calls["request" if has_request_context() else "job"] += 1
        return real(data)

    monkeypatch.setattr(docx_import, "parse_docx", counted)
    return calls


def test_a_large_word_file_is_parsed_by_a_job_and_the_preview_reads_its_result(
        app, db, demo, small_threshold, parse_counter):
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    answer = _upload(client, demo.id, CORPUS / "01_lund_starkare_kommuner.docx")
    assert answer.status_code == 303
    waiting = answer.headers["Location"]
    page = client.get(waiting).get_data(as_text=True)
    assert "Word-filen läses in…" in page and "Uppdatera" in page
    assert client.get(waiting + "/status.json").json["state"] == "queued"
    jobs.run_queued()
    preview = client.get(waiting)
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert "20.1 Förslag om stöd till kommunsammanläggningar" in text and 'name="payload"' in text
    assert parse_counter == {"job": 1, "request": 0}
    # The same file again: the same job, already done.
    assert _upload(client, demo.id, CORPUS / "01_lund_starkare_kommuner.docx").headers[
        "Location"] == waiting
    assert parse_counter["job"] == 1


def test_a_large_file_that_is_no_word_file_says_so(app, db, demo, small_threshold):
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    answer = client.post(f"/responses/{demo.id}/export/import",
                         data={"document": (io.BytesIO(b"x" * 5000), "falsk.docx")},
                         content_type="multipart/form-data")
    jobs.run_queued()
    page = client.get(answer.headers["Location"])
    assert page.status_code == 400 and "Word" in page.get_data(as_text=True)


# --- nothing slow inside a request ------------------------------------------------------------


def test_no_request_converts_mails_or_parses_a_large_upload(app, db, in_review, sink, converter,
                                                            thread_jobs, small_threshold,
                                                            parse_counter, monkeypatch):
    """The routes that start slow work: LibreOffice, SMTP and the parser run only in jobs."""
    import smtplib

    real_smtp = smtplib.SMTP
    in_request = []

    def guarded_smtp(*args, **kwargs):
        if has_request_context():
            in_request.append("smtp")
        return real_smtp(*args, **kwargs)

    monkeypatch.setattr(smtplib, "SMTP", guarded_smtp)
    converter.gate.set()
    response_id, cooperation_id = in_review.id, in_review.cooperation_id
    from tests.conftest import municipality

    lund_id = municipality("Lund").id
    db.session.commit()
    lund = app.test_client()
    login(lund, "tjansteman.lund@example.se")
    boss = app.test_client()
    login(boss, "koordinator@example.se")
    before = db.session.scalar(select(func.max(Job.id))) or 0
    db.session.commit()
    lund.post(f"/responses/{response_id}/position",
              data={"version_number": "1", "decision": "object", "note": "Nej"})
    waiting = lund.get(f"/responses/{response_id}/export/final.pdf").headers["Location"]
    imported = _upload(boss, response_id, CORPUS / "01_lund_starkare_kommuner.docx")
    assert imported.status_code == 303
    admin = app.test_client()
    login(admin, "admin@example.se")
    assert admin.post(f"/admin/cooperations/{cooperation_id}/users", data={
        "name": "Nils Ny", "email": "nils.ny@example.se", "title": "", "role": "official",
        "municipality_id": lund_id}).status_code == 302
    assert app.test_client().post("/forgot-password",
                                  data={"email": "tjansteman.malmo@example.se"}).status_code == 200
    mail_jobs = list(db.session.scalars(select(Job.id).where(
        Job.task.in_(["mail.invitation", "mail.password_reset"]))))
    # The objection's notifications are mailed by jobs of their own: wait for those too, so a
    # busy machine only makes this slower, never wrong.
    notification_jobs = list(db.session.scalars(select(Job.id).where(
        Job.task == "mail.notification", Job.id > before)))
    db.session.commit()
    assert len(mail_jobs) == 2 and notification_jobs
    for job_id in (int(waiting.rsplit("/", 1)[1]), int(imported.headers["Location"].rsplit("/", 1)[1]),
                   *mail_jobs, *notification_jobs):
        done = jobs.wait(job_id, 120)
        assert done.status == JobStatus.DONE.value, (done.task, done.status, done.error)
    assert sink.wait_for_mail(lambda m: "invänder" in m["Subject"], 60) is not None
    assert converter.calls == 1 and converter.in_request == 0
    assert in_request == [] and parse_counter["request"] == 0


def test_the_schedulers_duties_run_in_a_worker(app, db, in_review, monkeypatch):
    """What `flask scheduler` enqueues: reminders (each once) and recovery of lost jobs."""
    day = in_review.deadline - timedelta(days=7)
    db.session.commit()  # the duties run in their own app context, as in a worker
    monkeypatch.setattr(jobs, "_worker_app", app)
    monkeypatch.setattr("drafting.worker.local_today", lambda: day)  # the duty's today
    for _ in range(2):
        jobs.scheduled("reminders")
        jobs.scheduled("recover")
    reminders = db.session.scalar(select(func.count()).select_from(Notification)
                                  .where(Notification.kind == "deadline"))
    assert reminders and reminders == db.session.scalar(
        select(func.count(func.distinct(Notification.user_id))).where(Notification.kind == "deadline"))


# --- forgetting what is old ---------------------------------------------------------------------


def _age(model, key_filter, days: int) -> None:
    """Make rows look `days` old (jobs by their last change, files by their creation)."""
    column = Job.updated_at if model is Job else StoredFile.created_at
    _db.session.execute(update(model).where(key_filter).values({column: utcnow() - timedelta(days=days)}))
    _db.session.commit()


def test_the_daily_duty_forgets_old_jobs_and_files_and_an_old_pdf_is_made_again(
        app, db, signed, demo, converter):
    from drafting.models import JointResponse
    from drafting.services import imports
    from drafting.worker import daily_duty

    converter.gate.set()
    key, job = documents.request_pdf(signed, coordinator(), "a.pdf")
    db.session.commit()
    jobs.run_queued()
    pdf_job_id = job.id
    # A large upload still waiting for its parse (its file must stay), and an old failure.
    pending = imports.queue_import(db.session.get(JointResponse, demo.id), coordinator(),
                                   b"PK" + b"x" * 10, "stor.docx")
    failed = jobs.enqueue("mail.notification", 0, key="mail:old-failure")
    db.session.flush()
    failed.status = JobStatus.FAILED.value
    db.session.commit()
    pending_key, failed_id = pending.key, failed.id
    _age(Job, Job.id.in_([pdf_job_id, pending.id, failed_id]), 40)
    _age(StoredFile, StoredFile.key.in_([key, pending_key + ":docx"]), 40)

    done = daily_duty()
    assert (done.purged_jobs, done.purged_files) == (1, 1)  # the PDF's job and its file
    assert jobs.get(pdf_job_id) is None and documents.stored(key) is None
    assert jobs.find(pending_key) is not None and documents.stored(pending_key + ":docx")
    assert jobs.get(failed_id) is not None  # failures stay for the admin for 90 days
    _age(Job, Job.id == failed_id, 100)
    assert jobs.purge() == {"jobs": 1, "files": 0}

    again_key, again = documents.request_pdf(signed, coordinator(), "a.pdf")
    db.session.commit()
    assert again_key == key and again is not None and again.id != pdf_job_id
    jobs.run_queued()
    assert documents.stored(key).data == FAKE_PDF and converter.calls == 2


def test_a_finished_pdf_job_whose_file_is_gone_runs_again(app, db, signed, converter):
    """The file kept a day less than its job: the waiting page neither loops nor lies."""
    converter.gate.set()
    key, job = documents.request_pdf(signed, coordinator(), "a.pdf")
    db.session.commit()
    jobs.run_queued()
    job_id = job.id
    _db.session.execute(delete(StoredFile).where(StoredFile.key == key))
    _db.session.commit()
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    waiting = f"/responses/{signed.id}/export/pdf/{job_id}"
    page = client.get(waiting)
    assert page.status_code == 200 and "PDF skapas…" in page.get_data(as_text=True)
    assert client.get(waiting + "/status.json").json["state"] == "queued"
    jobs.run_queued()
    assert client.get(waiting + "/status.json").json["state"] == "done"
    assert client.get(waiting).status_code == 303
    assert client.get(waiting + "/file").data == FAKE_PDF and converter.calls == 2


def test_flask_worker_runs_each_job_without_forking_a_process_for_it(
        app, db, in_review, sink, rq_jobs, monkeypatch):
    """A work horse forked per e-mail opens its own database connection each time: under load
    that was a fifth of the machine (make bench). `flask worker` runs them in its own process."""
    import os

    db.session.commit()
    _work(rq_jobs)  # what the scenario queued
    sink.messages.clear()
    review.record_position(in_review, official("Lund"), 1, Decision.OBJECT, "Nej")
    db.session.commit()
    queued = db.session.scalar(select(func.count()).select_from(Job).where(
        Job.status == JobStatus.QUEUED.value))
    assert queued >= 1

    def forked() -> int:
        raise AssertionError("flask worker forked a process for a job")

    monkeypatch.setattr(os, "fork", forked)
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Job).where(
        Job.status == JobStatus.QUEUED.value)) == 0
    assert sink.wait_for(queued, 10) and len(sink.messages) == queued
