"""Loading helpers shared by services and views."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, undefer

from ..database import lock_for_update
from ..extensions import db
from ..models import (
    JointResponse,
    Participation,
    ParticipationStatus,
    Version,
)
from .errors import NotFound


def get_response(response_id: int, *, for_update: bool = False,
                 with_last_event: bool = False) -> JointResponse:
    """Load a response, optionally locking its row so concurrent writers queue up.

    with_last_event also loads JointResponse.last_document_event_id and threads_stamp_total
    (the key of the cached document column). The cooperation's members are left to be loaded
    when first read (one query, their municipalities joined): most requests never read them.
    """
    # What every page about a response shows, loaded up front in one query.
    statement = select(JointResponse).where(JointResponse.id == response_id).options(
        joinedload(JointResponse.consultation),
        joinedload(JointResponse.cooperation),
        # Joined, not a query of its own: a dozen rows instead of one more round trip.
        joinedload(JointResponse.participations).joinedload(Participation.municipality),
    )
    if with_last_event:
        statement = statement.options(undefer(JointResponse.last_document_event_id),
                                      undefer(JointResponse.threads_stamp_total))
    if for_update:
        statement = lock_for_update(statement, of=JointResponse).execution_options(populate_existing=True)
    response = db.session.scalars(statement).unique().one_or_none()
    if response is None:
        raise NotFound("Yttrandet finns inte.")
    return response


def latest_version(response: JointResponse) -> Version | None:
    return db.session.scalars(
        select(Version).options(joinedload(Version.published_by))
        .where(Version.response_id == response.id).order_by(Version.number.desc()).limit(1)
    ).first()


def joined_participations(response: JointResponse) -> list[Participation]:
    return [p for p in response.participations if p.status == ParticipationStatus.JOINED]
