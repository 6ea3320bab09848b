"""The working draft, versions, diffs, comments and suggestions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..forms import (
    CommentForm,
    PublishForm,
    ReplyForm,
    SectionForm,
    StructureForm,
    SuggestionDecisionForm,
)
from ..ints import InvalidNumber, parse_int
from ..models import JointResponse, Version
from ..permissions import Action, ensure
from ..rendering import MarkdownRejected, render_markdown
from ..services import comments as comment_service
from ..services import drafting as drafting_service
from ..services.errors import DomainError, EditConflict, NotFound
from ..services.textdiff import SectionInput, diff_sections, render_ops_html, summarize_changes
from .common import commit, end_read, form_int, load_response, query_int

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
        versions=_versions(response),
    )


@bp.post("/sections")
@login_required
def add_section(response_id: int):
    response = load_response(response_id)
    ensure(current_user, Action.EDIT_DRAFT, response)
    form = SectionForm(prefix="new")
    if form.validate_on_submit():
        end_read()  # rendering the body needs no database; the write transaction only stores
        try:
            text = drafting_service.prepare_text(form.heading.data, form.body.data or "")
            response = load_response(response_id, for_update=True)
            drafting_service.add_sections(response, current_user, [text])
            commit()
            flash(_("Avsnittet är tillagt."), "success")
            return redirect(url_for("drafting.draft", response_id=response.id))
        except DomainError as error:
            db.session.rollback()
            form.body.errors.append(error.message)
    response = load_response(response_id)
    return render_template(
        "drafting/draft.html", response=response,
        sections=drafting_service.working_sections(response), add_form=form,
        publish_form=PublishForm(), structure_form=StructureForm(expected_revision=response.revision),
        versions=_versions(response),
    ), 400


@bp.route("/sections/<int:section_id>/edit", methods=["GET", "POST"])
@login_required
def edit_section(response_id: int, section_id: int):
    response = load_response(response_id)
    ensure(current_user, Action.EDIT_DRAFT, response)
    section = drafting_service.get_section(response, section_id)
    form = SectionForm()
    preview_html = None
    if request.method == "GET":
        form.heading.data = section.heading
        form.body.data = section.body
        form.base_revision.data = section.current_revision.number
        return render_template("drafting/edit_section.html", response=response, section=section,
                               form=form, preview_html=None)
    if not form.validate_on_submit():
        return render_template("drafting/edit_section.html", response=response, section=section,
                               form=form, preview_html=None), 400
    end_read()  # rendering needs no database; the write transaction below only stores
    if "preview" in request.form:
        try:
            preview_html = render_markdown(form.body.data or "")
        except MarkdownRejected as error:
            form.body.errors.append(error.message)
        return render_template("drafting/edit_section.html", response=response, section=section,
                               form=form, preview_html=preview_html)
    try:
        base = parse_int(form.base_revision.data or "0", name="base_revision", minimum=0)
    except InvalidNumber:
        base = -1  # a tampered form: treated as stale, so the conflict page keeps the text
    try:
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
        db.session.rollback()
        form.body.errors.append(error.message)
        return render_template("drafting/edit_section.html", response=response, section=section,
                               form=form, preview_html=None), error.status
    commit()
    flash(_("Avsnittet är sparat."), "success")
    return redirect(url_for("drafting.draft", response_id=response.id) + f"#section-{section.id}")


@bp.post("/sections/<int:section_id>/move")
@login_required
def move_section(response_id: int, section_id: int):
    response = load_response(response_id, for_update=True)
    section = drafting_service.get_section(response, section_id)
    direction = -1 if request.form.get("direction") == "up" else 1
    drafting_service.move_section(section, current_user, direction, form_int("expected_revision"))
    commit()
    return redirect(url_for("drafting.draft", response_id=response.id) + f"#section-{section.id}")


@bp.post("/sections/<int:section_id>/remove")
@login_required
def remove_section(response_id: int, section_id: int):
    response = load_response(response_id, for_update=True)
    section = drafting_service.get_section(response, section_id)
    drafting_service.remove_section(section, current_user, form_int("expected_revision"))
    commit()
    flash(_("Avsnittet är borttaget ur utkastet. Publicerade versioner behåller det."), "success")
    return redirect(url_for("drafting.draft", response_id=response.id))


@bp.post("/publish")
@login_required
def publish(response_id: int):
    response = load_response(response_id, for_update=True)
    form = PublishForm()
    if form.validate_on_submit():
        try:
            version = drafting_service.publish_version(response, current_user, form.change_note.data or "")
            commit()
            flash(_("Version %(number)d är publicerad och ute för ställningstagande.",
                    number=version.number), "success")
            return redirect(url_for("responses.show", response_id=response.id))
        except DomainError as error:
            db.session.rollback()
            form.change_note.errors.append(error.message)
    response = load_response(response_id)
    return render_template(
        "drafting/draft.html", response=response,
        sections=drafting_service.working_sections(response), add_form=SectionForm(prefix="new"),
        publish_form=form, structure_form=StructureForm(expected_revision=response.revision),
        versions=_versions(response),
    ), 400


def _versions(response: JointResponse) -> list[Version]:
    return list(db.session.scalars(
        select(Version).where(Version.response_id == response.id).order_by(Version.number.desc())
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
    old, new = _get_version(response, old_number), _get_version(response, new_number)

    def inputs(version: Version) -> list[SectionInput]:
        return [SectionInput(s.section_id, s.heading, s.body)
                for s in drafting_service.reader_sections(response, version)]

    changes = diff_sections(inputs(old), inputs(new))
    return render_template("drafting/compare.html", response=response, old=old, new=new,
                           changes=changes, summary=summarize_changes(changes),
                           render_ops=render_ops_html, versions=all_versions,
                           layout=request.args.get("layout", "inline"))


@bp.post("/sections/<int:section_id>/comments")
@login_required
def add_comment(response_id: int, section_id: int):
    from .responses import response_page_context

    response = load_response(response_id, for_update=True)
    section = drafting_service.get_section(response, section_id)
    form = CommentForm()
    if form.validate_on_submit():
        suggested = form.suggested_text.data if form.is_suggestion.data else None
        try:
            comment = comment_service.add_comment(
                response, current_user, section, form.body.data, form.exact.data or "",
                form.prefix.data or "", form.suffix.data or "", suggested)
            commit()
            flash(_("Kommentaren är sparad."), "success")
            return _back(response, f"#comment-{comment.id}")
        except DomainError as error:
            db.session.rollback()
            form.body.errors.append(error.message)
    response = load_response(response_id)
    context = response_page_context(response)
    context.update(comment_form=form, failed_section_id=section_id)
    return render_template("responses/show.html", **context), 400


@bp.route("/comments/<int:comment_id>/replies", methods=["GET", "POST"])
@login_required
def reply(response_id: int, comment_id: int):
    response = load_response(response_id, for_update=request.method == "POST")
    comment = comment_service.get_comment(response, comment_id)
    form = ReplyForm()
    if request.method == "GET":
        ensure(current_user, Action.COMMENT, response)
        return render_template("drafting/reply.html", response=response, comment=comment, form=form)
    if form.validate_on_submit():
        try:
            created = comment_service.reply(comment, current_user, form.body.data)
            commit()
            return _back(response, f"#comment-{created.id}")
        except DomainError as error:
            db.session.rollback()
            form.body.errors.append(error.message)
    return render_template("drafting/reply.html", response=load_response(response_id),
                           comment=comment, form=form), 400


@bp.post("/comments/<int:comment_id>/resolve")
@login_required
def resolve(response_id: int, comment_id: int):
    response = load_response(response_id, for_update=True)
    comment = comment_service.get_comment(response, comment_id)
    comment_service.set_resolved(comment, current_user, request.form.get("resolved") != "0")
    commit()
    return _back(response, f"#comment-{comment.id}")


@bp.post("/comments/<int:comment_id>/decide")
@login_required
def decide_suggestion(response_id: int, comment_id: int):
    response = load_response(response_id, for_update=True)
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
