"""Sign-offs: who has signed which version, who is missing, and in what order they are printed.

A sign-off belongs to a version, as a position does; only sign-offs of the consensus version by
current participants count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import JointResponse, SignOff, Stage
from .queries import joined_participations
from .records import RecordedSignOff

# A sign-off as read: the row, or its plain record (the overview's, services/records.py).
SignOffRow = SignOff | RecordedSignOff


def missing_signatures(response: JointResponse) -> list[str]:
    """Names of co-signing municipalities that have not signed the consensus version."""
    signed = set(db.session.scalars(
        select(SignOff.municipality_id).where(
            SignOff.response_id == response.id,
            SignOff.version_id == response.consensus_version_id,
        )
    )) if response.consensus_version_id is not None else set()
    return unsigned(response, signed)


def unsigned(response: JointResponse, signed_municipality_ids: set[int]) -> list[str]:
    """The rule: while signing is open, every current participant must sign the consensus version."""
    if response.consensus_version_id is None or not Stage(response.stage).takes_signoffs:
        return []
    return sorted(p.municipality.name for p in joined_participations(response)
                  if p.municipality_id not in signed_municipality_ids)


def signoffs_a_new_version_would_discard(response: JointResponse) -> list[SignOff]:
    """Sign-offs of the consensus version by current participants: a new version makes them stale."""
    if Stage(response.stage) is not Stage.CONSENSUS or response.consensus_version_id is None:
        return []
    joined = {p.municipality_id for p in joined_participations(response)}
    rows = db.session.scalars(select(SignOff).where(
        SignOff.response_id == response.id, SignOff.version_id == response.consensus_version_id))
    return sorted((s for s in rows if s.municipality_id in joined), key=lambda s: s.municipality.name)


def signoffs_in_signing_order(response: JointResponse,
                              loaded: Iterable[SignOffRow] | None = None) -> list[SignOffRow]:
    """Sign-offs of the consensus version by current participants, chair first, then by name.

    A municipality that signed and then stepped aside is no longer a co-signer. `loaded`: all the
    response's sign-offs when the caller already has them (the overview does), to save the query.
    """
    chair = response.cooperation.chair_municipality_id
    joined = {p.municipality_id for p in joined_participations(response)}
    if loaded is None:
        rows: Iterable[SignOffRow] = db.session.scalars(select(SignOff).where(
            SignOff.response_id == response.id, SignOff.version_id == response.consensus_version_id,
        ))
    else:
        rows = [s for s in loaded if s.version_id == response.consensus_version_id]
    return sorted((s for s in rows if s.municipality_id in joined),
                  key=lambda s: (s.municipality_id != chair, s.municipality.name))


@dataclass(frozen=True)
class SignOffState:
    """One municipality's sign-off as pages show it: of the consensus version, or stale."""

    current: SignOffRow | None
    # The latest sign-off of an earlier version, shown as "skrev under version 1".
    stale: SignOffRow | None


def signoff_states(response: JointResponse) -> dict[int, SignOffState]:
    """Each municipality's sign-off of the consensus version and its latest stale one."""
    rows = db.session.scalars(
        select(SignOff).where(SignOff.response_id == response.id)
        .order_by(SignOff.created_at, SignOff.id)
    ).all()
    return states_of(response, rows)


def states_of(response: JointResponse, rows: Iterable[SignOffRow]) -> dict[int, SignOffState]:
    """Sort a response's sign-offs (oldest first) into current and stale, by municipality."""
    current: dict[int, SignOffRow] = {}
    stale: dict[int, SignOffRow] = {}
    for signoff in rows:
        if (response.consensus_version_id is not None
                and signoff.version_id == response.consensus_version_id):
            current[signoff.municipality_id] = signoff
        else:
            stale[signoff.municipality_id] = signoff
    return {mid: SignOffState(current.get(mid), None if mid in current else stale.get(mid))
            for mid in current.keys() | stale.keys()}
