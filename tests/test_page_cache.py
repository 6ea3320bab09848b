"""The response page's document column is cached, and never shows anything stale or someone else's."""

from __future__ import annotations

import re

from drafting.services import comments, drafting
from tests.conftest import login, official

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def page(client, response_id: int) -> str:
    answer = client.get(f"/responses/{response_id}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_a_new_comment_resolving_and_replying_show_at_once(app, db, in_review):
    response_id = in_review.id
    section = drafting.working_sections(in_review)[0]
    db.session.commit()
    lund = app.test_client()
    login(lund, "tjansteman.lund@example.se")
    assert "Busslinjerna saknas" not in page(lund, response_id)  # now cached

    comment = comments.add_comment(in_review, official("Malmö"), section, "Busslinjerna saknas")
    db.session.commit()
    assert "Busslinjerna saknas" in page(lund, response_id)

    comments.set_resolved(comment, official("Malmö"), True)
    db.session.commit()
    assert f'id="comment-{comment.id}"' in page(lund, response_id)
    assert re.search(rf'class="comment resolved[^"]*" id="comment-{comment.id}"', page(lund, response_id))

    comments.reply(comment, official("Lund"), "Håller med om linjerna")
    db.session.commit()
    assert "Håller med om linjerna" in page(lund, response_id)


def test_each_viewer_gets_their_own_token_and_their_own_controls(app, db, in_review):
    response_id = in_review.id
    section = drafting.working_sections(in_review)[0]
    comments.add_comment(in_review, official("Lund"), section, "Förslag", exact="",
                         suggested_text=None)
    db.session.commit()
    coordinator, lund, vellinge = app.test_client(), app.test_client(), app.test_client()
    login(coordinator, "koordinator@example.se")
    login(lund, "tjansteman.lund@example.se")
    login(vellinge, "tjansteman.vellinge@example.se")
    pages = {name: page(client, response_id)
             for name, client in (("coordinator", coordinator), ("lund", lund), ("vellinge", vellinge))}
    for name, html in pages.items():
        tokens = set(TOKEN_RE.findall(html))
        assert len(tokens) == 1, f"{name} sees another session's CSRF token"
    assert "Kommentera avsnittet" in pages["lund"]
    assert "Kommentera avsnittet" not in pages["vellinge"]  # never invited: no comment form
    # Cached for the second request too, still with the viewer's own token.
    again = page(lund, response_id)
    assert set(TOKEN_RE.findall(again)) == set(TOKEN_RE.findall(pages["lund"]))
