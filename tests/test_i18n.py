"""Swedish by default, English on request: the language switch and the English catalog."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.conftest import login

EN_PO = Path(__file__).resolve().parent.parent / "drafting" / "translations" / "en" / "LC_MESSAGES" / "messages.po"

# Common Swedish UI words that must not be left in the navigation once English is chosen.
SWEDISH_NAV_WORDS = ["Översikt", "Aviseringar", "Mitt konto", "Logga ut", "Versioner"]

NAV_RE = re.compile(r"<nav\b.*?</nav>", re.S)
PLACEHOLDER_RE = re.compile(r"%\([^)]+\)[sd]|%[sd]")


def _switch_to_english(client, next_url: str = "/"):
    response = client.post("/language", data={"lang-locale": "en", "next": next_url})
    assert response.status_code == 302
    assert response.headers["Location"] == next_url
    return response


def _navigation(html: str) -> str:
    navs = NAV_RE.findall(html)
    assert navs, "no <nav> on the page"
    return "\n".join(navs)


def test_login_page_is_swedish_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="sv"' in page
    assert "Logga in" in page
    assert "Log in" not in page


def test_language_switch_before_login_translates_the_login_page(client):
    _switch_to_english(client, "/login")
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "<h1>Log in</h1>" in page
    assert "Email address" in page and "Password" in page
    assert "Logga in" not in page


def test_dashboard_in_english(client, demo):
    assert login(client, "koordinator@example.se").status_code == 302
    _switch_to_english(client, "/")
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'lang="en"' in page
    assert "<h1>Joint responses</h1>" in page
    assert ">In progress</h2>" in page
    assert ">Deadline<" in page and ">Stage<" in page
    assert "Draft" in page  # stage badge of the demo response
    nav = _navigation(page)
    for english in ["Overview", "Notifications", "My account", "Log out"]:
        assert english in nav
    for swedish in SWEDISH_NAV_WORDS:
        assert swedish not in nav, swedish
    assert "Change language" in page


def test_demo_response_page_in_english(client, demo):
    assert login(client, "koordinator@example.se").status_code == 302
    _switch_to_english(client, "/")
    response = client.get(f"/responses/{demo.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'lang="en"' in page
    for heading in ["Working draft (not yet published)", "Current status", "Coordinator"]:
        assert heading in page, heading
    assert "Reference number" in page
    assert "No version has been published yet." in page
    nav = _navigation(page)
    for english in ["Text and comments", "Positions", "Versions", "Edit draft", "Audit log"]:
        assert english in nav, english
    for swedish in SWEDISH_NAV_WORDS:
        assert swedish not in nav, swedish


def test_official_keeps_english_in_a_new_session(app, demo):
    first = app.test_client()
    assert login(first, "tjansteman.lund@example.se").status_code == 302
    _switch_to_english(first, "/")

    second = app.test_client()  # new session: the choice is remembered on the account
    assert login(second, "tjansteman.lund@example.se").status_code == 302
    page = second.get(f"/responses/{demo.id}").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Current status" in page
    for swedish in SWEDISH_NAV_WORDS:
        assert swedish not in _navigation(page), swedish


def test_switching_back_to_swedish(client, demo):
    assert login(client, "koordinator@example.se").status_code == 302
    _switch_to_english(client, "/")
    client.post("/language", data={"lang-locale": "sv", "next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert 'lang="sv"' in page and "Gemensamma yttranden" in page


def _english_entries():
    with EN_PO.open("rb") as f:
        catalog = read_po(f)
    return [m for m in catalog if m.id]


def test_english_catalog_is_complete_and_keeps_placeholders():
    entries = _english_entries()
    assert entries, "the English catalog is empty"
    problems = []
    for message in entries:
        if message.pluralizable:
            # English has two forms: msgstr[0] pairs with msgid, msgstr[1] with msgid_plural.
            if len(message.string) != 2 or not all(message.string):
                problems.append(f"untranslated plural: {message.id!r}")
                continue
            pairs = list(zip(message.id, message.string, strict=True))
        else:
            pairs = [(message.id, message.string)]
            if not message.string:
                problems.append(f"untranslated: {message.id!r}")
                continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        for source, target in pairs:
            if sorted(PLACEHOLDER_RE.findall(source)) != sorted(PLACEHOLDER_RE.findall(target)):
                problems.append(f"placeholders differ: {source!r} -> {target!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("swedish, english", [
    ("Förankring", "Review"),
    ("Sista svarsdag", "Deadline"),
    ("Diarienummer", "Reference number"),
    ("Gemensamma yttranden", "Joint responses"),
])
def test_glossary_terms(swedish, english):
    by_id = {m.id: m.string for m in _english_entries()}
    assert swedish in by_id, f"{swedish!r} is missing from the catalog"
    assert by_id[swedish] == english


def test_every_message_in_the_code_and_templates_is_in_the_english_catalog():
    """A new Swedish string without an English entry would show Swedish in the English interface."""
    from babel.messages.extract import extract_from_dir

    root = EN_PO.parents[4]
    method_map = [("drafting/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.do"}}
    in_catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in _english_entries()}
    missing = set()
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(root), method_map, options_map=options,
            keywords={"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None,
                      "_l": None}):
        if "migrations" in filename:
            continue
        msgid = message if isinstance(message, str) else message[0]
        if msgid and msgid not in in_catalog:
            missing.add(f"{filename}: {msgid!r}")
    assert not missing, "\n".join(sorted(missing))


def test_a_template_reads_its_texts_from_one_catalog_lookup_in_the_locale_it_is_rendered_in(
        app, monkeypatch):
    import flask_babel
    from flask import render_template_string

    import drafting.i18n

    lookups = []
    real = flask_babel.get_translations

    def counted():
        lookups.append(1)
        return real()

    monkeypatch.setattr(drafting.i18n, "get_translations", counted)
    source = ("{{ _('Logga in') }} {{ ngettext('%(num)d kommun är inbjuden.', "
              "'%(num)d kommuner är inbjudna.', 2) }} {{ _('Logga ut') }}")
    with app.test_request_context("/"):
        assert render_template_string(source) == "Logga in 2 kommuner är inbjudna. Logga ut"
        assert len(lookups) == 1  # once for the rendering, not once per text
        with flask_babel.force_locale("en"):
            assert render_template_string(source) == "Log in 2 municipalities invited. Log out"
        # A template rendered without render_template has no catalog in its context: it asks.
        assert app.jinja_env.from_string("{{ _('Logga in') }}").render() == "Logga in"
