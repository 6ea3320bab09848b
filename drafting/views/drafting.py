"""The working draft, versions, diffs, comments and suggestions."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import cache, db
from ..forms import (
    CommentForm,
    PublishForm,
    ReplyForm,
    SectionForm,
    StructureForm,
    SuggestionDecisionForm,
)
from ..ints import InvalidNumber, parse_int
from ..limits import MAX_BODY_CHARS
from ..models import JointResponse, Version
from ..permissions import Action, ensure
from ..rendering import MarkdownRejected, render_markdown
from ..services import comments as comment_service
from ..services import drafting as drafting_service
from ..services.errors import ConfirmationNeeded, DomainError, EditConflict, InvalidInput, NotFound
from ..services.versiondiff import SectionInput, diff_sections, summarize_changes
from .common import commit, end_read, form_int, load_response, query_int, refuse
from .document_column import cache_key
from .responses import rerender_show

bp = Blueprint("drafting", __name__, url_prefix="/responses/<int:response_id>")


def _back(response: JointResponse, anchor: str = ""):
    return redirect(url_for("responses.show", response_id=response.id) + anchor)


@bp.route("/draft")
@login_required
def draft(response_id: int):
    response = load_response(response_id)
    ensure(current_user, Action.EDIT_DRAFT, response)
    return render_template(
        "drafting/draft.html", response=response,
        sections=drafting_service.working_sections(response),
        add_form=SectionForm(prefix="new"), publish_form=PublishForm(),
        structure_form=StructureForm(expected_revision=response.revision),
        versions=_versions(response), removed=drafting_service.removed_sections(response),
    )


@bp.post("/sections")
@login_required
def add_section(response_id: int):
    response = load_response(response_id)
    form = SectionForm(prefix="new")
    status, refused = 400, None
    try:
        ensure(current_user, Action.EDIT_DRAFT, response)
        if form.validate_on_submit():
            end_read()  # rendering the body needs no database; the write transaction only stores
            text = drafting_service.prepare_text(form.heading.data, form.body.data or "")
            response = load_response(response_id, for_update=True)
            drafting_service.add_sections(response, current_user, [text])
            commit()
            flash(_("Avsnittet är tillagt."), "success")
            return redirect(url_for("drafting.draft", response_id=response.id))
    except DomainError as error:
        db.session.rollback()
        status, refused = error.status, refuse(form, error, "body")
    response = load_response(response_id)
    return render_template(
        "drafting/draft.html", response=response,
        sections=drafting_service.working_sections(response), add_form=form,
        publish_form=PublishForm(), structure_form=StructureForm(expected_revision=response.revision),
        versions=_versions(response), refused=refused,
        removed=drafting_service.removed_sections(response),
    ), status


@bp.route("/sections/<int:section_id>/edit", methods=["GET", "POST"])
@login_required
def edit_section(response_id: int, section_id: int):
    response = load_response(response_id)
    form = SectionForm()
    if request.method == "GET":
        ensure(current_user, Action.EDIT_DRAFT, response)
        section = drafting_service.get_section(response, section_id)
        form.heading.data = section.heading
        form.body.data = section.body
        form.base_revision.data = section.current_revision.number
        return render_template("drafting/edit_section.html", response=response, section=section,
                               form=form, preview_html=None)
    section = None
    try:
        ensure(current_user, Action.EDIT_DRAFT, response)
        section = drafting_service.get_section(response, section_id)
        if not form.validate_on_submit():
            return render_template("drafting/edit_section.html", response=response,
                                   section=section, form=form, preview_html=None), 400
        end_read()  # rendering needs no database; the write transaction below only stores
        if "preview" in request.form:
            try:
                preview_html = render_markdown(form.body.data or "")
            except MarkdownRejected as error:
                preview_html = None
                form.body.errors.append(error.message)
            return render_template("drafting/edit_section.html", response=response,
                                   section=section, form=form, preview_html=preview_html)
        try:
            base = parse_int(form.base_revision.data or "0", name="base_revision", minimum=0)
        except InvalidNumber:
            base = -1  # a tampered form: treated as stale, so the conflict page keeps the text
        text = drafting_service.prepare_text(form.heading.data, form.body.data or "")
        response = load_response(response_id, for_update=True)
        section = drafting_service.get_section(response, section_id)
        drafting_service.save_text(section, current_user, text, base)
    except EditConflict as conflict:
        db.session.rollback()
        theirs = conflict.theirs
        form.base_revision.data = theirs.number
        return render_template("drafting/conflict.html", response=response, section=section,
                               form=form, theirs=theirs, message=conflict.message), 409
    except DomainError as error:
        # Refused (no longer allowed, section removed, text rejected): the typed text stays.
        db.session.rollback()
        refused = refuse(form, error, "body")
        return render_template("drafting/edit_section.html", response=load_response(response_id),
                               section=section, form=form, preview_html=None,
                               refused=refused), error.status
    commit()
    flash(_("Avsnittet är sparat."), "success")
    return redirect(url_for("drafting.draft", response_id=response.id) + f"#section-{section.id}")


@bp.post("/sections/<int:section_id>/move")
@login_required
def move_section(response_id: int, section_id: int):
    response = load_response(response_id, for_update=True)
    ensure(current_user, Action.EDIT_DRAFT, response)
    section = drafting_service.get_section(response, section_id)
    direction = -1 if request.form.get("direction") == "up" else 1
    drafting_service.move_section(section, current_user, direction, form_int("expected_revision"))
    commit()
    return redirect(url_for("drafting.draft", response_id=response.id) + f"#section-{section.id}")


@bp.post("/sections/<int:section_id>/remove")
@login_required
def remove_section(response_id: int, section_id: int):
    response = load_response(response_id, for_update=True)
    ensure(current_user, Action.EDIT_DRAFT, response)
    section = drafting_service.get_section(response, section_id)
    expected = form_int("expected_revision")
    if request.form.get("confirmed") != "1":
        # Ask first, saying what removing means; nothing changes yet.
        db.session.rollback()
        return render_template("drafting/confirm_remove.html", response=response, section=section,
                               expected_revision=expected)
    drafting_service.remove_section(section, current_user, expected)
    commit()
    flash(_("Avsnittet är borttaget ur utkastet. Publicerade versioner behåller det, och du kan "
            "återställa det längst ner på sidan."), "success")
    return redirect(url_for("drafting.draft", response_id=response.id))


@bp.post("/sections/<int:section_id>/restore")
@login_required
def restore_section(response_id: int, section_id: int):
    response = load_response(response_id, for_update=True)
    ensure(current_user, Action.EDIT_DRAFT, response)
    section = drafting_service.get_section(response, section_id)
    drafting_service.restore_section(section, current_user, form_int("expected_revision"))
    commit()
    flash(_("Avsnittet ”%(heading)s” är återställt sist i utkastet.", heading=section.heading),
          "success")
    return redirect(url_for("drafting.draft", response_id=response.id) + f"#section-{section.id}")


@bp.post("/publish")
@login_required
def publish(response_id: int):
    response = load_response(response_id, for_update=True)
    form = PublishForm()
    status, refused = 400, None
    try:
        ensure(current_user, Action.PUBLISH_VERSION, response)
        if form.validate_on_submit():
            version = drafting_service.publish_version(
                response, current_user, form.change_note.data or "",
                discard_signatures=bool(form.discard_signatures.data))
            commit()
            flash(_("Version %(number)d är publicerad och ute för ställningstagande.",
                    number=version.number), "success")
            return redirect(url_for("responses.show", response_id=response.id))
    except ConfirmationNeeded as confirmation:
        db.session.rollback()
        return render_template("drafting/confirm_publish.html",
                               response=load_response(response_id), form=form,
                               message=confirmation.message, names=confirmation.names)
    except DomainError as error:
        db.session.rollback()
        status, refused = error.status, refuse(form, error, "change_note")
    response = load_response(response_id)
    return render_template(
        "drafting/draft.html", response=response,
        sections=drafting_service.working_sections(response), add_form=SectionForm(prefix="new"),
        publish_form=form, structure_form=StructureForm(expected_revision=response.revision),
        versions=_versions(response), refused=refused,
    ), status


def _versions(response: JointResponse) -> list[Version]:
    return list(db.session.scalars(
        select(Version).options(joinedload(Version.published_by))
        .where(Version.response_id == response.id).order_by(Version.number.desc())
    ))


def _get_version(response: JointResponse, number: int) -> Version:
    version = db.session.scalars(select(Version).where(
        Version.response_id == response.id, Version.number == number)).first()
    if version is None:
        raise NotFound(_("Versionen finns inte."))
    return version


@bp.route("/versions")
@login_required
def versions(response_id: int):
    response = load_response(response_id)
    return render_template("drafting/versions.html", response=response, versions=_versions(response))


@bp.route("/versions/<int:number>")
@login_required
def show_version(response_id: int, number: int):
    response = load_response(response_id)
    version = _get_version(response, number)
    return render_template("drafting/version.html", response=response, version=version,
                           sections=drafting_service.reader_sections(response, version))


@bp.route("/compare")
@login_required
def compare(response_id: int):
    response = load_response(response_id)
    all_versions = _versions(response)
    if not all_versions:
        raise NotFound(_("Det finns ingen publicerad version att jämföra."))
    new_number = query_int("to", all_versions[0].number)
    old_number = query_int("from", max(new_number - 1, 1))
    by_number = {v.number: v for v in all_versions}
    if old_number not in by_number or new_number not in by_number:
        raise NotFound(_("Versionen finns inte."))
    old, new = by_number[old_number], by_number[new_number]
    layout = "side" if request.args.get("layout") == "side" else "inline"
    # The coordinator's note on each version published after the older one, up to the newer.
    low, high = sorted((old.number, new.number))
    notes = [SimpleNamespace(number=v.number, published_at=v.published_at,
                             published_by=v.published_by.name, change_note=v.change_note)
             for v in sorted(all_versions, key=lambda v: v.number) if low < v.number <= high]
    # Published versions never change: what changed between two of them is rendered once.
    key = cache_key("compare", response, old.id, new.id, layout, get_locale())
    main = cache.get(key)
    if main is None:
        texts = drafting_service.versions_sections([old, new])  # both in one query
        before, after = ([SectionInput(s.section_id, s.heading, s.body_html) for s in texts[v.id]]
                         for v in (old, new))
        end_read(keep_loaded=True)  # diffing long texts needs no database; the page shows what was read
        changes = diff_sections(before, after)
        main = render_template("drafting/_compare_main.html", changes=changes,
                               summary=summarize_changes(changes), old_number=old_number,
                               new_number=new_number, layout=layout)
        cache.set(key, main)
    return render_template("drafting/compare.html", response=response, old_number=old_number,
                           new_number=new_number, notes=notes, layout=layout,
                           compare_main=Markup(main))


def _page_selection(start: str | None, end: str | None) -> tuple[int, int] | None:
    """The selection's page positions when the browser sent them (else the quote decides).

    Positions within a section's text: through the one bounded parser, like every integer.
    """
    if not start and not end:
        return None
    limit = MAX_BODY_CHARS * 2  # UTF-16 units of the longest section
    return (parse_int(start or "", name="start", minimum=0, maximum=limit),
            parse_int(end or "", name="end", minimum=0, maximum=limit))


def _block_index(raw: str | None) -> int | None:
    """The chosen block's index (the form counts from 1), None for the whole section."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return parse_int(raw, name="passage_block", maximum=MAX_BODY_CHARS) - 1
    except InvalidNumber as error:  # a tampered or garbled choice: said beside the list
        raise InvalidInput(_("Välj ett stycke i listan."), field="passage_block") from error


@bp.post("/sections/<int:section_id>/comments")
@login_required
def add_comment(response_id: int, section_id: int):
    response = load_response(response_id, for_update=True)
    form = CommentForm()
    try:
        ensure(current_user, Action.COMMENT, response)
        section = drafting_service.get_section(response, section_id)
        if not form.validate_on_submit():
            return rerender_show(response_id, 400, comment_form=form, failed_section_id=section_id)
        # Replacement text typed without ticking the box is a suggestion all the same; the box
        # alone (no text) suggests deleting the passage.
        suggesting = form.is_suggestion.data or bool((form.suggested_text.data or "").strip())
        comment = comment_service.add_comment(
            response, current_user, section, form.body.data, form.exact.data or "",
            form.prefix.data or "", form.suffix.data or "",
            (form.suggested_text.data or "") if suggesting else None,
            page_selection=_page_selection(form.start.data, form.end.data),
            choice=comment_service.PassageChoice(_block_index(form.passage_block.data),
                                                 form.replaced_text.data or "",
                                                 form.text_id.data or ""))
    except DomainError as error:
        return rerender_show(response_id, error.status, refuse(form, error, "body"),
                             comment_form=form, failed_section_id=section_id)
    commit()
    flash(_("Kommentaren är sparad."), "success")
    return _back(response, f"#comment-{comment.id}")


@bp.route("/comments/<int:comment_id>/replies", methods=["GET", "POST"])
@login_required
def reply(response_id: int, comment_id: int):
    response = load_response(response_id, for_update=request.method == "POST")
    ensure(current_user, Action.COMMENT, response)
    comment = comment_service.get_comment(response, comment_id)
    form = ReplyForm()
    if request.method == "GET":
        return render_template("drafting/reply.html", response=response, comment=comment, form=form)
    status = 400
    if form.validate_on_submit():
        try:
            created = comment_service.reply(comment, current_user, form.body.data)
            commit()
            return _back(response, f"#comment-{created.id}")
        except DomainError as error:
            db.session.rollback()
            form.body.errors.append(error.message)
            status = error.status
    return render_template("drafting/reply.html", response=load_response(response_id),
                           comment=comment, form=form), status


@bp.post("/comments/<int:comment_id>/resolve")
@login_required
def resolve(response_id: int, comment_id: int):
    response = load_response(response_id, for_update=True)
    ensure(current_user, Action.COMMENT, response)
    comment = comment_service.get_comment(response, comment_id)
    comment_service.set_resolved(comment, current_user, request.form.get("resolved") != "0")
    commit()
    return _back(response, f"#comment-{comment.id}")


@bp.post("/comments/<int:comment_id>/decide")
@login_required
def decide_suggestion(response_id: int, comment_id: int):
    response = load_response(response_id, for_update=True)
    ensure(current_user, Action.DECIDE_SUGGESTION, response)
    comment = comment_service.get_comment(response, comment_id)
    form = SuggestionDecisionForm()
    if not form.validate_on_submit():
        return render_template("drafting/reply.html", response=response, comment=comment,
                               form=ReplyForm(), decision_form=form), 400
    try:
        comment_service.decide_suggestion(comment, current_user, request.form.get("accept") == "1",
                                          form.reply.data or "")
    except DomainError as error:
        db.session.rollback()
        form.reply.errors.append(error.message)
        response = load_response(response_id)
        return render_template("drafting/reply.html", response=response, comment=comment,
                               form=ReplyForm(), decision_form=form), error.status
    commit()
    flash(_("Förslaget är hanterat."), "success")
    return _back(response, f"#comment-{comment.id}")
