"""Which cached renderings a change makes stale: the stamps the response page is keyed on.

Every flush that inserts, changes or deletes a row a response's page may show bumps the
stamps concerned, in the same transaction as the change itself: a cached rendering can never
outlive what it shows, whichever view, job or command wrote it. Two stamps:

* `JointResponse.page_stamp`, for the page's content beside the text (status, plan, actions,
  participants);
* `Section.threads_stamp`, for one section's comment threads in the document column.

The scope of a row follows from the model (`SCOPES`):

* comments and replies: their section's threads, and nothing beside the text, which shows no
  comment (a suggestion taken into the draft changes the draft's section, which is in scope);
* other rows of one response (everything with a `response_id`, and the response itself);
* rows of a cooperation (its roles, members, consultations): each of its responses;
* rows of a municipality or a person (names, meeting dates, roles): the responses of every
  cooperation they belong to.

Rows reached through a cooperation, a municipality or a person also bump the threads of every
section of those responses: the names in the threads may have changed.

Models that no response page shows are listed in `UNSHOWN`; tests/test_freshness.py fails on a
model in neither, so a new table cannot silently escape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from .extensions import db
from .models import (
    ApiToken,
    AuditEvent,
    Comment,
    Consultation,
    Cooperation,
    CooperationRole,
    DecisionBasisRevision,
    HomeReviewer,
    HomeRound,
    InternalComment,
    Job,
    JointResponse,
    MeetingDate,
    Membership,
    Municipality,
    Notification,
    Participation,
    PasswordLink,
    Position,
    Section,
    SectionRevision,
    SignOff,
    StoredFile,
    User,
    Version,
    VersionSection,
)

# Tables no response page reads: mail bookkeeping, jobs, files, tokens, the audit log (its rows
# come with a change of their own, which is what bumps the stamp).
UNSHOWN: frozenset[type] = frozenset({Notification, Job, StoredFile, ApiToken, PasswordLink,
                                      AuditEvent})


class Scope:
    """What one flush touched: rows of responses, cooperations, municipalities and people,
    sections and versions (to be traced to their responses), and sections' threads."""

    def __init__(self) -> None:
        self.responses: set[int] = set()
        self.cooperations: set[int] = set()
        self.municipalities: set[int] = set()
        self.users: set[int] = set()
        self.sections: set[int] = set()
        self.versions: set[int] = set()
        self.thread_sections: set[int] = set()  # sections whose threads changed
        self.everything = False

    def __bool__(self) -> bool:
        return any(vars(self).values())  # any set not empty, or everything


def _values(row: object, attribute: str) -> set[int]:
    """The attribute's value now and, for a changed row, the value it had (a row that moved
    leaves a stale page behind where it was, too). Never loads anything."""
    state = inspect(row)
    values = {state.dict.get(attribute)} | set(state.attrs[attribute].history.deleted or ())
    return {value for value in values if isinstance(value, int)}


def _own(attribute: str, target: str) -> Callable[[object, Scope], None]:
    def add(row: object, scope: Scope) -> None:
        getattr(scope, target).update(_values(row, attribute))
    return add


def _comment(row: object, scope: Scope) -> None:
    # A thread on no section is listed after the text, which is rendered afresh with the
    # column: the column's key moves with the comment's audit event.
    scope.thread_sections.update(_values(row, "section_id"))


def _user(row: object, scope: Scope) -> None:
    scope.users.update(_values(row, "id"))
    scope.municipalities.update(_values(row, "municipality_id"))


SCOPES: dict[type, Callable[[object, Scope], None]] = {
    JointResponse: _own("id", "responses"),
    Section: _own("response_id", "responses"),
    Version: _own("response_id", "responses"),
    Comment: _comment,
    Participation: _own("response_id", "responses"),
    Position: _own("response_id", "responses"),
    SignOff: _own("response_id", "responses"),
    HomeRound: _own("response_id", "responses"),
    HomeReviewer: _own("response_id", "responses"),
    InternalComment: _own("response_id", "responses"),
    DecisionBasisRevision: _own("response_id", "responses"),
    SectionRevision: _own("section_id", "sections"),
    VersionSection: _own("version_id", "versions"),
    Cooperation: _own("id", "cooperations"),
    CooperationRole: _own("cooperation_id", "cooperations"),
    Membership: _own("cooperation_id", "cooperations"),
    Consultation: _own("cooperation_id", "cooperations"),
    Municipality: _own("id", "municipalities"),
    MeetingDate: _own("municipality_id", "municipalities"),
    User: _user,
}


def scope_of(rows: Iterable[object]) -> Scope:
    scope = Scope()
    for row in rows:
        kind = type(row)
        if kind in UNSHOWN:
            continue
        add = SCOPES.get(kind)
        if add is None:
            scope.everything = True  # a model nobody placed: stale everywhere, never stale
            continue
        add(row, scope)
    return scope


def _changed(session: Session) -> Iterable[object]:
    yield from session.new
    yield from session.deleted
    yield from (row for row in session.dirty if session.is_modified(row, include_collections=False))


def _reached(session: Session, scope: Scope) -> tuple[set[int], set[int]] | None:
    """The responses the scope reaches, and those of them reached through a cooperation, a
    municipality or a person (whose threads show names); None for all of them."""
    if scope.everything:
        return None
    connection = session.connection()
    ids = set(scope.responses)
    if scope.sections:
        ids.update(connection.scalars(select(Section.response_id)
                                      .where(Section.id.in_(scope.sections))))
    if scope.versions:
        ids.update(connection.scalars(select(Version.response_id)
                                      .where(Version.id.in_(scope.versions))))
    cooperations = set(scope.cooperations)
    if scope.municipalities:
        cooperations.update(connection.scalars(select(Membership.cooperation_id).where(
            Membership.municipality_id.in_(scope.municipalities))))
    if scope.users:
        cooperations.update(connection.scalars(select(CooperationRole.cooperation_id).where(
            CooperationRole.user_id.in_(scope.users))))
    through_people = set(connection.scalars(select(JointResponse.id).where(
        JointResponse.cooperation_id.in_(cooperations)))) if cooperations else set()
    return ids | through_people, through_people


class Bumped:
    """What this transaction has bumped already: once is enough, as nobody else sees any of its
    changes before all of them (a position's two flushes cost one bump, not two). Forgotten at
    every rollback, a savepoint's too, which may have undone a bump."""

    def __init__(self) -> None:
        self.responses: set[int] = set()
        self.response_threads: set[int] = set()  # responses whose every section was stamped
        self.sections: set[int] = set()


def _bumped(session: Session) -> Bumped:
    return session.info.setdefault("freshness_bumped", Bumped())


def changed_in_transaction(session: Session) -> bool:
    """Has this transaction changed anything a response page shows? A rendering made now may
    hold what a rollback takes back, or miss what a later flush adds: it must not be cached."""
    return bool(session.info.get("freshness_changed")) or bool(scope_of(_changed(session)))


def bump(session: Session, scope: Scope) -> None:
    """Add one to the page stamp of every response the scope reaches, and to the threads
    stamp of every section whose threads it changed (each once per transaction)."""
    responses, sections = JointResponse.__table__, Section.__table__
    reached = _reached(session, scope)
    connection = session.connection()
    done = _bumped(session)
    session.info["freshness_changed"] = True
    bumped = update(responses).values(page_stamp=responses.c.page_stamp + 1)
    stamped = update(sections).values(threads_stamp=sections.c.threads_stamp + 1)
    if reached is None:  # everything, every time: a statement whose rows are unknown
        connection.execute(bumped)
        connection.execute(stamped)
        return
    ids, through_people = reached
    ids -= done.responses
    through_people -= done.response_threads
    thread_sections = scope.thread_sections - done.sections
    if ids:
        connection.execute(bumped.where(responses.c.id.in_(sorted(ids))))
        done.responses |= ids
    if through_people:
        connection.execute(stamped.where(sections.c.response_id.in_(sorted(through_people))))
        done.response_threads |= through_people
    if thread_sections:
        connection.execute(stamped.where(sections.c.id.in_(sorted(thread_sections))))
        done.sections |= thread_sections


def _after_flush(session: Session, _context) -> None:
    scope = scope_of(_changed(session))
    if scope:
        bump(session, scope)


def _bulk_statement(state: ORMExecuteState) -> None:
    """An INSERT, UPDATE or DELETE statement through the session, outside the flush: its rows
    are not known, so every response is stale unless no page shows that table."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ in UNSHOWN:
        return
    scope = Scope()
    scope.everything = True
    bump(state.session, scope)


def _forget_bumps(session: Session, _transaction) -> None:
    session.info.pop("freshness_bumped", None)


def _transaction_ended(session: Session, transaction) -> None:
    if transaction.parent is None:  # the transaction itself, not a savepoint within it
        session.info.pop("freshness_bumped", None)
        session.info.pop("freshness_changed", None)


def init_app(app: Flask) -> None:
    del app  # the listeners belong to the session, which every app of the process shares
    if not event.contains(db.session, "after_flush", _after_flush):
        event.listen(db.session, "after_flush", _after_flush)
        event.listen(db.session, "do_orm_execute", _bulk_statement)
        event.listen(db.session, "after_soft_rollback", _forget_bumps)
        event.listen(db.session, "after_transaction_end", _transaction_ended)
