"""The bench data set: 11 municipalities, 40 sections, 20 versions, 1,000 comments with replies."""

from __future__ import annotations

import random

from drafting.demo import MUNICIPALITIES, seed_demo
from drafting.extensions import db
from drafting.models import Comment, JointResponse, Municipality, User
from drafting.rendering import text_content
from drafting.services import drafting, responses
from drafting.services.anchoring import quote_from_selection

WORDS = ("kommunerna region trafik bostäder planering finansiering staten ansvar "
         "utveckling samverkan arbetsmarknad näringsliv infrastruktur förslaget").split()


def paragraph(rng: random.Random, words: int = 60) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def build(sections: int = 40, versions: int = 20, comments: int = 1000, seed: int = 7) -> JointResponse:
    """Create the data set in the current database and return the response."""
    rng = random.Random(seed)
    seed_demo()
    response = db.session.scalars(db.select(JointResponse)).first()
    coordinator = db.session.scalars(db.select(User).where(User.email == "koordinator@example.se")).one()
    ids = [m.id for m in db.session.scalars(db.select(Municipality))]
    responses.invite(response, coordinator, ids)
    for name in MUNICIPALITIES:
        slug = name.lower().replace("å", "a").replace("ä", "a").replace("ö", "o")
        official = db.session.scalars(db.select(User).where(User.email == f"tjansteman.{slug}@example.se")).one()
        responses.answer_invitation(response, official, join=True)
    for index in range(sections - len(drafting.working_sections(response))):
        body = "\n\n".join(paragraph(rng) for _ in range(3)) + "\n\n- punkt ett\n- punkt två\n"
        drafting.add_section(response, coordinator, f"Avsnitt {index + 5}", body)
    for number in range(versions):
        if number:
            section = rng.choice(drafting.working_sections(response))
            drafting.save_section(section, coordinator, section.heading,
                                  section.body + "\n\n" + paragraph(rng, 20), section.current_revision.number)
        drafting.publish_version(response, coordinator, f"Ändring {number}")
    db.session.flush()
    officials = list(db.session.scalars(db.select(User).where(User.municipality_id.is_not(None))))
    working = drafting.working_sections(response)
    top_level = []
    for index in range(comments):
        author = rng.choice(officials)
        if top_level and index % 3 == 2:
            parent = rng.choice(top_level)
            db.session.add(Comment(response_id=response.id, section_id=parent.section_id,
                                   parent_id=parent.id, author_id=author.id,
                                   municipality_id=author.municipality_id, body="Håller med.",
                                   body_html="<p>Håller med.</p>"))
            continue
        section = rng.choice(working)
        text = text_content(section.body_html)
        start = rng.randrange(0, max(1, len(text) - 40))
        quote = quote_from_selection(text, start, start + 30)
        comment = Comment(response_id=response.id, section_id=section.id, author_id=author.id,
                          municipality_id=author.municipality_id, body="Kan detta förtydligas?",
                          body_html="<p>Kan detta förtydligas?</p>", anchor_exact=quote.exact,
                          anchor_prefix=quote.prefix, anchor_suffix=quote.suffix, anchor_state="anchored")
        db.session.add(comment)
        if index % 50 == 0:
            db.session.flush()
        top_level.append(comment)
    db.session.flush()
    db.session.commit()
    return response
