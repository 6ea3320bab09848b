"""Nothing offered that can't be done: for each stage × person, every form and button on the
response page and the draft page posts to an action `permissions.can` allows now, every link to a
page that needs a permission is allowed, and every in-page link has its target.

The endpoints' permissions come from test_route_matrix (one table for both tests).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from lxml import html as lxml_html
from werkzeug.exceptions import HTTPException

from drafting.models import JointResponse, Stage
from drafting.permissions import Action, can
from tests.conftest import login, user_by_email
from tests.scenarios import STAGES, build_stage
from tests.test_route_matrix import OWN_DATA_POSTS, POST_ACTIONS

PEOPLE = {
    "coordinator": "koordinator@example.se",
    "official (joined)": "tjansteman.lund@example.se",
    "director (joined)": "direktor.malmo@example.se",
    "official (invited)": "tjansteman.lomma@example.se",
    "official (not invited)": "tjansteman.vellinge@example.se",
}
# Pages that need a permission to be shown at all (GET), and which.
GET_ACTIONS = {"drafting.draft": Action.EDIT_DRAFT, "drafting.edit_section": Action.EDIT_DRAFT,
               "drafting.reply": Action.COMMENT}


def endpoint_of(app, url: str, method: str) -> str | None:
    try:
        endpoint, _ = app.url_map.bind("localhost").match(urlsplit(url).path, method=method)
    except HTTPException:
        return None
    return endpoint


def offered_posts(document) -> list[tuple[str, str]]:
    """(action, label) of every way to post from the page: forms and buttons with formaction."""
    posts = []
    for form in document.iter("form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        buttons = [b for b in form.iter("button") if (b.get("type") or "submit") == "submit"]
        if form.get("action"):
            label = " / ".join(b.text_content().strip() for b in buttons) or "(form)"
            posts.append((form.get("action"), label))
    for button in document.iter("button"):
        if button.get("formaction"):
            posts.append((button.get("formaction"), button.text_content().strip()))
    return posts


@pytest.mark.parametrize("stage", STAGES)
def test_every_control_offered_is_allowed_now(app, db, demo, join, stage):
    ids = build_stage(db, demo, join, stage)
    response = db.session.get(JointResponse, ids["response"])
    problems = []
    for who, email in PEOPLE.items():
        user = user_by_email(email)
        client = app.test_client()
        assert login(client, email).status_code == 302
        for path in (f"/responses/{response.id}", f"/responses/{response.id}/draft"):
            answer = client.get(path)
            db.session.expire_all()
            may_edit = can(user, Action.EDIT_DRAFT, response)
            if path.endswith("/draft"):
                if not may_edit:
                    assert answer.status_code in (403, 409), (who, stage, answer.status_code)
                    continue
            assert answer.status_code == 200, (who, stage, path, answer.status_code)
            document = lxml_html.fromstring(answer.get_data(as_text=True))
            for action, label in offered_posts(document):
                endpoint = endpoint_of(app, action, "POST")
                if endpoint in OWN_DATA_POSTS:
                    continue
                assert endpoint in POST_ACTIONS, f"{action} ({endpoint}) has no permission in the table"
                needed = POST_ACTIONS[endpoint]
                if not can(user, needed, response):
                    problems.append(f"{stage} {who} {path}: offers “{label}” ({endpoint}), "
                                    f"but may not {needed.value} now")
            ids_on_page = {e.get("id") for e in document.iter() if e.get("id")}
            for link in document.iter("a"):
                href = link.get("href") or ""
                endpoint = endpoint_of(app, href, "GET") if href.startswith("/") else None
                if endpoint in GET_ACTIONS and not can(user, GET_ACTIONS[endpoint], response):
                    problems.append(f"{stage} {who} {path}: links to {href}, which needs "
                                    f"{GET_ACTIONS[endpoint].value}")
                target = urlsplit(href)
                if target.fragment and (not target.path or target.path == path):
                    if target.fragment not in ids_on_page:
                        problems.append(f"{stage} {who} {path}: “{link.text_content().strip()}” "
                                        f"leads to #{target.fragment}, which is not on the page")
            if path.endswith("/draft"):
                problems += dead_end_moves(document, path)
    assert not problems, "\n".join(problems)


def dead_end_moves(document, path: str) -> list[str]:
    """"Flytta upp" never on the first section, "Flytta ner" never on the last."""
    sections = [a for a in document.iter("article") if "doc-section" in (a.get("class") or "")]
    problems = []
    for index, section in enumerate(sections):
        directions = {i.get("value") for i in section.iter("input") if i.get("name") == "direction"}
        if index == 0 and "up" in directions:
            problems.append(f"{path}: “Flytta upp” on the first section")
        if index == len(sections) - 1 and "down" in directions:
            problems.append(f"{path}: “Flytta ner” on the last section")
    return problems


@pytest.mark.parametrize("stage", ["signed", "sent"])
def test_a_frozen_response_offers_no_edit_move_add_import_or_publish(app, db, demo, join, stage):
    ids = build_stage(db, demo, join, stage)
    client = app.test_client()
    login(client, "koordinator@example.se")
    for path in (f"/responses/{ids['response']}", f"/responses/{ids['response']}/export/",
                 f"/responses/{ids['response']}/versions"):
        document = lxml_html.fromstring(client.get(path).get_data(as_text=True))
        controls = [e.text_content().strip() for e in document.iter("button", "a")]
        for word in ("Redigera", "Flytta", "Lägg till avsnitt", "Läs in", "Publicera", "Spara beteckningen",
                     "Ta bort", "Återställ", "För in förslaget", "Bjud in", "Skicka inbjudan"):
            assert not [c for c in controls if c.startswith(word)], (path, word)


def test_the_head_of_a_sent_response_says_when_it_was_sent(app, db, demo, join):
    from drafting.models import local_today

    ids = build_stage(db, demo, join, "sent")
    assert Stage(db.session.get(JointResponse, ids["response"]).stage) is Stage.SENT
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    for path in ("", "/matrix", "/versions", "/audit", "/export/"):
        page = client.get(f"/responses/{ids['response']}{path}").get_data(as_text=True)
        head = page[page.index('class="response-header"'):page.index("</header>", page.index('class="response-header"'))]
        assert f"Skickat {local_today().isoformat()}" in head
        assert "kvar" not in head and "Sista svarsdag" not in head
