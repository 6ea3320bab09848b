"""Administration of a cooperation: municipalities, the Word template and user accounts.

Every view asks for the permission to administer the cooperation first (403 otherwise), and only
then loads the user or reads the form. An administrator never chooses a password: a new account
gets an invitation e-mail with a one-time link.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import jobs
from ..extensions import db
from ..forms import EditUserForm, FormalNameForm, MunicipalityForm, UserForm, choices
from ..labels import JOB_TASK_LABELS, ROLE_LABELS
from ..models import Cooperation, JobStatus, Municipality, Role, User
from ..permissions import CooperationAction, ensure_in_cooperation
from ..services import passwords, people
from ..services.audit import record_event
from ..services.errors import DomainError
from .common import RefusedSubmission, commit, refuse

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _cooperation(cooperation_id: int) -> Cooperation:
    cooperation = db.session.get(Cooperation, cooperation_id)
    if cooperation is None:
        abort(404)
    ensure_in_cooperation(current_user, CooperationAction.ADMINISTER, cooperation)
    return cooperation


def _with_municipalities(form, cooperation: Cooperation):
    form.municipality_id.choices = choices(
        [(0, _("Ingen (koordinator/administratör)"))]
        + [(m.id, m.name) for m in cooperation.municipalities])
    return form


def _page(cooperation: Cooperation, municipality_form=None, user_form=None,
          refused: RefusedSubmission | None = None, status: int = 200,
          formal_forms: dict[int, FormalNameForm] | None = None, template_error: str | None = None):
    return render_template(
        "admin/cooperation.html", cooperation=cooperation,
        users=people.cooperation_users(cooperation), ROLE_LABELS=ROLE_LABELS,
        municipality_form=municipality_form or MunicipalityForm(prefix="m"),
        user_form=user_form or _with_municipalities(UserForm(), cooperation),
        refused=refused, template_error=template_error,
        failed_job_count=len(jobs.failed_jobs(cooperation.id)),
        invitation_days=current_app.config["INVITATION_LINK_DAYS"], Role=Role,
        formal_forms={**{m.id: FormalNameForm(prefix=f"f{m.id}", formal_name=m.formal_name)
                         for m in cooperation.municipalities}, **(formal_forms or {})},
    ), status


@bp.post("/cooperations/<int:cooperation_id>/municipalities/<int:municipality_id>/formal-name")
@login_required
def set_formal_name(cooperation_id: int, municipality_id: int):
    cooperation = _cooperation(cooperation_id)
    municipality = db.session.get(Municipality, municipality_id) or abort(404)
    form = FormalNameForm(prefix=f"f{municipality_id}")
    if form.validate_on_submit():
        try:
            people.set_formal_name(cooperation, current_user, municipality, form.formal_name.data or "")
            commit()
            flash(_("Det formella namnet är sparat."), "success")
            return redirect(url_for("admin.cooperation", cooperation_id=cooperation.id))
        except DomainError as error:
            db.session.rollback()
            form.formal_name.errors.append(error.message)
    return _page(_cooperation(cooperation_id), status=400, formal_forms={municipality_id: form})


@bp.route("/cooperations/<int:cooperation_id>")
@login_required
def cooperation(cooperation_id: int):
    return _page(_cooperation(cooperation_id))


@bp.post("/cooperations/<int:cooperation_id>/municipalities")
@login_required
def add_municipality(cooperation_id: int):
    cooperation = _cooperation(cooperation_id)
    form = MunicipalityForm(prefix="m")
    if form.validate_on_submit():
        try:
            people.add_municipality(cooperation, current_user, form.name.data,
                                    form.formal_name.data or "")
            commit()
            flash(_("Kommunen är tillagd."), "success")
            return redirect(url_for("admin.cooperation", cooperation_id=cooperation.id))
        except DomainError as error:
            db.session.rollback()
            form.name.errors.append(error.message)
    return _page(_cooperation(cooperation_id), municipality_form=form, status=400)


@bp.post("/cooperations/<int:cooperation_id>/users")
@login_required
def add_user(cooperation_id: int):
    cooperation = _cooperation(cooperation_id)
    form = _with_municipalities(UserForm(), cooperation)
    if not form.validate_on_submit():
        return _page(cooperation, user_form=form, status=400)
    actor = current_user._get_current_object()
    try:
        user = people.create_user(
            email=form.email.data, name=form.name.data, title=form.title.data or "",
            cooperation=cooperation, role=Role(form.role.data),
            municipality_id=form.municipality_id.data or None, actor=actor,
        )
        passwords.queue_invitation(user, cooperation, actor)  # mailed by a job after the commit
    except DomainError as error:
        # Nothing half-made: no account without its invitation, no invitation without the account.
        db.session.rollback()
        refused = refuse(form, error, "email")
        return _page(_cooperation(cooperation_id), user_form=form, refused=refused,
                     status=error.status)
    commit()
    flash(_("%(name)s har fått ett konto och en inbjudan till %(email)s. Med länken i "
            "meddelandet väljer hen sitt lösenord.", name=user.name, email=user.email), "success")
    return redirect(url_for("admin.cooperation", cooperation_id=cooperation.id))


def _user_page(cooperation: Cooperation, user: User, form: EditUserForm | None = None,
               refused: RefusedSubmission | None = None, status: int = 200):
    if form is None:
        form = EditUserForm(formdata=None, obj=user, role=user.role_in(cooperation.id).value,
                            municipality_id=user.municipality_id or 0)
    return render_template(
        "admin/user.html", cooperation=cooperation, user=user, ROLE_LABELS=ROLE_LABELS,
        form=_with_municipalities(form, cooperation), refused=refused,
        invitation_days=current_app.config["INVITATION_LINK_DAYS"],
    ), status


def _load(cooperation_id: int, user_id: int) -> tuple[Cooperation, User]:
    cooperation = _cooperation(cooperation_id)  # the permission first, then the user
    return cooperation, people.cooperation_user(cooperation, user_id)


def _back_to_user(cooperation: Cooperation, user: User):
    return redirect(url_for("admin.edit_user", cooperation_id=cooperation.id, user_id=user.id))


@bp.route("/cooperations/<int:cooperation_id>/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_user(cooperation_id: int, user_id: int):
    cooperation, user = _load(cooperation_id, user_id)
    if request.method == "GET":
        return _user_page(cooperation, user)
    form = _with_municipalities(EditUserForm(), cooperation)
    if not form.validate_on_submit():
        return _user_page(cooperation, user, form, status=400)
    try:
        changes = people.update_user(
            current_user._get_current_object(), cooperation, user, name=form.name.data,
            title=form.title.data or "", role=Role(form.role.data),
            municipality_id=form.municipality_id.data or None)
    except DomainError as error:
        db.session.rollback()
        refused = refuse(form, error, "name")
        cooperation, user = _load(cooperation_id, user_id)
        return _user_page(cooperation, user, form, refused=refused, status=error.status)
    commit()
    flash(_("Uppgifterna är sparade.") if changes else _("Inget ändrades."), "success")
    return _back_to_user(cooperation, user)


def _account_action(cooperation_id: int, user_id: int,
                    action: Callable[[User, Cooperation, User], object], done: Callable[[User], str]):
    cooperation, user = _load(cooperation_id, user_id)
    try:
        action(current_user._get_current_object(), cooperation, user)
    except DomainError as error:
        db.session.rollback()
        cooperation, user = _load(cooperation_id, user_id)
        return _user_page(cooperation, user, refused=RefusedSubmission(error.message, ()),
                          status=error.status)
    commit()
    flash(done(user), "success")
    return _back_to_user(cooperation, user)


@bp.post("/cooperations/<int:cooperation_id>/users/<int:user_id>/deactivate")
@login_required
def deactivate_user(cooperation_id: int, user_id: int):
    return _account_action(cooperation_id, user_id, people.deactivate_user,
                           lambda user: _("Kontot för %(name)s är inaktiverat. Alla dess "
                                          "inloggningar har avslutats.", name=user.name))


@bp.post("/cooperations/<int:cooperation_id>/users/<int:user_id>/reactivate")
@login_required
def reactivate_user(cooperation_id: int, user_id: int):
    return _account_action(cooperation_id, user_id, people.reactivate_user,
                           lambda user: _("Kontot för %(name)s är aktivt igen.", name=user.name))


@bp.post("/cooperations/<int:cooperation_id>/users/<int:user_id>/invitation")
@login_required
def resend_invitation(cooperation_id: int, user_id: int):
    return _account_action(cooperation_id, user_id, people.resend_invitation,
                           lambda user: _("En ny inbjudan är skickad till %(name)s. Den "
                                          "tidigare länken gäller inte längre.", name=user.name))


@bp.post("/cooperations/<int:cooperation_id>/template")
@login_required
def upload_template(cooperation_id: int):
    cooperation = _cooperation(cooperation_id)
    if request.form.get("remove"):
        people.clear_word_template(cooperation, current_user)
        commit()
        flash(_("Standardmallen används igen."), "success")
        return redirect(url_for("admin.cooperation", cooperation_id=cooperation.id))
    upload = request.files.get("template")
    if upload is None or not upload.filename:
        return _page(cooperation, status=400, template_error=_("Välj en Word-fil att ladda upp."))
    try:
        removed = people.set_word_template(cooperation, current_user, upload.read(), upload.filename)
    except DomainError as error:
        db.session.rollback()
        return _page(_cooperation(cooperation_id), status=error.status, template_error=error.message)
    commit()
    flash(_("Word-mallen är uppladdad och används för nya exporter."), "success")
    if removed:
        flash(_("Mallen innehöll sådant som Word hämtar från andra adresser när dokumentet "
                "öppnas (då ser den som äger adressen vem som läser yttrandet). Det har tagits "
                "bort: %(items)s. Bädda in logotyper och bilder i mallen i stället för att länka "
                "till dem.", items="; ".join(removed)), "info")
    return redirect(url_for("admin.cooperation", cooperation_id=cooperation.id))


@bp.route("/cooperations/<int:cooperation_id>/jobs")
@login_required
def failed_jobs(cooperation_id: int):
    """Background work that failed after its retries: what it was, why, and a button to retry."""
    cooperation = _cooperation(cooperation_id)
    return render_template("admin/jobs.html", cooperation=cooperation,
                           jobs=jobs.failed_jobs(cooperation.id), JOB_TASK_LABELS=JOB_TASK_LABELS)


@bp.post("/cooperations/<int:cooperation_id>/jobs/<int:job_id>/retry")
@login_required
def retry_job(cooperation_id: int, job_id: int):
    cooperation = _cooperation(cooperation_id)
    job = jobs.get(job_id)
    if job is None or job.cooperation_id != cooperation.id:
        abort(404)
    if job.status == JobStatus.FAILED.value:
        jobs.retry(job)
        record_event("job_retried", current_user, cooperation_id=cooperation.id,
                     summary=_("Körde om ett misslyckat jobb: %(task)s.",
                               task=JOB_TASK_LABELS.get(job.task, job.task)))
        commit()
        flash(_("Jobbet körs igen."), "success")
    return redirect(url_for("admin.failed_jobs", cooperation_id=cooperation.id)), 303
