"""Safe defaults on the draft: removing a section asks first and can be undone."""

from __future__ import annotations

from drafting.services import drafting
from tests.conftest import csrf_token_from, login


def test_removing_asks_first_and_a_removed_section_can_be_restored(client, db, demo):
    response_id = demo.id
    section = drafting.working_sections(demo)[1]
    section_id, heading, revision = section.id, section.heading, demo.revision
    db.session.commit()
    login(client, "koordinator@example.se")
    asked = client.post(f"/responses/{response_id}/sections/{section_id}/remove",
                        data={"expected_revision": revision})
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert f"Ta bort ”{heading}” ur utkastet?" in page
    db.session.expire_all()
    assert section_id in [s.id for s in drafting.working_sections(demo)]  # nothing changed yet
    db.session.commit()

    removed = client.post(f"/responses/{response_id}/sections/{section_id}/remove",
                          data={"expected_revision": revision, "confirmed": "1",
                                "csrf_token": csrf_token_from(page)})
    assert removed.status_code == 302
    draft = client.get(f"/responses/{response_id}/draft").get_data(as_text=True)
    assert "Borttagna avsnitt" in draft and heading in draft
    db.session.expire_all()
    assert section_id not in [s.id for s in drafting.working_sections(demo)]
    revision = demo.revision
    db.session.commit()

    restored = client.post(f"/responses/{response_id}/sections/{section_id}/restore",
                           data={"expected_revision": revision})
    assert restored.status_code == 302
    db.session.expire_all()
    order = [s.id for s in drafting.working_sections(demo)]
    assert order[-1] == section_id  # back, at the end
