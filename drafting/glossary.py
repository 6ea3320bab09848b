"""The Swedish word list the interface follows: the glossary of the domain (../shared/DOMAIN.md,
"Who and what" and "Words, as a registrar would use them") as one list, in one place.

The catalog (every Swedish msgid) is checked against it by tests/test_words.py: each term is
spelled as it is here, nouns take the article and adjective forms of their gender, and a term
never stands where it means something else (the ministry is never a "remissinstans"). The labels
of drafting/labels.py for roles and stages are these terms, and their English is the English here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .models import Role, Stage


@dataclass(frozen=True)
class Term:
    """One word as a municipal registrar uses it."""

    swedish: str  # the base form, lower case, as the interface writes it
    english: str  # the word the English catalog uses for it
    meaning: str
    gender: Literal["en", "ett"] | None = None  # for nouns: "en kommun", "ett yttrande"
    # Other forms a check should recognise (irregular plurals); regular endings need nothing.
    forms: tuple[str, ...] = ()
    # Words that never stand with this term in one text: it would mean the wrong body or thing.
    never_with: tuple[str, ...] = ()
    not_to_be_confused_with: str = ""


GLOSSARY: tuple[Term, ...] = (
    # Who and what
    Term("samarbete", "cooperation", "a voluntary regional cooperation of municipalities", "ett"),
    Term("medlemskommun", "member municipality", "a member of the cooperation", "en"),
    Term("kommun", "municipality", "a municipality", "en"),
    Term("koordinator", "coordinator",
         "the secretariat: opens a response, writes the draft, publishes versions", "en"),
    Term("tjänsteman", "official",
         "a municipal official: comments, suggests, records the municipality's position", "en",
         forms=("tjänstemän",)),
    Term("kommundirektör", "municipal director",
         "head of a municipality's administration; signs off for the municipality", "en"),
    Term("administratör", "administrator", "manages the cooperation's members and accounts", "en"),
    Term("intern granskare", "internal reviewer",
         "a colleague in one municipality, invited to its home round of one response", "en"),
    Term("ordförandekommun", "chair municipality", "listed first among the signatories", "en"),
    Term("arbetsgrupp", "working group", "e.g. ÖP-gruppen, helps draft in its area", "en"),
    Term("fokusområde", "focus area", "the cooperation's areas of work", "ett"),
    Term("remiss", "consultation",
         "a proposal from a ministry, agency or region asking for opinions by a deadline", "en"),
    Term("gemensamt yttrande", "joint response", "one response co-signed by the participants"),
    Term("yttrande", "response", "the answer to a remiss (remissvar)", "ett"),
    Term("remissvar", "consultation response", "the answer to a remiss (yttrande)", "ett"),
    Term("förankring", "review",
         "each official takes the draft home and comes back with its position", "en"),
    Term("beredning på hemmaplan", "home round",
         "colleagues inside one municipality comment before it takes a position"),
    # Words, as a registrar would use them
    Term("remittent", "sender", "the body that sends the remiss", "en"),
    Term("avsändare", "sender", "the body that sends the remiss (remittent)", "en",
         forms=("avsändaren", "avsändarens")),
    Term("remissinstans", "consultation body",
         "a body asked to answer: here the cooperation and its municipalities", "en",
         never_with=("avsändare", "avsändaren", "remittent", "departement", "diarienummer"),
         not_to_be_confused_with="the ministry, which is the sender (remittent)"),
    Term("er beteckning", "your reference", "the sender's diarienummer of the remiss",
         not_to_be_confused_with="vår beteckning"),
    Term("vår beteckning", "our reference", "the cooperation's own diarienummer for the matter"),
    Term("diarienummer", "reference number", "a registrar's number for a matter", "ett"),
    Term("sista svarsdag", "deadline", "the date by which the remiss must be answered"),
    Term("ställningstagande", "position", "a municipality's position on a version of the draft",
         "ett", not_to_be_confused_with="beslut, the formal decision of its body"),
    Term("godkänner", "approves", "a municipality's position on our own draft",
         not_to_be_confused_with="tillstyrker (supports a proposal of the remiss)"),
    Term("invänder", "objects", "a municipality blocks consensus on a version, with a reason"),
    Term("invändning", "objection", "an objection to a version, with a reason", "en"),
    Term("synpunkt", "remark", "a comment a municipality approves with", "en"),
    Term("samsyn", "consensus", "every participant approved one version", "en"),
    Term("underskrift", "signature", "a director's sign-off for the municipality", "en"),
    Term("beslutande organ", "deciding body",
         "kommunstyrelsen, its arbetsutskott, or the director on delegation", "ett"),
    Term("beslutsunderlag", "decision paper",
         "the paper an official writes for the municipality's own deciding body", "ett"),
    Term("tjänsteskrivelse", "official report", "the official's paper for the deciding body", "en"),
    Term("sammanträde", "meeting", "a meeting of a deciding body", "ett"),
    Term("protokollsparagraf", "minutes paragraph", "the paragraph of the minutes", "en"),
    Term("anstånd", "extension", "more time granted by the ministry", "ett"),
    Term("likalydande", "identical", "identical text decided by each party"),
    Term("formellt namn", "formal name", "\"Lunds kommun\", \"Malmö stad\" in documents",
         not_to_be_confused_with="the short name \"Lund\" in the interface"),
    # The things of the work
    Term("utkast", "draft", "the text being written", "ett"),
    Term("arbetsutkast", "working draft", "the draft as the coordinator edits it", "ett"),
    Term("version", "version", "a published, unchangeable state of the text", "en"),
    Term("avsnitt", "section", "a part of the text with its heading", "ett"),
    Term("kommentar", "comment", "what a participant says about the text", "en"),
    Term("ändringsförslag", "suggested change", "a comment proposing new text", "ett"),
    Term("inbjudan", "invitation", "the coordinator's invitation to a municipality", "en"),
)

# The interface's word for each role and each stage: one glossary term each.
ROLE_TERMS = {
    Role.OFFICIAL: "tjänsteman",
    Role.DIRECTOR: "kommundirektör",
    Role.COORDINATOR: "koordinator",
    Role.ADMIN: "administratör",
    Role.REVIEWER: "intern granskare",
}
STAGE_TERMS = {  # the state a response is in; "Undertecknat" as in "(yttrandet är) undertecknat"
    Stage.DRAFT: ("utkast", "Draft"),
    Stage.REVIEW: ("förankring", "Review"),
    Stage.CONSENSUS: ("samsyn", "Consensus"),
    Stage.SIGNED: ("undertecknat", "Signed"),
    Stage.SENT: ("skickat", "Sent"),
    Stage.WITHDRAWN: ("återkallat", "Withdrawn"),
}


def term(swedish: str) -> Term:
    """The glossary's entry for a word (its base form)."""
    return next(t for t in GLOSSARY if t.swedish == swedish)
