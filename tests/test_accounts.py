"""User accounts: invitations and forgotten passwords by one-time link, editing and deactivating
users, API token expiry. Services first, then the pages through the HTTP client."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from sqlalchemy import func, select

from drafting import jobs
from drafting.demo import COOPERATION_NAME
from drafting.extensions import limiter
from drafting.models import (
    ApiToken,
    AuditEvent,
    Cooperation,
    CooperationRole,
    PasswordLink,
    PasswordLinkPurpose,
    Role,
    User,
    utcnow,
)
from drafting.services import passwords, people, tokens
from drafting.services.errors import InvalidInput, NotAllowed, NotFound
from tests.conftest import login, municipality, official, user_by_email

ADMIN = "admin@example.se"
NEW_PASSWORD = "mitt-eget-losenord"
CSRF_VALUE_RE = re.compile(r'name="csrf_token" value="[^"]*"')
LINK_RE = re.compile(r"https?://[^\s]+/set-password/([A-Za-z0-9_-]+)")


@pytest.fixture(autouse=True)
def fresh_limits(app):
    # The rate limits live in memory for the whole run; each test starts from none used.
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def mail_log(caplog):
    """The e-mails written to the log (no SMTP in tests), as the development setup does."""
    caplog.set_level(logging.WARNING, logger="drafting.services.mailer")
    return caplog


def mailed_secrets(caplog) -> list[str]:
    return [match.group(1) for record in caplog.records
            for match in LINK_RE.finditer(record.getMessage())]


def authenticate(email: str, password: str) -> User | None:
    """The login's check, inside a request as the login's limiter needs one."""
    from drafting.auth import authenticate as login_check

    with current_app.test_request_context("/login", method="POST"):
        return login_check(email, password)


def admin_client(app):
    client = app.test_client()
    assert login(client, ADMIN).status_code == 302
    return client


def coop(db) -> Cooperation:
    """The demo cooperation."""
    return db.session.scalars(select(Cooperation).where(Cooperation.name == COOPERATION_NAME)).one()


def invite_new_user(db, email="ny.person@example.se") -> tuple[User, str]:
    """An official of Lund invited by the demo admin; returns the user and the mailed secret."""
    cooperation = coop(db)
    admin = user_by_email(ADMIN)
    user = people.create_user(email=email, name="Ny Person", cooperation=cooperation,
                              role=Role.OFFICIAL, municipality_id=municipality("Lund").id,
                              actor=admin)
    url = passwords.send_invitation(user, cooperation, admin)
    db.session.commit()
    return user, LINK_RE.search(url).group(1)


# --- services -----------------------------------------------------------------------------------


def test_an_invited_account_cannot_log_in_until_its_person_chooses_a_password(db, demo, mail_log):
    user, secret = invite_new_user(db)
    assert user.password_set_at is None and user.password_hash  # a real hash, of nothing known
    assert authenticate(user.email, "") is None
    # Only the hash of the secret is stored.
    link = db.session.scalars(select(PasswordLink)).one()
    assert link.token_hash != secret and secret not in link.token_hash
    assert link.purpose == PasswordLinkPurpose.INVITATION
    assert link.expires_at - link.created_at == timedelta(days=7)
    # The mail went through the one mail function, and carries the link.
    assert mailed_secrets(mail_log) == [secret]
    assert passwords.use_link(secret, NEW_PASSWORD) is user
    db.session.commit()
    assert authenticate(user.email, NEW_PASSWORD) is user
    assert user.password_set_at is not None


def test_a_link_works_once(db, demo):
    user, secret = invite_new_user(db)
    passwords.use_link(secret, NEW_PASSWORD)
    db.session.commit()
    with pytest.raises(passwords.LinkNoLongerValid, match="redan använts"):
        passwords.use_link(secret, "ett-annat-losenord")
    db.session.rollback()
    assert authenticate(user.email, NEW_PASSWORD) is user


def test_an_expired_link_is_refused_with_its_date(db, demo):
    _user, secret = invite_new_user(db)
    link = db.session.scalars(select(PasswordLink)).one()
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(passwords.LinkNoLongerValid, match="gick ut"):
        passwords.find_link(secret)


def test_a_newer_link_replaces_the_older_one(db, demo):
    user, first = invite_new_user(db)
    url = passwords.send_invitation(user, coop(db), user_by_email(ADMIN))
    db.session.commit()
    with pytest.raises(passwords.LinkNoLongerValid, match="nyare länk"):
        passwords.find_link(first)
    assert passwords.find_link(LINK_RE.search(url).group(1)).user_id == user.id


@pytest.mark.parametrize("secret", ["", "fel", "x" * 500, "\udcff" * 3])
def test_an_unknown_link_is_not_found(db, demo, secret):
    invite_new_user(db)
    with pytest.raises(NotFound, match="Länken finns inte"):
        passwords.find_link(secret)


def test_a_password_the_rule_refuses_leaves_the_link_unused(db, demo):
    _user, secret = invite_new_user(db)
    with pytest.raises(InvalidInput, match="minst 10 tecken"):
        passwords.use_link(secret, "kort")
    db.session.rollback()
    assert passwords.find_link(secret).used_at is None


def test_people_can_still_be_created_with_a_password_for_the_demo_and_cli(db, demo):
    assert authenticate("koordinator@example.se", "demo-losenord") is not None
    with pytest.raises(InvalidInput, match="minst 10 tecken"):
        people.create_user(email="x@example.se", name="X", password="kort",
                           cooperation=coop(db), role=Role.COORDINATOR)


def test_update_user_changes_the_account_and_records_what_changed(db, demo):
    user = official("Lund")
    changes = people.update_user(user_by_email(ADMIN), coop(db), user, name="Lena Lund",
                                 title="Planarkitekt", role=Role.DIRECTOR,
                                 municipality_id=municipality("Malmö").id)
    db.session.commit()
    assert set(changes) == {"name", "title", "municipality_id", "role"}
    assert user.role_in(coop(db).id) is Role.DIRECTOR and user.municipality.name == "Malmö"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_updated")).one()
    assert event.user_id == user_by_email(ADMIN).id
    assert event.details["changes"]["role"] == ["official", "director"]
    assert "roll" in event.summary and "official" not in event.summary


def test_an_official_needs_a_member_municipality(db, demo):
    with pytest.raises(InvalidInput, match="medlemskommun") as refused:
        people.update_user(user_by_email(ADMIN), coop(db), user_by_email("koordinator@example.se"),
                           name="Karin", title="", role=Role.OFFICIAL, municipality_id=None)
    assert refused.value.field == "municipality_id"


def test_an_admin_cannot_change_their_own_role_or_deactivate_themselves(db, demo):
    admin = user_by_email(ADMIN)
    with pytest.raises(InvalidInput, match="egen roll"):
        people.update_user(admin, coop(db), admin, name=admin.name, title="", role=Role.OFFICIAL,
                           municipality_id=municipality("Lund").id)
    with pytest.raises(InvalidInput, match="eget konto"):
        people.deactivate_user(admin, coop(db), admin)


def test_an_account_shared_with_another_cooperation_takes_a_system_admin(db, demo):
    other = people.create_cooperation(None, "Familjen Helsingborg")
    user = official("Lund")
    people.add_municipality(other, None, "Lund")
    db.session.add(CooperationRole(user_id=user.id, cooperation_id=other.id, role="official"))
    db.session.commit()
    admin = user_by_email(ADMIN)
    with pytest.raises(NotAllowed, match="Familjen Helsingborg"):
        people.deactivate_user(admin, coop(db), user)
    with pytest.raises(NotAllowed):
        people.update_user(admin, coop(db), user, name="Annat namn", title=user.title,
                           role=Role.OFFICIAL, municipality_id=user.municipality_id)
    # The role in this cooperation is this cooperation's own business.
    assert people.update_user(admin, coop(db), user, name=user.name, title=user.title,
                              role=Role.DIRECTOR, municipality_id=user.municipality_id)
    admin.is_system_admin = True
    people.deactivate_user(admin, coop(db), user)
    assert not user.is_active_account


def test_deactivation_ends_sessions_links_and_tokens_and_keeps_the_history(db, demo):
    user, secret = invite_new_user(db)
    _token, plaintext = tokens.create_token(official("Lund"), "diariet")
    db.session.commit()
    lund = official("Lund")
    nonce = lund.session_nonce
    admin = user_by_email(ADMIN)
    people.deactivate_user(admin, coop(db), lund)
    people.deactivate_user(admin, coop(db), user)
    db.session.commit()
    assert lund.session_nonce != nonce
    assert tokens.authenticate_token(plaintext) is None
    assert db.session.scalars(select(ApiToken)).one().revoked_at is not None
    with pytest.raises(passwords.LinkNoLongerValid, match="inaktiverat"):
        passwords.find_link(secret)
    assert authenticate(lund.email, "demo-losenord") is None
    assert db.session.get(User, lund.id) is not None  # never deleted
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert "user_deactivated" in actions
    people.reactivate_user(admin, coop(db), lund)
    db.session.commit()
    assert authenticate(lund.email, "demo-losenord") is lund
    assert tokens.authenticate_token(plaintext) is None  # revoked for good


def test_tokens_expire_after_the_lifetime_chosen(db, demo):
    user = official("Lund")
    token, plaintext = tokens.create_token(user, "diariet", 30)
    never, forever = tokens.create_token(user, "arkivet", None)
    db.session.commit()
    assert token.expires_at - token.created_at == timedelta(days=30)
    assert never.expires_at is None
    token.expires_at = utcnow() - timedelta(seconds=1)
    never.created_at = utcnow() - timedelta(days=3650)
    db.session.commit()
    with pytest.raises(tokens.TokenExpired, match="gick ut"):
        tokens.authenticate_token(plaintext)
    assert tokens.authenticate_token(forever) is user
    with pytest.raises(InvalidInput, match="hur länge"):
        tokens.create_token(user, "annat", 7)


def test_expired_tokens_do_not_count_against_the_limit(db, demo):
    user = official("Lund")
    for number in range(tokens.MAX_ACTIVE_TOKENS):
        token, _plain = tokens.create_token(user, f"nyckel {number}")
        token.expires_at = utcnow() - timedelta(days=1)
    tokens.create_token(user, "en till")  # would be refused if expired ones counted


def test_links_use_the_configured_address(app, db, demo, monkeypatch):
    monkeypatch.setitem(app.config, "EXTERNAL_BASE_URL", "https://yttrande.example.se/")
    assert passwords.link_url("abc") == "https://yttrande.example.se/set-password/abc"


def test_outside_development_a_missing_address_refuses_every_request_alike(app, db, demo, monkeypatch):
    # The Host header is the client's to choose: it must never decide where a link points.
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.setitem(app.config, "DEVELOPMENT", False)
    monkeypatch.setitem(app.config, "EXTERNAL_BASE_URL", None)
    with pytest.raises(passwords.NotConfigured):
        passwords.request_reset("finns.inte@example.se")
    with pytest.raises(passwords.NotConfigured):
        passwords.request_reset(ADMIN)


# --- pages --------------------------------------------------------------------------------------


def test_the_admin_page_lists_users_with_swedish_roles_and_account_state(app, db, demo):
    invite_new_user(db)
    people.deactivate_user(user_by_email(ADMIN), coop(db), official("Eslöv"))
    db.session.commit()
    page = admin_client(app).get(f"/admin/cooperations/{demo.cooperation_id}").get_data(as_text=True)
    assert "Tjänsteman" in page and "Kommundirektör" in page and "Koordinator" in page
    assert not re.search(r"<td>(official|director|coordinator|admin)</td>", page)
    assert "Inaktiverat" in page and "Inbjuden, har inte valt lösenord än" in page
    assert 'type="password"' not in page  # an administrator never chooses a password


def test_admin_invites_a_user_who_sets_their_own_password_once(app, db, demo, mail_log):
    client = admin_client(app)
    url = f"/admin/cooperations/{demo.cooperation_id}/users"
    response = client.post(url, data={
        "name": "Nils Ny", "email": "nils.ny@example.se", "title": "Utredare", "role": "official",
        "municipality_id": municipality("Lund").id,
        # Whatever an administrator sends, no password is set by them.
        "password": "admin-valt-losenord",
    })
    assert response.status_code == 302
    assert "nils.ny@example.se" in client.get(url.rsplit("/", 1)[0]).get_data(as_text=True)
    assert authenticate("nils.ny@example.se", "admin-valt-losenord") is None
    jobs.run_queued()  # the invitation is mailed by a job, never inside the request
    [secret] = mailed_secrets(mail_log)

    person = app.test_client()
    form = person.get(f"/set-password/{secret}")
    assert form.status_code == 200 and "nils.ny@example.se" in form.get_data(as_text=True)
    assert form.headers["Cache-Control"] == "no-store"
    assert form.headers["Referrer-Policy"] == "no-referrer"
    # Opening the link (as a mail scanner does) uses nothing up.
    assert person.get(f"/set-password/{secret}").status_code == 200
    done = person.post(f"/set-password/{secret}", data={"new_password": NEW_PASSWORD,
                                                         "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert login(person, "nils.ny@example.se", NEW_PASSWORD).status_code == 302

    again = app.test_client().get(f"/set-password/{secret}")
    assert again.status_code == 410 and "redan använts" in again.get_data(as_text=True)
    reuse = app.test_client().post(f"/set-password/{secret}",
                                   data={"new_password": "kapat-losenord", "confirm": "kapat-losenord"})
    assert reuse.status_code == 410
    assert authenticate("nils.ny@example.se", "kapat-losenord") is None
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert {"user_created", "invitation_sent", "password_set_by_link"} <= set(actions)


def test_a_refused_password_keeps_the_link_and_says_why(app, db, demo):
    _user, secret = invite_new_user(db)
    client = app.test_client()
    page = client.post(f"/set-password/{secret}", data={"new_password": NEW_PASSWORD,
                                                         "confirm": "något annat"})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "error-summary" in html and "Lösenorden stämmer inte överens." in html
    assert client.get(f"/set-password/{secret}").status_code == 200


def test_an_expired_link_page_says_so(app, db, demo):
    _user, secret = invite_new_user(db)
    db.session.scalars(select(PasswordLink)).one().expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    page = app.test_client().get(f"/set-password/{secret}")
    assert page.status_code == 410
    html = page.get_data(as_text=True)
    assert "Länken gick ut" in html and "/forgot-password" in html


def test_a_wrong_link_gets_a_clear_message(app, db, demo):
    invite_new_user(db)
    page = app.test_client().get("/set-password/inte-en-riktig-lank")
    assert page.status_code == 404
    assert "Länken finns inte" in page.get_data(as_text=True)


def test_a_deactivated_users_session_ends_at_once(app, db, demo):
    victim = app.test_client()
    assert login(victim, "tjansteman.lund@example.se").status_code == 302
    assert victim.get("/").status_code == 200
    _token, plaintext = tokens.create_token(official("Lund"), "diariet")
    db.session.commit()
    user_id = official("Lund").id
    admin = admin_client(app)
    base = f"/admin/cooperations/{demo.cooperation_id}/users/{user_id}"
    assert admin.post(f"{base}/deactivate").status_code == 302
    ended = victim.get("/")
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]
    assert login(app.test_client(), "tjansteman.lund@example.se").status_code == 401
    api = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert api.status_code == 401
    assert "Inaktiverat" in admin.get(base).get_data(as_text=True)
    assert admin.post(f"{base}/reactivate").status_code == 302
    assert login(app.test_client(), "tjansteman.lund@example.se").status_code == 302


def test_the_edit_form_refuses_clearly_and_keeps_what_was_typed(app, db, demo):
    user_id = user_by_email("koordinator@example.se").id
    page = admin_client(app).post(
        f"/admin/cooperations/{demo.cooperation_id}/users/{user_id}",
        data={"name": "Karin Nytt Namn", "title": "Samordnare", "role": "official",
              "municipality_id": 0})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "error-summary" in html and 'href="#municipality_id"' in html
    assert 'value="Karin Nytt Namn"' in html and 'value="Samordnare"' in html
    assert user_by_email("koordinator@example.se").name == "Karin Koordinator"


def test_editing_a_user_over_http(app, db, demo):
    user_id = official("Lund").id
    admin = admin_client(app)
    url = f"/admin/cooperations/{demo.cooperation_id}/users/{user_id}"
    assert 'value="Tjänsteman Lund"' in admin.get(url).get_data(as_text=True)
    saved = admin.post(url, data={"name": "Lena Lund", "title": "Strateg", "role": "director",
                                  "municipality_id": municipality("Lund").id})
    assert saved.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert user.name == "Lena Lund" and user.role_in(demo.cooperation_id) is Role.DIRECTOR


def test_only_admins_administer_users(app, db, demo):
    user_id = official("Malmö").id
    coordinator = app.test_client()
    login(coordinator, "koordinator@example.se")
    base = f"/admin/cooperations/{demo.cooperation_id}/users"
    assert coordinator.get(f"{base}/{user_id}").status_code == 403
    for action in ("deactivate", "reactivate", "invitation"):
        assert coordinator.post(f"{base}/{user_id}/{action}").status_code == 403
    assert coordinator.post(base, data={"name": "X", "email": "x@example.se", "role": "admin",
                                        "municipality_id": 0}).status_code == 403
    db.session.expire_all()
    assert db.session.get(User, user_id).is_active_account
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "x@example.se")) == 0


def test_a_user_of_another_cooperation_is_not_found(app, db, demo):
    other = people.create_cooperation(None, "Skåne Nordost")
    outsider = people.create_user(email="ute@example.se", name="Ute", password="losenord-123",
                                  cooperation=other, role=Role.COORDINATOR)
    db.session.commit()
    admin = admin_client(app)
    base = f"/admin/cooperations/{demo.cooperation_id}/users/{outsider.id}"
    assert admin.get(base).status_code == 404
    assert admin.post(f"{base}/deactivate").status_code == 404
    db.session.expire_all()
    assert db.session.get(User, outsider.id).is_active_account


def test_resending_an_invitation_replaces_the_link(app, db, demo, mail_log):
    user, first = invite_new_user(db)
    admin = admin_client(app)
    url = f"/admin/cooperations/{demo.cooperation_id}/users/{user.id}/invitation"
    assert admin.post(url).status_code == 302
    jobs.run_queued()
    newest = mailed_secrets(mail_log)[-1]
    assert newest != first
    assert app.test_client().get(f"/set-password/{first}").status_code == 410
    assert app.test_client().get(f"/set-password/{newest}").status_code == 200
    # Someone who has chosen a password asks for a link themselves.
    refused = admin.post(f"/admin/cooperations/{demo.cooperation_id}/users/{official('Lund').id}/invitation")
    assert refused.status_code == 400 and "redan valt ett lösenord" in refused.get_data(as_text=True)


def test_forgot_password_does_not_reveal_whether_an_account_exists(app, db, demo, mail_log):
    def ask(email: str) -> str:
        response = app.test_client().post("/forgot-password", data={"email": email})
        assert response.status_code == 200
        page = response.get_data(as_text=True).replace(email, "ADDRESS")
        return CSRF_VALUE_RE.sub("", page)  # each page has its own token

    known = ask("tjansteman.lund@example.se")
    unknown = ask("finns.inte@example.se")
    people.deactivate_user(user_by_email(ADMIN), coop(db), official("Malmö"))
    db.session.commit()
    deactivated = ask("tjansteman.malmo@example.se")
    assert known == unknown == deactivated
    assert "Om det finns ett konto med adressen" in known
    # Only the real, active account got a mail (by a job); its link sets a new password.
    jobs.run_queued()
    [secret] = mailed_secrets(mail_log)
    client = app.test_client()
    assert client.post(f"/set-password/{secret}", data={"new_password": NEW_PASSWORD,
                                                         "confirm": NEW_PASSWORD}).status_code == 302
    assert login(client, "tjansteman.lund@example.se", NEW_PASSWORD).status_code == 302
    assert login(app.test_client(), "tjansteman.lund@example.se").status_code == 401


def test_forgot_password_is_limited_the_same_for_every_address(app, db, demo):
    def statuses(email: str) -> list[int]:
        return [app.test_client().post("/forgot-password", data={"email": email}).status_code
                for _ in range(4)]

    assert statuses("tjansteman.lund@example.se") == statuses("finns.inte@example.se") == [200, 200, 200, 429]


def test_forgot_password_refuses_a_bad_address_with_the_summary(app, db, demo):
    page = app.test_client().post("/forgot-password", data={"email": "inte en adress"})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "error-summary" in html and 'value="inte en adress"' in html


def test_the_login_page_links_to_forgot_password(client, db):
    assert 'href="/forgot-password"' in client.get("/login").get_data(as_text=True)


def test_an_expired_api_token_is_refused_with_a_swedish_message(app, db, demo):
    token, plaintext = tokens.create_token(official("Lund"), "diariet", 30)
    token.expires_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 401
    error = response.get_json()["error"]
    assert error["status"] == 401 and "diariet" in error["message"] and "gick ut" in error["message"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_the_profile_page_offers_and_shows_token_expiry(app, db, demo):
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    page = client.get("/profile").get_data(as_text=True)
    assert 'name="lifetime"' in page and 'value="90" selected' in page
    assert 'href="/api/v1/docs"' in page
    created = client.post("/profile/tokens", data={"name": "diariet", "lifetime": "365"})
    assert created.status_code == 200
    token = db.session.scalars(select(ApiToken)).one()
    assert token.expires_at - token.created_at == timedelta(days=365)
    local = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])  # the page shows Swedish time
    assert token.expires_at.astimezone(local).strftime("%Y-%m-%d %H:%M") in created.get_data(as_text=True)
    refused = client.post("/profile/tokens", data={"name": "annat", "lifetime": "7"})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "error-summary" in html and 'href="#api-token-lifetime"' in html
    assert 'value="annat"' in html


def test_a_deactivated_account_gets_no_notifications(db, in_review):
    from drafting.models import Notification
    from drafting.services import notifications
    from drafting.services.queries import latest_version

    coordinator = user_by_email("koordinator@example.se")
    people.deactivate_user(user_by_email(ADMIN), coop(db), coordinator)
    version = latest_version(in_review)
    notifications.objection_raised(in_review, "Lund", version)
    notifications.reply_posted(in_review, coordinator.id, official("Lund"))
    notifications.consensus_reached(in_review, version)
    db.session.flush()
    assert db.session.scalar(select(func.count(Notification.id))
                             .where(Notification.user_id == coordinator.id)) == 0
    assert db.session.scalar(select(func.count(Notification.id))
                             .where(Notification.user_id == official("Lund").id)) >= 1
