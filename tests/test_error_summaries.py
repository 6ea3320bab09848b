"""Every form with something to type, submitted wrong: the error summary at the top of the form
(a heading and a link to each field), focus on it, and the message on its own field.

Without JavaScript (HTTP): the summary has autofocus and tabindex=-1 and links to field ids that
carry aria-invalid and aria-describedby naming their message. With JavaScript, on a phone (390
px): focus is on the summary, in view, in the same form as the marked field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from lxml import html as lxml_html
from werkzeug.datastructures import MultiDict

from drafting.models import PasswordLinkPurpose, local_today
from tests.browser import CHROMIUM, LAUNCH_ARGS, require_chromium
from tests.conftest import login, official
from tests.scenarios import build_stage

COORDINATOR, ADMIN = "koordinator@example.se", "admin@example.se"
LUND, LOMMA, MALMO_DIRECTOR = "tjansteman.lund@example.se", "tjansteman.lomma@example.se", "direktor.malmo@example.se"
FUTURE = (local_today() + timedelta(days=30)).isoformat()


@dataclass(frozen=True)
class Case:
    name: str
    who: str | None
    page: str  # where the form is, with {r} {s} {c} {coop} {user} {lund} {token}
    action: str  # the form's action
    fill: dict[str, str]  # what the person types or chooses (everything else as the page has it)
    field: str  # the id of the field the message belongs on
    stage: str = "consensus"
    file: dict[str, str] = field(default_factory=dict)


R = "/responses/{r}"
CASES = [
    Case("objection without a reason", LUND, R, R + "/position", {"decision": "object", "note": ""}, "note"),
    Case("position without a choice", LUND, R, R + "/position", {"note": "Vi tycker till"}, "decision"),
    Case("decision date in the future", MALMO_DIRECTOR, R, R + "/sign-off",
         {"decision_date": FUTURE, "signatory_name": "Direktör Malmö", "signatory_title": "Kommundirektör"},
         "decision_date"),
    Case("signatory without a name", MALMO_DIRECTOR, R, R + "/sign-off",
         {"decision_date": local_today().isoformat(), "signatory_name": "", "signatory_title": "Kommundirektör"},
         "signatory_name"),
    Case("stepping aside without a reason", LUND, R, R + "/step-aside", {"aside-reason": ""}, "aside-reason"),
    Case("declining without a reason", LOMMA, R, R + "/participation", {"answer": "decline", "reason": ""}, "reason"),
    Case("withdrawing without a reason", COORDINATOR, R, R + "/withdraw", {"withdraw-reason": ""}, "withdraw-reason"),
    Case("inviting nobody", COORDINATOR, R, R + "/invite", {}, "municipalities"),
    Case("sent on no date", COORDINATOR, R, R + "/sent", {"sent_on": ""}, "sent_on", stage="signed"),
    Case("an empty comment", LUND, R, R + "/sections/{s}/comments", {"body": ""}, "comment-body-{s}"),
    Case("an empty reply", LUND, R + "/comments/{c}/replies", R + "/comments/{c}/replies", {"body": ""}, "body"),
    Case("declining a suggestion without a reply", COORDINATOR, R, R + "/comments/{c}/decide",
         {"accept": "0", "reply": ""}, "reply"),
    Case("a later section without a heading", COORDINATOR, R + "/draft", R + "/sections", {"new-heading": "", "new-body": "Text"}, "new-heading"),
    Case("a section too long", COORDINATOR, R + "/sections/{s}/edit", R + "/sections/{s}/edit",
         {"body": "x" * 200_001}, "body"),
    Case("a change note too long", COORDINATOR, R + "/draft", R + "/publish", {"change_note": "x" * 5001},
         "change_note", stage="review"),
    Case("Word import without a file", COORDINATOR, R + "/draft", R + "/export/import", {}, "import-document"),
    Case("our reference left empty", COORDINATOR, R + "/export/", R + "/export/our-reference",
         {"our_reference": ""}, "our-reference"),
    Case("a deadline in the past", COORDINATOR, "/cooperations/{coop}/responses/new",
         "/cooperations/{coop}/responses/new",
         {"sender": "Infrastrukturdepartementet", "reference_number": "I2026/1", "consultation_title": "Remiss",
          "deadline": "2020-01-01"}, "deadline"),
    Case("a wrong password", None, "/login", "/login", {"email": LUND, "password": "fel-losenord"}, "password"),
    Case("no e-mail address", None, "/forgot-password", "/forgot-password", {"email": ""}, "email"),
    Case("a password too short", None, "/set-password/{token}", "/set-password/{token}",
         {"new_password": "kort", "confirm": "kort"}, "new_password"),
    Case("a wrong current password", LUND, "/profile", "/profile",
         {"current_password": "fel-losenord", "new_password": "ett-nytt-losenord", "confirm": "ett-nytt-losenord"},
         "current_password"),
    Case("an API token without a name", LUND, "/profile", "/profile/tokens", {"name": ""}, "api-token-name"),
    Case("a municipality without a name", ADMIN, "/admin/cooperations/{coop}",
         "/admin/cooperations/{coop}/municipalities", {"m-name": ""}, "m-name"),
    Case("a formal name too long", ADMIN, "/admin/cooperations/{coop}",
         "/admin/cooperations/{coop}/municipalities/{lund}/formal-name", {"f{lund}-formal_name": "x" * 161},
         "f{lund}-formal_name"),
    Case("a new user with a broken address", ADMIN, "/admin/cooperations/{coop}", "/admin/cooperations/{coop}/users",
         {"name": "Ny Person", "email": "inte-en-adress"}, "email"),
    Case("a user saved without a name", ADMIN, "/admin/cooperations/{coop}/users/{user}",
         "/admin/cooperations/{coop}/users/{user}", {"name": ""}, "name"),
    Case("a Word template without a file", ADMIN, "/admin/cooperations/{coop}", "/admin/cooperations/{coop}/template",
         {}, "template-file"),
]


@pytest.fixture
def world(db, demo, join, request):
    def _world(stage: str) -> dict:
        from drafting.services import passwords

        ids = build_stage(db, demo, join, stage)
        ids = {key: str(value) for key, value in ids.items()}
        _, ids["token"] = passwords.issue_link(official("Lomma"), PasswordLinkPurpose.INVITATION, None)
        db.session.commit()
        return {"r": ids["response"], "s": ids["section"], "c": ids["comment"], "coop": ids["cooperation"],
                "user": ids["user"], "lund": ids["lund"], "token": ids["token"]}
    return _world


def fmt(text: str, ids: dict) -> str:
    return text.format(**ids)


def form_values(form) -> list[tuple[str, str]]:
    """What a browser without JavaScript would send of a form as the page has it."""
    values = []
    for element in form.iter("input", "select", "textarea"):
        name = element.get("name")
        if not name or element.get("disabled") is not None:
            continue
        kind = (element.get("type") or "").lower()
        if element.tag == "select":
            chosen = [o for o in element.iter("option") if o.get("selected") is not None] or list(element.iter("option"))[:1]
            values += [(name, o.get("value", o.text_content())) for o in chosen]
        elif element.tag == "textarea":
            values.append((name, element.text or ""))
        elif kind in ("checkbox", "radio"):
            if element.get("checked") is not None:
                values.append((name, element.get("value", "on")))
        elif kind not in ("submit", "button", "file"):
            values.append((name, element.get("value", "")))
    return values


def find_form(document, action: str):
    forms = [f for f in document.iter("form") if f.get("action") == action]
    assert len(forms) == 1, f"{len(forms)} forms post to {action}"
    return forms[0]


def assert_summary_and_field(page_html: str, field_id: str, action: str) -> None:
    document = lxml_html.fromstring(page_html)
    summaries = document.find_class("error-summary")
    assert summaries, "no error summary"
    summary = summaries[0]
    assert summary.get("autofocus") is not None and summary.get("tabindex") == "-1", "summary takes no focus"
    assert summary.get("data-error-summary") is not None
    assert summary.find(".//h2") is not None, "summary without a heading"
    form = summary.getparent()
    while form is not None and form.tag != "form":
        form = form.getparent()
    assert form is not None and form.get("action") == action, "the summary is not at the top of its form"
    links = {a.get("href")[1:]: a.text_content().strip() for a in summary.iter("a")}
    assert field_id in links, f"summary links to {sorted(links)}, not {field_id}"
    for target_id in links:
        assert document.get_element_by_id(target_id, None) is not None, \
            f"the summary links to #{target_id}, which is not on the page"
    marked = document.get_element_by_id(field_id)
    assert marked.get("aria-invalid") == "true", f"#{field_id} is not marked invalid"
    described = [document.get_element_by_id(i, None) for i in (marked.get("aria-describedby") or "").split()]
    said = " ".join(d.text_content() for d in described if d is not None)
    assert links[field_id] in said, f"#{field_id} is not described by its message {links[field_id]!r}"
    assert form.xpath(f'.//*[@id="{field_id}"]'), "the marked field is not in the summary's form"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_refused_form_has_its_summary_and_field_message_without_javascript(app, world, case):
    ids = world(case.stage)
    client = app.test_client()
    if case.who:
        assert login(client, case.who).status_code == 302
    page = client.get(fmt(case.page, ids))
    assert page.status_code == 200
    action = fmt(case.action, ids)
    form = find_form(lxml_html.fromstring(page.get_data(as_text=True)), action)
    fill = {fmt(k, ids): v for k, v in case.fill.items()}
    data = [(k, v) for k, v in form_values(form) if k not in fill] + list(fill.items())
    answer = client.post(action, data=MultiDict(data), content_type="multipart/form-data")
    assert 400 <= answer.status_code < 500, answer.status_code
    assert_summary_and_field(answer.get_data(as_text=True), fmt(case.field, ids), action)


FILL_AND_SUBMIT = """([action, fill]) => {
  const form = [...document.forms].find(f => f.getAttribute('action') === action);
  if (!form) return 'no form posting to ' + action;
  const details = form.closest('details'); if (details) details.open = true;
  for (const [name, value] of Object.entries(fill)) {
    const fields = [...form.elements].filter(e => e.name === name);
    if (!fields.length) return 'no field ' + name;
    for (const e of fields) {
      if (e.type === 'radio' || e.type === 'checkbox') e.checked = e.value === value;
      else e.value = value;
    }
  }
  const submit = form.querySelector('button[type=submit]:not([name=accept][value="1"])') ||
                 form.querySelector('button[type=submit]');
  const accept = fill.accept !== undefined && form.querySelector('button[name=accept][value="' + fill.accept + '"]');
  form.requestSubmit(accept || submit);
  return '';
}"""

FOCUS = """(fieldId) => {
  const active = document.activeElement;
  const r = active.getBoundingClientRect();
  const marked = document.getElementById(fieldId);
  return {summary: active.hasAttribute('data-error-summary'), top: r.top, height: window.innerHeight,
          sameForm: !!(marked && active.closest('form') && active.closest('form').contains(marked)),
          invalid: marked && marked.getAttribute('aria-invalid'),
          links: [...active.querySelectorAll('a')].map(a => a.getAttribute('href'))};
}"""


@pytest.fixture
def chromium(live_server):
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.parametrize("stage", sorted({c.stage for c in CASES}))
def test_after_a_refused_form_focus_is_on_its_summary_on_a_phone(chromium, live_server, world, stage):
    ids = world(stage)
    failures = []
    for case in [c for c in CASES if c.stage == stage]:
        failures += check_in_browser(chromium, live_server, case, ids)
    assert not failures, "\n".join(failures)


def check_in_browser(browser, base: str, case: Case, ids: dict) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(locale="sv-SE", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        if case.who:
            page.goto(f"{base}/login")
            page.get_by_label("E-postadress").fill(case.who)
            page.get_by_label("Lösenord").fill("demo-losenord")
            page.get_by_role("button", name="Logga in").click()
            page.wait_for_url(f"{base}/")
        page.goto(base + fmt(case.page, ids))
        fill = {fmt(k, ids): v for k, v in case.fill.items()}
        with page.expect_navigation():
            problem = page.evaluate(FILL_AND_SUBMIT, [fmt(case.action, ids), fill])
            if problem:
                return [f"{case.name}: {problem}"]
        page.wait_for_load_state("load")
        state = page.evaluate(FOCUS, fmt(case.field, ids))
        problems = []
        if not state["summary"]:
            problems.append("focus is not on the error summary")
        elif not -1 <= state["top"] < state["height"] - 100:
            problems.append(f"the summary is out of view (top {state['top']})")
        if not state["sameForm"]:
            problems.append("the summary is not in the form of the marked field")
        if state["invalid"] != "true":
            problems.append("the field is not marked invalid")
        violations = [v["id"] for v in Axe().run(page).response["violations"]]
        if violations:
            problems.append(f"axe: {violations}")
        return [f"{case.name}: {p}" for p in problems]
    finally:
        context.close()
