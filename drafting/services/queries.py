"""Loading helpers shared by services and views."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, bindparam, select
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
    statement = _response_statement(for_update, with_last_event, db.engine.dialect.name)
    response = db.session.scalars(statement, {"response_id": response_id}).unique().one_or_none()
    if response is None:
        raise NotFound("Yttrandet finns inte.")
    return response


@cache
def _response_statement(for_update: bool, with_last_event: bool, dialect: str) -> Select:
    """The statement get_response runs, built once per variant: nearly every request loads a
    response, and building a statement with its loader options again each time cost about as
    much as running it (make bench). `dialect` is in the key because locking depends on it."""
    # What every page about a response shows, loaded up front in one query.
    statement = select(JointResponse).where(JointResponse.id == bindparam("response_id")).options(
        joinedload(JointResponse.consultation),
        joinedload(JointResponse.cooperation),
        # Joined, not a query of its own: a dozen rows instead of one more round trip.
        joinedload(JointResponse.participations).joinedload(Participation.municipality),
    )
    if with_last_event:
        statement = statement.options(undefer(JointResponse.last_document_event_id),
                                      undefer(JointResponse.threads_stamp_total))
    if for_update:
        statement = lock_for_update(statement, of=JointResponse, dialect=dialect).execution_options(
            populate_existing=True)
    return statement


# Built once, as get_response's: every comment and position reads the latest version.
_LATEST_VERSION = (select(Version).options(joinedload(Version.published_by))
                   .where(Version.response_id == bindparam("response_id"))
                   .order_by(Version.number.desc()).limit(1))


def latest_version(response: JointResponse) -> Version | None:
    return db.session.scalars(_LATEST_VERSION, {"response_id": response.id}).first()


def joined_participations(response: JointResponse) -> list[Participation]:
    return [p for p in response.participations if p.status == ParticipationStatus.JOINED]
