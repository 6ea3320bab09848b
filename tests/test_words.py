"""The words a registrar reads: the catalog follows the glossary, and no page shows a raw value.

The glossary (drafting/glossary.py) is the one Swedish word list; every Swedish message of the
code and the templates is checked against it. Every page, as each role, in Swedish and in
English, is crawled for role and stage values that leaked through without their label.
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from drafting.glossary import GLOSSARY, ROLE_TERMS, STAGE_TERMS, term
from drafting.labels import DECISION_LABELS, ROLE_LABELS, STAGE_LABELS
from drafting.models import Decision, Role, Stage
from drafting.services import responses
from drafting.services.overview import overview
from drafting.services.review import position_sentence
from tests.conftest import coordinator, login, municipality

ROOT = Path(__file__).resolve().parent.parent
EN_PO = ROOT / "drafting" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
LETTERS = "a-zåäöéü"
# Letters a misspelling may swap (missing diacritics) and what may stand between two letters.
LOOSE = {"å": "[åa]", "ä": "[äa]", "ö": "[öo]", "é": "[ée]", " ": r"[\s-]*"}


@cache
def swedish_messages() -> tuple[str, ...]:
    """Every Swedish msgid of the code and the templates (singular and plural forms)."""
    method_map = [("drafting/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.do"}}
    found: set[str] = set()
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map=options,
            keywords={"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None,
                      "_l": None}):
        if "migrations" in filename:
            continue
        found.update(m for m in ([message] if isinstance(message, str) else message) if m)
    return tuple(sorted(found))


def english() -> dict[str, str]:
    with EN_PO.open("rb") as f:
        return {m.id: m.string for m in read_po(f) if isinstance(m.id, str)}


def loose_pattern(word: str) -> re.Pattern:
    """The word at the start of a word, also when written without å/ä/ö or split by a hyphen."""
    body = r"[\s-]?".join(LOOSE.get(ch, re.escape(ch)) for ch in word if ch != " ") \
        if " " not in word else "".join(LOOSE.get(ch, re.escape(ch)) for ch in word)
    return re.compile(rf"(?<![{LETTERS}]){body}", re.IGNORECASE)


def misspelled(messages) -> list[str]:
    """Glossary terms written otherwise: without å/ä/ö, or split by a space or hyphen."""
    wrong = []
    for t in GLOSSARY:
        spellings = {t.swedish, *t.forms}
        for word in spellings:
            pattern = loose_pattern(word)
            for message in messages:
                wrong += [f"{m.group(0)!r} for {word!r} in {message!r}"
                          for m in pattern.finditer(message) if m.group(0).lower() not in spellings]
    return wrong


WRONG_BEFORE = {"en": ("ett", "nytt", "inget", "vilket", "detta"),
                "ett": ("en", "ny", "ingen", "vilken", "denna")}


def wrong_gender(messages) -> list[str]:
    """"Ny ändringsförslag", "ett kommentar": an article or adjective of the other gender."""
    wrong = []
    for t in GLOSSARY:
        if t.gender is None:
            continue
        words = "|".join(WRONG_BEFORE[t.gender])
        pattern = re.compile(rf"(?<![{LETTERS}])({words})\s+{re.escape(t.swedish)}(?![{LETTERS}])",
                             re.IGNORECASE)
        wrong += [f"{m.group(0)!r} in {message!r}" for message in messages
                  for m in pattern.finditer(message)]
    return wrong


def misused(messages) -> list[str]:
    """A term beside a word it never goes with (a remissinstans is never the sender)."""
    wrong = []
    for t in GLOSSARY:
        for message in messages:
            lowered = message.lower()
            if t.swedish in lowered:
                wrong += [f"{t.swedish!r} with {other!r} in {message!r}" for other in t.never_with
                          if re.search(rf"(?<![{LETTERS}]){other}(?![{LETTERS}])", lowered)]
    return wrong


def test_the_checks_find_the_mistakes_seen_before():
    assert sorted(misspelled(["Kommundirektor", "Tjanstemän i kommunen", "Er Beteckning"])) == [
        "'Kommundirektor' for 'kommundirektör' in 'Kommundirektor'",
        "'Tjanstemän' for 'tjänstemän' in 'Tjanstemän i kommunen'"]
    assert sorted(wrong_gender(["Ny ändringsförslag på ”X”.", "Nytt ändringsförslag",
                                "Ett kommentar"])) == [
        "'Ett kommentar' in 'Ett kommentar'", "'Ny ändringsförslag' in 'Ny ändringsförslag på ”X”.'"]
    assert misused(["Avsändare (remissinstans)", "Remissinstansens diarienummer", "Remissinstanser"]
                   ) == ["'remissinstans' with 'avsändare' in 'Avsändare (remissinstans)'",
                         "'remissinstans' with 'diarienummer' in 'Remissinstansens diarienummer'"]


def test_every_glossary_term_in_the_catalog_is_spelled_as_the_glossary_says():
    wrong = misspelled(swedish_messages())
    assert not wrong, "\n".join(wrong)


def test_nouns_take_the_article_and_adjective_of_their_gender():
    wrong = wrong_gender(swedish_messages())
    assert not wrong, "\n".join(wrong)


def test_no_term_stands_where_it_means_something_else():
    """A remissinstans is the body that answers: never the ministry that sent the remiss."""
    wrong = misused(swedish_messages())
    assert not wrong, "\n".join(wrong)


def test_role_and_stage_labels_are_the_glossary_terms_in_both_languages(app):
    catalog = english()
    for role in Role:
        swedish = ROLE_TERMS[role]
        assert ROLE_LABELS[role]._args[0] == swedish.capitalize()
        assert catalog[swedish.capitalize()] == term(swedish).english.capitalize()
    for stage in Stage:
        swedish, in_english = STAGE_TERMS[stage]
        assert STAGE_LABELS[stage]._args[0] == swedish.capitalize()
        assert catalog[swedish.capitalize()] == in_english
    assert set(DECISION_LABELS) == set(Decision)


@pytest.mark.parametrize("decision, note, sentence", [
    (Decision.APPROVE, "", "Malmö godkänner version 1."),
    (Decision.APPROVE_WITH_NOTE, "Se avsnitt 2.", "Malmö godkänner version 1 med synpunkter: Se avsnitt 2."),
    (Decision.OBJECT, "Fel siffra.", "Malmö invänder mot version 1: Fel siffra."),
])
def test_a_position_reads_as_a_sentence(app, decision, note, sentence):
    with app.test_request_context():
        assert position_sentence("Malmö", decision, 1, note) == sentence


def test_the_overview_counts_no_municipalities_before_anyone_takes_part(db, demo, join):
    with_nobody = overview(demo)
    assert with_nobody.missing_briefly() == "Inga kommuner deltar än"
    responses.invite(demo, coordinator(), [municipality("Höör").id])
    assert overview(demo).missing_briefly() == "Inga kommuner deltar än; 1 inbjudan obesvarad"
    join(demo, "Lund", "Malmö")
    assert overview(demo).missing_briefly() == "Ingen version publicerad än; 1 inbjudan obesvarad"


def test_the_overview_counts_who_has_not_taken_a_position(db, in_review):
    assert overview(in_review).missing_briefly() == "2 kommuner har inte tagit ställning"


def test_the_new_response_form_names_the_sender_not_a_remissinstans(client, demo):
    login(client, "koordinator@example.se")
    page = client.get(f"/cooperations/{demo.cooperation_id}/responses/new").get_data(as_text=True)
    assert "Avsändare (departement eller myndighet)" in page
    assert "Remissens diarienummer (Er beteckning)" in page
    assert "remissinstans" not in page.lower()


def test_a_resolved_suggestion_has_a_space_before_each_dot(client, in_review):
    from drafting.services import comments, drafting
    from tests.conftest import official

    section = drafting.working_sections(in_review)[0]
    text = section.body.split()[0]
    comment = comments.add_comment(in_review, official("Lund"), section, "Byt ord.",
                                   exact=text, suggested_text="Annat")
    comments.set_resolved(comment, official("Lund"), True)
    from drafting.extensions import db
    db.session.commit()
    login(client, "tjansteman.lund@example.se")
    page = client.get(f"/responses/{in_review.id}").get_data(as_text=True)
    meta = re.sub(r"<[^>]+>", "", page[page.index(f'id="comment-{comment.id}"'):])
    meta = re.sub(r"\s+", " ", meta[:meta.index("Byt ord.")])
    assert "✔ Löst · Ändringsförslag" in meta


# --- no raw values on any page --------------------------------------------------------------

RAW_ROLES = [role.value for role in Role]
RAW_STAGES = [stage.value for stage in Stage]
RAW = RAW_ROLES + RAW_STAGES
# In Swedish these are never words ("sent" is: "för sent"), so they may not appear at all.
NEVER_IN_SWEDISH = [value for value in RAW if value != "sent"]


HIDDEN = ("script", "style", "template", "code")


class VisibleText(HTMLParser):
    """The text a person sees or hears: text nodes and the attributes read aloud.

    Not <code>: the API documentation shows the API's own values as code, on purpose.
    """

    READ_ALOUD = ("aria-label", "title", "alt", "placeholder")

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self._hidden += 1
        self.pieces += [value for name, value in attrs if name in self.READ_ALOUD and value]
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.pieces.append(dict(attrs).get("value") or "")

    def handle_endtag(self, tag):
        if tag in HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.pieces.append(data.strip())


def visible_pieces(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.pieces


def leaked_values(html: str, locale: str) -> list[str]:
    """Raw role or stage values shown as text: a whole text that is one, or (Swedish) any word."""
    found = []
    for piece in visible_pieces(html):
        if piece in RAW:
            found.append(piece)
        elif locale == "sv":
            found += [w for w in NEVER_IN_SWEDISH
                      if re.search(rf"(?<![\w/._@-]){w}(?![\w/._@-])", piece)]
    return found


PEOPLE = {
    "admin": "admin@example.se",
    "coordinator": "koordinator@example.se",
    "official": "tjansteman.lund@example.se",
    "director": "direktor.lund@example.se",
}


@pytest.fixture
def every_stage(db, signed, join):
    """The signed demo response, plus one response in each other stage, and a comment."""
    from datetime import timedelta

    from drafting.models import FocusArea, local_today
    from drafting.services import drafting, review, stages
    from drafting.services.responses import ConsultationInput, open_response
    from tests.conftest import director, official, sign_data

    def opened(title: str):
        return open_response(signed.cooperation, coordinator(), ConsultationInput(
            sender="Finansdepartementet", reference_number="Fi2026/00100", title=title,
            deadline=local_today() + timedelta(days=20), received_on=local_today(), url=""),
            FocusArea.LABOUR, "")

    opened("I utkast")
    review_response = join(opened("Under förankring"), "Lund", "Malmö")
    drafting.add_section(review_response, coordinator(), "Sammanfattning", "Vi tillstyrker.")
    drafting.publish_version(review_response, coordinator(), "")
    review.record_position(review_response, official("Lund"), 1, Decision.APPROVE_WITH_NOTE,
                           "Se avsnitt 1.")
    consensus = join(opened("Med samsyn"), "Lund", "Malmö")
    drafting.add_section(consensus, coordinator(), "Sammanfattning", "Vi avstyrker.")
    drafting.publish_version(consensus, coordinator(), "")
    for name in ("Lund", "Malmö"):
        review.record_position(consensus, official(name), 1, Decision.APPROVE)
    sent = join(opened("Skickat"), "Lund", "Malmö")
    drafting.add_section(sent, coordinator(), "Sammanfattning", "Inga synpunkter.")
    drafting.publish_version(sent, coordinator(), "")
    for name in ("Lund", "Malmö"):
        review.record_position(sent, official(name), 1, Decision.APPROVE)
    for name in ("Lund", "Malmö"):
        review.sign_off(sent, director(name), 1, sign_data(name))
    stages.record_sent(sent, coordinator(), local_today())
    stages.withdraw(opened("Återkallat"), coordinator(), "Remissen drogs tillbaka.")
    db.session.commit()
    return signed


def crawl_urls(app, ids: dict) -> list[str]:
    """Every GET page of the app with the given ids; not the downloads, and not the API or its
    documentation page, which shows the API's own vocabulary (tags such as "review", enum
    values) as programs use it."""
    urls = []
    for rule in app.url_map.iter_rules():
        if ("GET" not in rule.methods or rule.endpoint in ("static", "auth.logout")
                or rule.rule.startswith("/api/")  # JSON, and the API documentation (below)
                or "." in rule.rule.rsplit("/", 1)[-1]):  # downloads: .docx, .pdf, .csv
            continue
        if not set(rule.arguments) <= set(ids):
            continue
        urls.append(rule.build({name: ids[name] for name in rule.arguments},
                               append_unknown=False)[1])
    return sorted(set(urls))


@pytest.mark.parametrize("locale", ["sv", "en"])
@pytest.mark.parametrize("who", list(PEOPLE))
def test_no_page_shows_a_raw_role_or_stage_value(app, db, every_stage, who, locale):
    from drafting.models import JointResponse
    from drafting.services import drafting
    from tests.conftest import official

    response_ids = list(db.session.scalars(db.select(JointResponse.id)))
    section = drafting.working_sections(every_stage)[0]
    ids = {"cooperation_id": every_stage.cooperation_id, "section_id": section.id, "number": 1,
           "user_id": official("Lomma").id, "municipality_id": municipality("Lund").id,
           "token": "not-a-real-link", "token_id": 1, "comment_id": 1}
    db.session.commit()
    client = app.test_client()
    login(client, PEOPLE[who])
    client.post("/language", data={"lang-locale": locale, "next": "/"})
    urls = set(crawl_urls(app, ids))  # the pages of no particular response
    for response_id in response_ids:
        urls.update(crawl_urls(app, {**ids, "response_id": response_id}))
    leaks, seen = [], 0
    for url in sorted(urls):
        page = client.get(url)
        if page.status_code != 200 or page.mimetype != "text/html":
            continue
        seen += 1
        leaks += [f"{url}: {value!r}" for value in leaked_values(page.get_data(as_text=True), locale)]
    assert seen > 10
    assert not leaks, "\n".join(sorted(set(leaks)))
