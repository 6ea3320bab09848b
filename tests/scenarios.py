"""A response at a given stage with everything its pages can show: participants who joined, one
invited who has not answered, a comment with a suggestion, two versions, sign-offs."""

from __future__ import annotations

from tests.conftest import coordinator, director, municipality, official, publish_change, sign_data

STAGES = ("draft", "review", "consensus", "signed", "sent")


def build_stage(db, demo, join, stage: str) -> dict:
    """Lund and Malmö take part (Lomma invited, not answered) with a comment thread; then the stage."""
    from drafting.models import Decision, local_today
    from drafting.services import comments, drafting, responses, review, stages

    join(demo, "Lund", "Malmö")
    responses.invite(demo, coordinator(), [municipality("Lomma").id])
    section = drafting.working_sections(demo)[0]
    comment = comments.add_comment(demo, official("Lund"), section,
                                   "En kommentar med ett ganska långt ord: "
                                   "Kommunstyrelsensarbetsutskottssammanträdesprotokollsjusterare.",
                                   exact="finansieringen måste klargöras", suggested_text="Ny text")
    if stage != "draft":
        drafting.publish_version(demo, coordinator(), "Första versionen")
        publish_change(demo, "Ändrad sammanfattning")
    if stage in ("consensus", "signed", "sent"):
        for name in ("Lund", "Malmö"):
            review.record_position(demo, official(name), 2, Decision.APPROVE)
        review.sign_off(demo, director("Lund"), 2, sign_data("Lund"))
    if stage in ("signed", "sent"):
        review.sign_off(demo, director("Malmö"), 2, sign_data("Malmö"))
    if stage == "sent":
        stages.record_sent(demo, coordinator(), local_today())
    ids = {"response": demo.id, "section": section.id, "comment": comment.id,
           "cooperation": demo.cooperation_id, "user": official("Lomma").id,
           "lund": municipality("Lund").id}
    db.session.commit()
    return ids
