"""Across versions: the compare page reads the rendered text, comments say their version and
when they are outdated, objections carry over; and a passage can be chosen without a mouse."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from drafting.models import AnchorState, Comment, Decision, SuggestionState
from drafting.services import anchoring, comments, drafting, review
from tests.conftest import coordinator, csrf_token_from, login, official, statements_sent

MAIN_RE = re.compile(r"<main\b.*?</main>", re.S)


def main_of(page: str) -> str:
    (main,) = MAIN_RE.findall(page)
    return main


def edit(response, index: int, change) -> None:
    section = drafting.working_sections(response)[index]
    drafting.save_section(section, coordinator(), section.heading, change(section.body),
                          section.current_revision.number)


def second_version(response) -> None:
    """A list item is added, a table cell edited, a paragraph with a link added."""
    edit(response, 0, lambda body: body.replace(
        "- att kommunernas egna planer", "- cykelvägar mellan tätorterna,\n- att kommunernas egna planer"))
    edit(response, 2, lambda body: body.replace("| Kommunerna | Bör delas med regionen |",
                                                "| Regionen | Bör delas med regionen |")
         + "\n\nAndelen är 1,1 procent enligt [SOU 2021:3](https://example.se/sou).")


# --- the compare page ---------------------------------------------------------------------


def test_compare_page_shows_the_rendered_text_and_the_change_note(client, db, in_review):
    response_id = in_review.id
    edit(in_review, 3, lambda body: body + "\n\nAndelen är 0,8 procent.")
    drafting.publish_version(in_review, coordinator(), "Andelen tillagd.")
    edit(in_review, 3, lambda body: body.replace("0,8", "1,1"))
    second_version(in_review)
    drafting.publish_version(in_review, coordinator(), "Cykelvägar och regionens ansvar.")
    db.session.commit()
    login(client, "tjansteman.lund@example.se")
    answer = client.get(f"/responses/{response_id}/compare?from=1&to=3")
    assert answer.status_code == 200
    main = main_of(answer.get_data(as_text=True))
    # No Markdown syntax anywhere: emphasis, tables, links, headings and list markers are gone.
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", main))
    for syntax in ("**", "|---", "| ", "](", "## ", "\n- "):
        assert syntax not in text, syntax
    assert "https://example.se/sou" not in main  # a link is its text
    # The change notes of versions 2 and 3 stand beside the diff.
    notes = main[main.index('class="change-notes"'):main.index('class="compare-main"')]
    assert "Andelen tillagd." in notes and "Cykelvägar och regionens ansvar." in notes
    # The figure in the new paragraph, the list item, the table cell: each as the reader sees it.
    assert "Andelen är 1,1 procent." in text  # added since version 1 (0,8 came and went)
    assert "0,8" not in text
    assert re.search(r'<li class="depth-1 diff-added"><ins>.*?cykelvägar mellan tätorterna,</ins></li>', main)
    assert re.search(r'<td class="diff-cell-changed"><del>.*?Kommunerna</del><ins>.*?Regionen</ins></td>', main)
    assert '<th scope="col" class="diff-cell-equal">Åtgärd</th>' in main
    assert "SOU 2021:3" in text

    # Version 2 to 3: the figure is one replaced word, not digits shuffled.
    main = main_of(client.get(f"/responses/{response_id}/compare?from=2&to=3").get_data(as_text=True))
    assert re.search(r"<del><span[^>]*>[^<]*</span>0,8</del><ins><span[^>]*>[^<]*</span>1,1</ins>", main)
    notes = main[main.index('class="change-notes"'):main.index('class="compare-main"')]
    assert "Cykelvägar och regionens ansvar." in notes and "Andelen tillagd." not in notes

    side = client.get(f"/responses/{response_id}/compare?from=2&to=3&layout=side")
    assert side.status_code == 200
    side_main = main_of(side.get_data(as_text=True))
    old_column, new_column = side_main.split('class="diff-side"')[-2:]
    assert "0,8" in old_column and "1,1" not in old_column
    assert "1,1" in new_column and "0,8" not in new_column


def test_compare_page_reads_in_a_fixed_number_of_queries(client, db, in_review):
    """Both versions' sections in one query; what the page shows is not read again after the
    transaction ends for the diff (the user, the response and its participants)."""

    response_id = in_review.id
    for number in range(3):
        edit(in_review, number, lambda body: body + "\n\nTillägg.")
        drafting.publish_version(in_review, coordinator(), f"Ändring {number}")
    db.session.commit()
    login(client, "tjansteman.lund@example.se")
    counts = []
    for query in ("from=1&to=2", "from=1&to=4", "from=3&to=3"):
        with statements_sent() as statements:
            answer = client.get(f"/responses/{response_id}/compare?{query}")
        assert answer.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2] <= 8, counts


def test_what_changed_is_rendered_once_per_pair_layout_and_language(client, app, db, in_review):
    """Published versions never change, so the diff is cached; each pair, layout and language
    has its own, and the change notes beside it are read each time."""
    from flask import template_rendered

    response_id = in_review.id
    edit(in_review, 0, lambda body: body + "\n\nTillägg om cykelbanor.")
    drafting.publish_version(in_review, coordinator(), "Cykelbanor")
    db.session.commit()
    login(client, "tjansteman.lund@example.se")
    renders: list[str] = []

    def record(sender, template, context, **extra):
        if template.name == "drafting/_compare_main.html":
            renders.append(context["layout"])

    def page(query: str) -> str:
        answer = client.get(f"/responses/{response_id}/compare?{query}")
        assert answer.status_code == 200
        return answer.get_data(as_text=True)

    with template_rendered.connected_to(record, app):
        first, again = page("from=1&to=2"), page("from=1&to=2")
        side = page("from=1&to=2&layout=side")
        same = page("from=2&to=2")
        with client.session_transaction() as session:
            session["locale"] = "en"
        english = page("from=2&to=2")
    assert renders == ["inline", "side", "inline", "inline"]
    assert main_of(first) == main_of(again) and "cykelbanor" in main_of(first)
    assert "side-by-side" in side and "side-by-side" not in first
    assert "Inga ändringar i texten." in same and "Cykelbanor" in first
    assert "No changes to the text." in english


@pytest.mark.parametrize(("query", "status"), [
    ("from=1&to=7", 404), ("from=9", 404), ("to=0&from=5", 400), ("from=x", 400),
])
def test_compare_with_a_version_that_does_not_exist(client, db, in_review, query, status):
    response_id = in_review.id
    db.session.commit()
    login(client, "tjansteman.lund@example.se")
    assert client.get(f"/responses/{response_id}/compare?{query}").status_code == status


def test_compare_with_an_unknown_layout_is_inline(client, db, in_review):
    response_id = in_review.id
    db.session.commit()
    login(client, "tjansteman.lund@example.se")
    answer = client.get(f"/responses/{response_id}/compare?to=&layout=<script>")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "Visa sida vid sida" in page and "<script>" not in main_of(page)


# --- comments across versions -------------------------------------------------------------


def test_comments_say_their_version_and_outdated_ones_say_so(client, db, in_review):
    response_id = in_review.id
    section = drafting.working_sections(in_review)[0]
    gone = comments.add_comment(in_review, official("Lund"), section, "Stryk?",
                                exact="behovet av fler avgångar på Södra stambanan")
    kept = comments.add_comment(in_review, official("Malmö"), section, "Bra", exact="tillstyrker")
    edit(in_review, 0, lambda body: body.replace("- behovet av fler avgångar på Södra stambanan,\n", ""))
    drafting.publish_version(in_review, coordinator(), "Strök stambanan")
    newer = comments.add_comment(in_review, official("Lund"), section, "Och nu?")
    db.session.commit()
    login(client, "tjansteman.lund@example.se")
    page = client.get(f"/responses/{response_id}").get_data(as_text=True)

    def article(comment) -> str:
        start = page.index(f'id="comment-{comment.id}"')
        return page[start:page.index("</article>", start)]

    outdated = article(gone)
    assert "Kommentar till version 1" in outdated
    assert "Inaktuell: det kommenterade stycket finns inte i version 2." in outdated
    assert "compare?from=1&amp;to=2" in outdated
    assert 'data-anchor-state="detached"' in outdated
    still = article(kept)
    assert "Kommentar till version 1" in still and "Inaktuell" not in still
    assert 'data-anchor-state="anchored" data-anchor-start=' in still
    assert "Kommentar till version 2" in article(newer) and "compare?" not in article(newer)


def test_a_comment_on_the_draft_says_so(client, db, demo):
    section = drafting.working_sections(demo)[0]
    comment = comments.add_comment(demo, coordinator(), section, "Utkastet", exact="tillstyrker")
    response_id = demo.id
    db.session.commit()
    login(client, "koordinator@example.se")
    page = client.get(f"/responses/{response_id}").get_data(as_text=True)
    start = page.index(f'id="comment-{comment.id}"')
    assert "Kommentar till arbetsutkastet" in page[start:page.index("</article>", start)]


def test_an_objection_to_an_earlier_version_is_shown_on_the_new_one(client, db, in_review):
    response_id = in_review.id
    review.record_position(in_review, official("Lund"), 1, Decision.OBJECT, "Finansieringen saknas.")
    review.record_position(in_review, official("Malmö"), 1, Decision.APPROVE)
    edit(in_review, 0, lambda body: body + "\n\nStaten ska finansiera utbyggnaden.")
    drafting.publish_version(in_review, coordinator(), "Finansieringen förtydligad.")
    db.session.commit()
    login(client, "tjansteman.lund@example.se")
    page = client.get(f"/responses/{response_id}").get_data(as_text=True)
    panel = page[page.index('id="mine-heading"'):page.index('id="position-form"')]
    assert "Ni invände mot version 1: ”Finansieringen saknas.”" in panel
    assert f"/responses/{response_id}/compare?from=1&amp;to=2" in panel
    table = page[page.index('<table class="data matrix'):]

    def row(name: str) -> str:
        start = table.index(f'<th scope="row">{name}')
        return table[start:table.index("</tr>", start)]

    lund_row = row("Lund")
    assert "Invände mot version 1, inte ännu version 2" in lund_row
    assert "Finansieringen saknas." in lund_row
    # Malmö approved version 1: its earlier approval, not an objection.
    malmo_row = row("Malmö")
    assert "Godkände version 1" in malmo_row and "Invände" not in malmo_row


# --- choosing a passage without a mouse -------------------------------------------------

PARAGRAPH_2 = ("Kommunerna delar bedömningen att tågtrafiken behöver byggas ut. Utan fler spår "
               "mellan Malmö och Lund riskerar regionens arbetsmarknad att hämmas.")


def form_of(page: str, section_id: int) -> str:
    start = page.index(f'id="comment-form-{section_id}"')
    return page[start:page.index("</form>", start)]


def hidden(form: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', form)
    assert match, name
    return match.group(1)


def open_page(client, db, response, email="tjansteman.lund@example.se"):
    section = drafting.working_sections(response)[2]  # "Synpunkter på förslaget"
    response_id, section_id = response.id, section.id
    db.session.commit()
    login(client, email)
    page = client.get(f"/responses/{response_id}").get_data(as_text=True)
    return response_id, section_id, page


def test_without_javascript_choose_paragraph_2_and_suggest_a_replacement(client, db, in_review):
    response_id, section_id, page = open_page(client, db, in_review)
    form = form_of(page, section_id)
    assert '<option value="2">2. Kommunerna delar bedömningen att tågtrafiken behöver byggas …</option>' in form
    replacement = "Kommunerna anser att tågtrafiken måste byggas ut snarast."
    answer = client.post(f"/responses/{response_id}/sections/{section_id}/comments", data={
        "csrf_token": csrf_token_from(page), "body": "Skarpare formulering",
        "passage_block": "2", "text_id": hidden(form, "text_id"), "replaced_text": "",
        "is_suggestion": "y", "suggested_text": replacement,
        "exact": "", "prefix": "", "suffix": "", "start": "", "end": ""})
    assert answer.status_code == 302
    suggestion = db.session.scalars(select(Comment).where(Comment.body == "Skarpare formulering")).one()
    assert suggestion.anchor_state == AnchorState.ANCHORED
    assert suggestion.anchor_exact == PARAGRAPH_2
    assert suggestion.anchor_prefix.endswith("Trafikering\n")
    # The page marks that paragraph.
    page = client.get(f"/responses/{response_id}").get_data(as_text=True)
    assert f'id="comment-{suggestion.id}" data-anchor-state="anchored" data-anchor-start="' in page

    # The coordinator accepts it: exactly paragraph 2 is replaced in the draft.
    login(client, "koordinator@example.se")
    page = client.get(f"/responses/{response_id}").get_data(as_text=True)
    before = drafting.working_sections(in_review)[2].body
    answer = client.post(f"/responses/{response_id}/comments/{suggestion.id}/decide",
                         data={"csrf_token": csrf_token_from(page), "accept": "1", "reply": ""})
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, suggestion.id).suggestion_state == SuggestionState.ACCEPTED
    after = drafting.working_sections(in_review)[2].body
    assert after == before.replace(PARAGRAPH_2, replacement)


def test_typed_words_within_the_chosen_paragraph(client, db, in_review):
    response_id, section_id, page = open_page(client, db, in_review)
    form = form_of(page, section_id)
    answer = client.post(f"/responses/{response_id}/sections/{section_id}/comments", data={
        "csrf_token": csrf_token_from(page), "body": "Vilka kommuner?", "passage_block": "4",
        "text_id": hidden(form, "text_id"), "replaced_text": "kommunerna",
        "suggested_text": "de elva kommunerna"})  # no box ticked: the text makes it a suggestion
    assert answer.status_code == 302
    comment = db.session.scalars(select(Comment).where(Comment.body == "Vilka kommuner?")).one()
    assert comment.is_suggestion and comment.suggested_text == "de elva kommunerna"
    text = anchoring.section_text(drafting.working_sections(in_review)[2].body_html)
    found = anchoring.locate(text, comments._quote(comment))
    paragraph_4 = anchoring.block_spans(text)[3]
    assert paragraph_4[0] <= found.start < found.end <= paragraph_4[1]
    assert text[found.start:found.end] == "kommunerna"


@pytest.mark.parametrize(("data", "field", "message"), [
    # Typed words that occur several times, no paragraph chosen: which one is meant?
    ({"replaced_text": "Kommunerna"}, "replaced-text", "står 3 gånger i avsnittet"),
    ({"replaced_text": "finns inte alls"}, "replaced-text", "”finns inte alls” står inte i avsnittet"),
    ({"replaced_text": "finansiering", "passage_block": "2"}, "replaced-text",
     "står inte i det valda stycket"),
    ({"passage_block": "99"}, "passage-block", "Stycket finns inte i avsnittets nuvarande text"),
    ({"passage_block": "två"}, "passage-block", "Välj ett stycke i listan."),
    ({}, "passage-block", "Välj det stycke som förslaget gäller"),
])
def test_a_passage_that_cannot_be_found_is_refused_beside_its_field(client, db, in_review, data,
                                                                   field, message):
    response_id, section_id, page = open_page(client, db, in_review)
    form = form_of(page, section_id)
    typed = {"csrf_token": csrf_token_from(page), "body": "Min kommentar", "is_suggestion": "y",
             "suggested_text": "Min nya text", "text_id": hidden(form, "text_id")} | data
    answer = client.post(f"/responses/{response_id}/sections/{section_id}/comments", data=typed)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    form = form_of(page, section_id)
    summary = form[form.index("data-error-summary"):form.index("</div>")]
    assert f'href="#{field}-{section_id}"' in summary and message in html_lib.unescape(summary)
    assert f'id="{field}-error-{section_id}"' in form
    # Everything typed is still there.
    assert "Min kommentar" in form and "Min nya text" in form
    if "replaced_text" in data:
        assert f'value="{data["replaced_text"]}"' in form
    if data.get("passage_block") == "2":
        assert '<option value="2" selected>' in form
    assert db.session.scalars(select(Comment)).all() == []


def test_a_paragraph_chosen_on_a_page_showing_an_older_text_is_refused(client, db, in_review):
    response_id, section_id, page = open_page(client, db, in_review)
    stale_id = hidden(form_of(page, section_id), "text_id")
    edit(in_review, 2, lambda body: "Ett nytt första stycke.\n\n" + body)
    drafting.publish_version(in_review, coordinator(), "Nytt stycke först")
    db.session.commit()
    answer = client.post(f"/responses/{response_id}/sections/{section_id}/comments", data={
        "csrf_token": csrf_token_from(page), "body": "Om stycke 2", "passage_block": "2",
        "text_id": stale_id})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "Avsnittets text har ändrats sedan sidan visades" in page and "Om stycke 2" in page
    # The page now offers the new text's paragraphs, under the new text's id.
    assert hidden(form_of(page, section_id), "text_id") != stale_id


def test_a_selection_still_wins_over_nothing_typed(db, in_review):
    section = drafting.working_sections(in_review)[0]
    comment = comments.add_comment(in_review, official("Lund"), section, "Markerat", exact="tillstyrker",
                                   choice=comments.PassageChoice(typed="tillstyrker"))
    assert comment.anchor_exact == "tillstyrker"
    typed = comments.add_comment(in_review, official("Lund"), section, "Skrivet", exact="tillstyrker",
                                 choice=comments.PassageChoice(typed="finansieringen"))
    assert typed.anchor_exact == "finansieringen"  # typed after selecting: what was typed
