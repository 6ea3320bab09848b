"""Forms: they describe and validate input, nothing more."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Email, EqualTo, Length, Optional

from ..auth import MIN_PASSWORD_LENGTH
from ..ints import form_id
from ..labels import DECIDING_BODY_LABELS, DECISION_LABELS, ROLE_LABELS, label_choices
from ..limits import (
    MAX_BODY_CHARS,
    MAX_COMMENT_CHARS,
    MAX_HEADING_CHARS,
    MAX_LOCAL_CONSIDERATIONS_CHARS,
    MAX_LOCAL_REFERENCE_CHARS,
    MAX_MINUTES_CHARS,
    MAX_PASSWORD_LENGTH,
    MAX_SIGNATORY_CHARS,
)
from ..models.deciding_bodies import DecidingBody

REQUIRED = _l("Fältet måste fyllas i.")


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choice objects."""
    return [SelectChoice(value, label) for value, label in pairs]


class LoginForm(FlaskForm):
    email = StringField(_l("E-postadress"), validators=[DataRequired(REQUIRED), Length(max=255)])
    password = PasswordField(_l("Lösenord"), validators=[DataRequired(REQUIRED), Length(max=MAX_PASSWORD_LENGTH)])
    next = HiddenField()


def _new_password() -> PasswordField:
    # The rule of services/passwords.check_new_password, said where it is typed.
    return PasswordField(_l("Nytt lösenord"), validators=[
        DataRequired(REQUIRED),
        Length(min=MIN_PASSWORD_LENGTH,
               message=_l("Lösenordet måste ha minst %(min)d tecken.", min=MIN_PASSWORD_LENGTH)),
        Length(max=MAX_PASSWORD_LENGTH,
               message=_l("Lösenordet är för långt: högst %(max)d tecken.", max=MAX_PASSWORD_LENGTH)),
    ])


def _confirm_new_password() -> PasswordField:
    return PasswordField(_l("Upprepa det nya lösenordet"), validators=[
        DataRequired(REQUIRED), EqualTo("new_password", message=_l("Lösenorden stämmer inte överens.")),
    ])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Nuvarande lösenord"), validators=[DataRequired(REQUIRED)])
    new_password = _new_password()
    confirm = _confirm_new_password()


class SetPasswordForm(FlaskForm):
    """Choosing one's own password through a link from an e-mail."""

    new_password = _new_password()
    confirm = _confirm_new_password()


class ForgotPasswordForm(FlaskForm):
    email = StringField(_l("E-postadress"), validators=[
        DataRequired(REQUIRED), Email(message=_l("Ange en giltig e-postadress.")), Length(max=255)])


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Språk"), choices=choices([("sv", "Svenska"), ("en", "English")]))


class MailPreferenceForm(FlaskForm):
    mail = RadioField(_l("E-post om aviseringar"), choices=choices([
        ("immediate", _l("Genast, ett brev för varje avisering")),
        ("digest", _l("En sammanfattning om dagen")),
    ]), validators=[DataRequired(_l("Välj hur du vill få e-post."))])

    @classmethod
    def of(cls, user, **kwargs) -> MailPreferenceForm:
        """The form showing the person's present choice."""
        return cls(prefix="mail", mail="digest" if user.mail_digest else "immediate", **kwargs)


class ResponseForm(FlaskForm):
    sender = StringField(_l("Avsändare (departement eller myndighet)"), validators=[DataRequired(REQUIRED), Length(max=200)])
    reference_number = StringField(_l("Remissens diarienummer (Er beteckning)"), validators=[DataRequired(REQUIRED), Length(max=80)])
    consultation_title = StringField(_l("Remissens titel"), validators=[DataRequired(REQUIRED), Length(max=400)])
    received_on = DateField(_l("Remissen inkom"), validators=[Optional()])
    deadline = DateField(_l("Sista svarsdag"), validators=[DataRequired(_l("Ange sista svarsdag som ÅÅÅÅ-MM-DD."))])
    url = URLField(_l("Länk till remissen"), validators=[Optional(), URL(message=_l("Ange en fullständig webbadress.")), Length(max=500)])
    focus_area = SelectField(_l("Fokusområde"), choices=[])
    title = StringField(_l("Yttrandets rubrik (lämna tomt för ”Yttrande över …”)"), validators=[Optional(), Length(max=500)])
    our_reference = StringField(_l("Vår beteckning (kan anges senare)"),
                                validators=[Optional(), Length(max=80)])


class InviteForm(FlaskForm):
    municipalities = SelectMultipleField(_l("Kommuner att bjuda in"), coerce=form_id,
                                         validators=[DataRequired(_l("Välj minst en kommun."))])


class AnswerInvitationForm(FlaskForm):
    answer = RadioField(_l("Svar"), choices=choices([("join", _l("Vi deltar")), ("decline", _l("Vi avböjer"))]),
                        validators=[DataRequired(_l("Välj om kommunen deltar."))])
    reason = TextAreaField(_l("Skäl (krävs om ni avböjer)"), validators=[Length(max=5000)])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Skäl"), validators=[DataRequired(REQUIRED), Length(max=5000)])


class SectionForm(FlaskForm):
    # Required by the service except on the opening section (see services.drafting).
    heading = StringField(_l("Rubrik"), validators=[Optional(), Length(max=MAX_HEADING_CHARS)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[
        Length(max=MAX_BODY_CHARS, message=_l("Texten är för lång: högst %(max)d tecken.", max=MAX_BODY_CHARS)),
    ])
    base_revision = HiddenField()


class StructureForm(FlaskForm):
    """Move/remove buttons carry the draft's revision, so a stale tab is detected."""

    expected_revision = HiddenField()


class PublishForm(FlaskForm):
    change_note = TextAreaField(_l("Vad har ändrats?"), validators=[Length(max=5000)])
    # Set on the confirmation page: the coordinator accepts that sign-offs become stale.
    discard_signatures = HiddenField()


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Kommentar"), validators=[
        DataRequired(_l("Skriv en kommentar.")),
        Length(max=MAX_COMMENT_CHARS, message=_l("Kommentaren är för lång: högst %(max)d tecken.", max=MAX_COMMENT_CHARS)),
    ])
    exact = HiddenField()
    prefix = HiddenField()
    suffix = HiddenField()
    # Where the passage was selected on the page (anchoring.page_range), set by static/app.js.
    start = HiddenField()
    end = HiddenField()
    # Without a selection (no JavaScript, keyboard only): a block of the section (its number,
    # from 1) and/or the words typed out; text_id names the text the blocks were counted in.
    passage_block = SelectField(_l("Stycke"), choices=[], validate_choice=False)
    replaced_text = StringField(_l("Text som ska ersättas eller kommenteras"), validators=[
        Length(max=MAX_COMMENT_CHARS, message=_l("Texten är för lång: högst %(max)d tecken.", max=MAX_COMMENT_CHARS)),
    ])
    text_id = HiddenField()
    suggested_text = TextAreaField(_l("Föreslagen ny text"), validators=[
        Length(max=MAX_COMMENT_CHARS, message=_l("Förslaget är för långt: högst %(max)d tecken.", max=MAX_COMMENT_CHARS)),
    ])
    is_suggestion = BooleanField(_l("Föreslå ny text i stället för den valda texten"))


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Svar"), validators=[
        DataRequired(_l("Skriv ett svar.")), Length(max=MAX_COMMENT_CHARS),
    ])


class SuggestionDecisionForm(FlaskForm):
    reply = TextAreaField(_l("Svar till förslagsställaren"), validators=[Length(max=MAX_COMMENT_CHARS)])


class PositionForm(FlaskForm):
    version_number = HiddenField()
    decision = RadioField(_l("Kommunens ställningstagande"), choices=choices(
        label_choices(DECISION_LABELS)), validators=[DataRequired(_l("Välj ett ställningstagande."))])
    note = TextAreaField(_l("Synpunkt eller skäl (krävs vid invändning)"), validators=[Length(max=5000)])


class SignOffForm(FlaskForm):
    version_number = HiddenField()
    # Set on the confirmation page, which shows exactly what is being signed.
    confirmed = HiddenField()
    deciding_body = SelectField(_l("Beslutande organ"),
                                choices=choices(label_choices(DECIDING_BODY_LABELS)))
    decision_date = DateField(_l("Beslutsdatum"), validators=[DataRequired(_l("Ange beslutsdatum som ÅÅÅÅ-MM-DD."))])
    minutes_paragraph = StringField(_l("Protokollsparagraf (om någon)"), validators=[Optional(), Length(max=MAX_MINUTES_CHARS)])
    signatory_name = StringField(_l("Undertecknarens namn"), validators=[DataRequired(REQUIRED), Length(max=MAX_SIGNATORY_CHARS)])
    signatory_title = StringField(_l("Undertecknarens titel"), validators=[DataRequired(REQUIRED), Length(max=MAX_SIGNATORY_CHARS)])


class SentForm(FlaskForm):
    sent_on = DateField(_l("Datum då yttrandet skickades"), validators=[DataRequired(_l("Ange datum som ÅÅÅÅ-MM-DD."))])


class MunicipalityForm(FlaskForm):
    name = StringField(_l("Kommunens namn"), validators=[DataRequired(REQUIRED), Length(max=120)])
    formal_name = StringField(_l("Formellt namn i dokument (t.ex. ”Lunds kommun”, ”Malmö stad”)"),
                              validators=[Optional(), Length(max=160)])


class FormalNameForm(FlaskForm):
    formal_name = StringField(_l("Formellt namn i dokument"), validators=[Optional(), Length(max=160)])


class UserForm(FlaskForm):
    """A new account: no password, the person chooses it through the invitation e-mail."""

    name = StringField(_l("Namn"), validators=[DataRequired(REQUIRED), Length(max=160)])
    email = StringField(_l("E-postadress"), validators=[DataRequired(REQUIRED), Email(message=_l("Ange en giltig e-postadress.")), Length(max=255)])
    title = StringField(_l("Titel"), validators=[Optional(), Length(max=160)])
    role = SelectField(_l("Roll"), choices=choices(label_choices(ROLE_LABELS)))
    municipality_id = SelectField(_l("Kommun"), coerce=form_id, choices=[])


class EditUserForm(FlaskForm):
    name = StringField(_l("Namn"), validators=[DataRequired(REQUIRED), Length(max=160)])
    title = StringField(_l("Titel"), validators=[Optional(), Length(max=160)])
    role = SelectField(_l("Roll"), choices=choices(label_choices(ROLE_LABELS)))
    municipality_id = SelectField(_l("Kommun"), coerce=form_id, choices=[])


class HomeReviewerForm(FlaskForm):
    """A colleague of the official's own municipality, invited to the home round."""

    email = StringField(_l("Kollegans e-postadress"), validators=[
        DataRequired(REQUIRED), Email(message=_l("Ange en giltig e-postadress.")), Length(max=255)])
    name = StringField(_l("Namn (behövs om kollegan inte har något konto)"),
                       validators=[Optional(), Length(max=160)])
    title = StringField(_l("Titel eller förvaltning"), validators=[Optional(), Length(max=160)])


class HomeDeadlineForm(FlaskForm):
    deadline = DateField(_l("Intern svarsdag"), validators=[Optional()])


class InternalCommentForm(FlaskForm):
    exact = StringField(_l("Orden kommentaren gäller (valfritt)"),
                        validators=[Optional(), Length(max=1000)])
    body = TextAreaField(_l("Intern kommentar"), validators=[
        DataRequired(_l("Skriv en kommentar.")),
        Length(max=MAX_COMMENT_CHARS, message=_l("Kommentaren är för lång: högst %(max)d tecken.",
                                                 max=MAX_COMMENT_CHARS))])


class LiftForm(FlaskForm):
    body = TextAreaField(_l("Kommunens kommentar i den gemensamma diskussionen"), validators=[
        DataRequired(_l("Skriv en kommentar.")),
        Length(max=MAX_COMMENT_CHARS, message=_l("Kommentaren är för lång: högst %(max)d tecken.",
                                                 max=MAX_COMMENT_CHARS))])
class PlanDatesForm(FlaskForm):
    """The coordinator's own internal deadlines; empty: the plan's date."""

    home_round_due = DateField(_l("Beredningen på hemmaplan klar"), validators=[Optional()])
    comments_due = DateField(_l("Sista dag för synpunkter"), validators=[Optional()])
    positions_due = DateField(_l("Sista dag för ställningstaganden"), validators=[Optional()])


class DecisionBasisForm(FlaskForm):
    base_number = HiddenField()
    deciding_body = SelectField(_l("Beslutande organ"),
                                choices=choices(label_choices(DECIDING_BODY_LABELS)))
    local_reference = StringField(_l("Kommunens diarienummer"),
                                  validators=[Optional(), Length(max=MAX_LOCAL_REFERENCE_CHARS)])
    local_considerations = TextAreaField(
        _l("Kommunens egna överväganden (Markdown)"),
        validators=[Optional(), Length(max=MAX_LOCAL_CONSIDERATIONS_CHARS)])


class MeetingForm(FlaskForm):
    meeting_body = SelectField(_l("Organ"), choices=choices(
        (value, label) for value, label in label_choices(DECIDING_BODY_LABELS)
        if value != DecidingBody.DIRECTOR_ON_DELEGATION.value))
    meets_on = DateField(_l("Sammanträdesdag"), validators=[DataRequired(_l("Ange datum som ÅÅÅÅ-MM-DD."))])
    document_deadline_days = StringField(_l("Handlingarna ska vara inne så många dagar före"),
                                         default="10", validators=[DataRequired(REQUIRED), Length(max=3)])


class CalendarImportForm(FlaskForm):
    import_deadline_days = StringField(_l("Handlingarna ska vara inne så många dagar före"),
                                       default="10", validators=[DataRequired(REQUIRED), Length(max=3)])


class DelegationForm(FlaskForm):
    director_may_decide = BooleanField(_l("Kommundirektören får besluta om gemensamma yttranden "
                                          "på delegation"))
