"""Security headers, session cookies and timeouts, and login rate limits."""

from __future__ import annotations

import time

import pytest

from drafting.demo import DEMO_PASSWORD
from drafting.extensions import limiter
from drafting.security import SEEN_AT_RESOLUTION
from tests.conftest import login, user_by_email


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_httponly_lax_and_secure_over_https(app, db, demo):
    client = app.test_client()
    response = client.post("/login", data={"email": "koordinator@example.se", "password": "demo-losenord"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure_client = app.test_client()
    response = secure_client.post("/login", base_url="https://localhost",
                                  data={"email": "koordinator@example.se", "password": "demo-losenord"})
    assert "Secure" in response.headers["Set-Cookie"]


def test_idle_session_times_out(app, db, demo):
    client = app.test_client()
    login(client, "koordinator@example.se")
    assert client.get("/").status_code == 200
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - idle + 5  # active within the limit: still signed in
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - idle - SEEN_AT_RESOLUTION - 5
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/").status_code == 302


def test_the_idle_clock_moves_once_a_minute_not_on_every_request(app, db, demo):
    client = app.test_client()
    login(client, "koordinator@example.se")
    client.get("/")  # shows (and takes from the session) the login's flash message
    first = client.get("/")
    assert first.status_code == 200 and "Set-Cookie" not in first.headers
    with client.session_transaction() as session:
        seen_at = session["seen_at"]
        session["seen_at"] = seen_at - SEEN_AT_RESOLUTION
    # A minute later the clock moves, and the cookie with it.
    moved = client.get("/")
    assert moved.status_code == 200 and "session=" in moved.headers["Set-Cookie"]
    with client.session_transaction() as session:
        assert session["seen_at"] >= seen_at


def test_absolute_session_lifetime(app, db, demo):
    client = app.test_client()
    login(client, "koordinator@example.se")
    with client.session_transaction() as session:
        session["auth_at"] = time.time() - app.config["SESSION_ABSOLUTE_HOURS"] * 3600 - 5
    assert client.get("/").status_code == 302


def test_login_attempts_are_limited_per_account_and_address(app, db, demo):
    client = app.test_client()
    email = "tjansteman.vellinge@example.se"
    statuses = [client.post("/login", data={"email": email, "password": "fel"}).status_code
                for _ in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    page = client.post("/login", data={"email": email, "password": "fel"}).get_data(as_text=True)
    assert "För många försök" in page
    # A colleague behind the same address is not locked out.
    other = client.post("/login", data={"email": "tjansteman.lomma@example.se", "password": "demo-losenord"})
    assert other.status_code == 302


def test_unknown_and_known_accounts_cost_the_same_work(app, db, demo, monkeypatch):
    """Both run exactly one check of a hash made the same way: no timing difference to measure."""
    import werkzeug.security

    from drafting import auth as auth_module
    from drafting.models import people as people_module
    from tests.conftest import coordinator

    coordinator().set_password("demo-losenord", "scrypt")  # a production-strength hash
    db.session.commit()
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    checked: list[str] = []

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split(":", 1)[0])
        return werkzeug.security.check_password_hash(pwhash, password)

    monkeypatch.setattr(auth_module, "check_password_hash", counting)
    monkeypatch.setattr(people_module, "check_password_hash", counting)
    client = app.test_client()
    try:
        results = {}
        for email in ("koordinator@example.se", "finns.inte@example.se"):
            checked.clear()
            client.post("/login", data={"email": email, "password": "fel-igen"},
                        environ_base={"REMOTE_ADDR": f"10.9.{len(email)}.1"})
            results[email] = list(checked)
    finally:
        app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    assert results["koordinator@example.se"] == ["scrypt"]
    assert results["finns.inte@example.se"] == ["scrypt"]



@pytest.fixture
def fresh_limits(app):
    """Rate-limit counts start from zero, and this test's leave nothing behind."""
    limiter.reset()
    yield
    limiter.reset()


def change_password(client, current: str):
    return client.post("/profile", data={"current_password": current, "new_password": "ett-nytt-losenord",
                                         "confirm": "ett-nytt-losenord"})


def test_wrong_current_passwords_on_the_profile_share_the_login_limit(app, db, demo, fresh_limits):
    email = "tjansteman.svedala@example.se"
    client = app.test_client()
    assert login(client, email).status_code == 302
    statuses = [change_password(client, "gissning").status_code for _ in range(5)]
    assert statuses == [400] * 5
    refused = change_password(client, DEMO_PASSWORD)  # the right one, but too late
    assert refused.status_code == 429
    assert "För många försök" in refused.get_data(as_text=True)
    assert user_by_email(email).check_password(DEMO_PASSWORD)  # unchanged
    db.session.commit()
    # The same account's login, from the same address, waits too: one bucket.
    assert login(app.test_client(), email).status_code == 429


def test_wrong_logins_count_against_the_profile_too(app, db, demo, fresh_limits):
    email = "tjansteman.staffanstorp@example.se"
    client = app.test_client()
    assert login(client, email).status_code == 302
    for _ in range(5):
        assert login(app.test_client(), email, "gissning").status_code == 401
    assert change_password(client, DEMO_PASSWORD).status_code == 429
