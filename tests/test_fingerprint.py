"""The text fingerprint: one canonical form, stored with every sign-off, shown before signing
and printed in the final yttrande."""

from __future__ import annotations

import io
import unicodedata

from docx import Document
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from drafting.export.assemble import final_document
from drafting.export.docx_builder import FINGERPRINT_LABEL, build_final_docx
from drafting.models import AuditEvent, SignOff, Version, local_today
from drafting.services import review
from drafting.services.fingerprint import (
    canonical_text,
    short_fingerprint,
    text_fingerprint,
    version_fingerprint,
)
from tests.conftest import director, login, publish_change, sign_data

TEXT = [("Sammanfattning", "MalmöLundregionen **tillstyrker** förslaget.\n\n- ett\n- två"),
        ("Synpunkter", "Kommunerna vill se ett starkare *regionalt* perspektiv.")]


def test_the_fingerprint_of_a_known_text_never_changes():
    # Pinned: a change here means every stored sign-off's fingerprint no longer matches.
    assert canonical_text([("Rubrik", "Text")]) == "yttrande-text-v1\nRubrik\n\nText"
    assert text_fingerprint(TEXT) == text_fingerprint(list(TEXT))
    assert len(text_fingerprint(TEXT)) == 64
    assert text_fingerprint([("Rubrik", "Text")]) == (
        "2d782d82e09514347c81f4fbf076596be0ea667a47160c4a511b89e3d887bfa6")


def test_line_ends_trailing_space_and_unicode_form_do_not_change_the_fingerprint():
    decomposed = unicodedata.normalize("NFD", "Malmö och Höör")
    same = [("Sammanfattning ", "Malmö och Höör  \r\nandra raden\t\r\n\r\n"),
            ("  Synpunkter", "\n\nSlut.")]
    other = [("Sammanfattning", decomposed + "\nandra raden"), ("Synpunkter", "Slut.")]
    assert text_fingerprint(same) == text_fingerprint(other)


def test_every_change_of_the_text_or_its_order_changes_the_fingerprint():
    base = text_fingerprint(TEXT)
    assert text_fingerprint(list(reversed(TEXT))) != base
    assert text_fingerprint([TEXT[0], (TEXT[1][0], TEXT[1][1] + " Tillägg.")]) != base
    assert text_fingerprint([TEXT[0], ("Andra synpunkter", TEXT[1][1])]) != base
    # Moving the boundary between two sections is a different text.
    assert text_fingerprint([("A", "x\n\nB\n\ny")]) != text_fingerprint([("A", "x"), ("B", "y")])


@given(st.lists(st.tuples(st.text(max_size=30), st.text(max_size=200)), max_size=5))
def test_the_canonical_form_is_stable(sections):
    once = text_fingerprint(sections)
    assert once == text_fingerprint(sections)
    # Normalising the input again changes nothing: the canonical form is a fixed point.
    renormalised = [(unicodedata.normalize("NFC", h), unicodedata.normalize("NFC", b).replace("\r\n", "\n"))
                    for h, b in sections]
    assert text_fingerprint(renormalised) == once


def test_short_form_is_four_groups_of_four():
    assert short_fingerprint("0123456789abcdef" + "0" * 48) == "0123 4567 89ab cdef"


def test_sign_off_stores_the_fingerprint_of_the_signed_version(db, at_consensus):
    signoff = review.sign_off(at_consensus, director("Lund"), 1, sign_data("Lund"))
    version = db.session.get(Version, signoff.version_id)
    assert signoff.text_fingerprint == version_fingerprint(version)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "signed_off")).one()
    assert event.details["text_fingerprint"] == signoff.text_fingerprint


def test_a_new_version_is_signed_with_its_own_fingerprint(db, at_consensus):
    from tests.test_signoff_versions import approve_all

    first = review.sign_off(at_consensus, director("Lund"), 1, sign_data("Lund"))
    publish_change(at_consensus, discard_signatures=True)
    approve_all(at_consensus, 2)
    second = review.sign_off(at_consensus, director("Lund"), 2, sign_data("Lund"))
    assert first.text_fingerprint != second.text_fingerprint
    rows = db.session.scalars(select(SignOff).order_by(SignOff.id)).all()
    assert [r.text_fingerprint for r in rows] == [first.text_fingerprint, second.text_fingerprint]


def test_the_confirmation_page_shows_the_fingerprint(client, db, at_consensus):
    response_id = at_consensus.id
    fingerprint = version_fingerprint(db.session.get(Version, at_consensus.consensus_version_id))
    db.session.commit()
    login(client, "direktor.lund@example.se")
    page = client.post(f"/responses/{response_id}/sign-off", data={
        "version_number": "1", "deciding_body": "Kommunstyrelsen",
        "decision_date": local_today().isoformat(), "signatory_name": "Lena Direktör",
        "signatory_title": "Kommundirektör"}).get_data(as_text=True)
    assert "Textens kontrollsumma (SHA-256)" in page
    assert short_fingerprint(fingerprint) in page and fingerprint in page
    assert not db.session.scalars(select(SignOff)).all()  # nothing recorded before confirming


def test_the_final_yttrande_prints_the_fingerprint(db, signed):
    fingerprint = db.session.scalars(select(SignOff.text_fingerprint)).first()
    document = final_document(signed)
    assert document.text_fingerprint == fingerprint
    text = [p.text for p in Document(io.BytesIO(build_final_docx(document))).paragraphs]
    assert f"{FINGERPRINT_LABEL}: {short_fingerprint(fingerprint)}" in text
    assert f"Hela kontrollsumman: {fingerprint}" in text


def test_a_draft_export_prints_no_fingerprint(db, in_review):
    document = final_document(in_review)
    assert document.text_fingerprint == ""
    text = "\n".join(p.text for p in Document(io.BytesIO(build_final_docx(document))).paragraphs)
    assert FINGERPRINT_LABEL not in text


def test_the_migration_gives_earlier_sign_offs_the_fingerprint_of_what_they_signed(app, db, signed):
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from sqlalchemy import text

    expected = {s.id: s.text_fingerprint for s in db.session.scalars(select(SignOff))}
    assert all(expected.values())
    db.session.commit()
    path = Path(app.root_path) / "migrations" / "versions" / "0010_decision_basis.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with db.engine.begin() as connection:
        # As the rows stood before the column existed: its server default.
        connection.execute(text("UPDATE sign_off SET text_fingerprint = ''"))
        with Operations.context(MigrationContext.configure(connection)):
            migration._fingerprint_existing_signoffs()
    db.session.expire_all()
    assert {s.id: s.text_fingerprint for s in db.session.scalars(select(SignOff))} == expected
