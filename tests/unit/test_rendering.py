"""Markdown rendering: output is sanitized, well-formed, and the work is bounded."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

from drafting import rendering
from drafting.rendering import (
    ALLOWED_TAGS,
    MAX_BODY_CHARS,
    MAX_COMMENT_CHARS,
    MarkdownRejected,
    check_markdown,
    render_markdown,
    render_plain_comment,
    text_content,
)

FORBIDDEN_TAGS = {"script", "style", "iframe", "img", "form", "input", "svg", "math", "object",
                  "embed", "textarea", "button", "link", "meta", "base", "frame", "video"}  # fmt: skip
SAFE_SCHEMES = {"http", "https", "mailto"}


def parse(html: str) -> lxml_html.HtmlElement:
    """Parse an HTML fragment into a wrapper element."""
    return lxml_html.fragment_fromstring(html or "<p></p>", create_parent="div")


def assert_safe(html: str) -> None:
    """Structural safety checks on rendered output, by parsing it (not by substring)."""
    root = parse(html)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments are stripped anyway, but never elements
        tag = element.tag.lower()
        assert tag not in FORBIDDEN_TAGS, html
        footnotes = element.get("class") == "footnote"
        assert tag == "div" and (element is root or footnotes) or tag in ALLOWED_TAGS, (tag, html)
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), html
            if name == "id":  # footnotes and their references only
                assert re.fullmatch(r"fn(ref\d*)?-[0-9a-f]{8}-\w+", value), html
            elif name == "class":
                assert value in {"footnote", "footnote-ref", "footnote-backref"}, html
            else:
                assert name in {"href", "title", "rel", "align", "start"}, (name, html)
            squashed = re.sub(r"[\s\x00-\x1f]+", "", value).lower()
            assert "javascript:" not in squashed and "vbscript:" not in squashed, html
            assert "data:" not in squashed or name == "title", html
        if tag == "a" and element.get("href") is not None:
            href = element.get("href").strip()
            scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", href)
            assert scheme is None or scheme.group(1).lower() in SAFE_SCHEMES, href
            assert element.get("rel") == "noopener noreferrer nofollow"


def assert_balanced(html: str) -> None:
    """The fragment cannot close or open anything around it in the surrounding page."""
    page = (
        f'<html><body><main id="m"><div id="w">{html}</div><p id="after">x</p></main></body></html>'
    )
    document = lxml_html.document_fromstring(page)
    wrapper = document.get_element_by_id("w")
    after = document.get_element_by_id("after")
    assert wrapper.getparent().get("id") == "m"
    assert after.getparent().get("id") == "m"
    assert after.getprevious() is wrapper


# --- ordinary content ---------------------------------------------------------------------


def test_empty_text_renders_empty() -> None:
    assert render_markdown("") == ""
    assert render_markdown("  \n\n ") == ""
    assert text_content("") == ""


def test_common_markdown_survives() -> None:
    html = render_markdown(
        "# Rubrik\n\nEtt *kursivt* och **fetstilt** ord, `kod` och "
        '[en länk](https://example.se/sida "Titel").\n\n'
        "- ett\n- två\n\n1. första\n2. andra\n\n> Citat\n\n---\n\n"
        "```python\nprint('<hej>')\n```\n"
    )
    root = parse(html)
    assert [h.text for h in root.iter("h1")] == ["Rubrik"]
    assert root.find(".//em").text == "kursivt"
    assert root.find(".//strong").text == "fetstilt"
    assert root.find(".//p/code").text == "kod"
    link = root.find(".//a")
    assert link.get("href") == "https://example.se/sida"
    assert link.get("title") == "Titel"
    assert link.get("rel") == "noopener noreferrer nofollow"
    assert [li.text for li in root.find(".//ul")] == ["ett", "två"]
    assert [li.text for li in root.find(".//ol")] == ["första", "andra"]
    assert root.find(".//blockquote/p").text == "Citat"
    assert root.find(".//hr") is not None
    assert root.find(".//pre/code").text == "print('<hej>')\n"
    assert_safe(html)


def test_tables_keep_alignment_without_style() -> None:
    html = render_markdown("| Kommun | Antal |\n|:-------|------:|\n| Ale | 12 |\n| Borås | 7 |")
    root = parse(html)
    assert [th.text for th in root.iter("th")] == ["Kommun", "Antal"]
    assert [td.text for td in root.iter("td")] == ["Ale", "12", "Borås", "7"]
    assert [td.get("align") for td in root.iter("td")] == ["left", "right", "left", "right"]
    assert "style" not in html
    assert_safe(html)


def test_swedish_emoji_and_rtl_text_are_kept() -> None:
    text = "Åäö ÅÄÖ é ß – “citat” 🎉👩🏽‍💻 مرحبا بالعالم שלום"
    html = render_markdown(text)
    assert text_content(html) == text


def test_control_characters_are_stripped() -> None:
    html = render_markdown("a\x00b\x01c\x02d\x03e\x1bf\tg\r\nh")
    assert text_content(html) == "abcdef g h"
    assert "\x00" not in html


def test_raw_allowed_inline_html_passes_through_sanitized() -> None:
    html = render_markdown("E = mc<sup>2</sup>, H<sub>2</sub>O och <del>gammalt</del>.")
    root = parse(html)
    assert root.find(".//sup").text == "2"
    assert root.find(".//sub").text == "2"
    assert root.find(".//del").text == "gammalt"


def test_images_are_dropped_but_alt_text_is_kept() -> None:
    html = render_markdown("Före ![en karta](https://evil.example/track.png) efter")
    assert parse(html).find(".//img") is None
    assert text_content(html) == "Före en karta efter"
    assert "evil.example" not in html


def test_relative_and_mail_links_are_allowed() -> None:
    root = parse(render_markdown("[a](#avsnitt) [b](/svar/3) [c](mailto:a@b.se)"))
    assert [a.get("href") for a in root.iter("a")] == ["#avsnitt", "/svar/3", "mailto:a@b.se"]


# --- hostile input ------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)" onclick="alert(2)">x</a>',
    "</div></main></body></html><script>alert(1)</script>",
    "<div><p>unclosed <b>bold <i>italic",
    "<style>body{display:none}</style>",
    '<p style="position:fixed;top:0">overlay</p>',
    "<iframe src=//evil></iframe>",
    '<form action="//evil"><input name=q><button>go</button></form>',
    '<svg onload=alert(1)><circle r="1"/></svg>',
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "<plaintext>everything after",
    "<textarea></div><script>alert(1)</script></textarea>",
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](jav&#9;ascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java\nscript:alert(1))",
    "[x](<javascript:alert(1)>)",
    '[x](https://ok.se "title" onmouseover="alert(1)")',
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '![x](https://ok.se/x.png" onerror="alert(1))',
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<a href='jav&#x0A;ascript:alert(1)'>x</a>",
    '<a href="https://ok.se" target="_blank" style="x" id="y" class="z">ok</a>',
    "<http://ok.se/<script>alert(1)</script>>",
    "<javascript:alert(1)>",
    "`<script>alert(1)</script>`",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "| a | <script>alert(1)</script> |\n|---|---|\n| <img src=x onerror=alert(1)> | b |",
    "> <iframe src=x></iframe>\n> - <svg/onload=alert(1)>",
    '<table><tr><td background="javascript:alert(1)">x</td></tr></table>',
    "<details open ontoggle=alert(1)>",
    "<meta http-equiv=refresh content='0;url=//evil'>",
    "<base href=//evil/>",
    "\x00<scr\x00ipt>alert(1)</script>",
    "<scr<script>ipt>alert(1)</script>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_comes_out_inert(text: str) -> None:
    html = render_markdown(text)
    assert_safe(html)
    assert_balanced(html)


def test_script_text_is_shown_not_run() -> None:
    html = render_markdown("Skriv <script>alert(1)</script> i rutan")
    assert parse(html).find(".//script") is None
    assert text_content(html) == "Skriv <script>alert(1)</script> i rutan"


def test_javascript_link_keeps_text_but_loses_href() -> None:
    root = parse(render_markdown("[klicka](javascript:alert(1))"))
    link = root.find(".//a")
    assert link is not None and link.text == "klicka"
    assert link.get("href") is None


def test_html_closing_tags_cannot_escape_the_fragment() -> None:
    html = render_markdown("Text </div></main></body>\n\n<div><div><div>\n\nmer")
    assert_balanced(html)
    assert text_content(html).startswith("Text")


# --- limits -------------------------------------------------------------------------------


def test_too_long_text_is_rejected_with_swedish_message() -> None:
    render_markdown("a" * MAX_BODY_CHARS)
    with pytest.raises(MarkdownRejected) as info:
        render_markdown("a" * (MAX_BODY_CHARS + 1))
    assert info.value.reason == "too_long"
    assert "för lång" in info.value.message
    assert info.value.message == str(info.value)


def test_comment_limit() -> None:
    assert render_plain_comment("Bra *förslag*!") == "<p>Bra <em>förslag</em>!</p>"
    render_plain_comment("a" * MAX_COMMENT_CHARS)
    with pytest.raises(MarkdownRejected):
        render_plain_comment("a" * (MAX_COMMENT_CHARS + 1))


@pytest.mark.parametrize(
    "text",
    [
        "> " * 21 + "djupt",
        ">" * 25 + " djupt",
        "".join("    " * level + "- nivå\n" for level in range(25)),
        "".join("    " * level + "1. nivå\n" for level in range(25)),
        "- " * 30 + "a",
        "> - " * 12 + "a",
    ],
)
def test_deep_nesting_is_rejected(text: str) -> None:
    with pytest.raises(MarkdownRejected) as info:
        render_markdown(text)
    assert info.value.reason == "nesting"
    assert info.value.message.startswith("Texten har för djup nästling (över 20 nivåer)")


def test_long_blank_lines_are_not_nesting() -> None:
    html = render_markdown(
        "Ett\n" + " " * 300 + "\n\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\nTvå"
    )
    assert text_content(html) == "Ett\nTvå"


def test_moderate_nesting_renders() -> None:
    html = render_markdown(
        "".join("    " * level + "- nivå\n" for level in range(6)) + "\n> > > ok"
    )
    assert len(parse(html).findall(".//ul")) == 6
    assert parse(html).find(".//blockquote/blockquote/blockquote/p").text == "ok"


def test_deeply_nested_raw_html_is_rejected() -> None:
    render_markdown("<b><i><sup>x</sup></i></b> " * 200)  # many tags, shallow
    with pytest.raises(MarkdownRejected) as info:
        render_markdown("<b>" * 41 + "x")
    assert info.value.reason == "nesting"


@pytest.mark.parametrize("char", ["[", "(", "*", "_", "`", "<", "&", "\\", "!", "]", ")"])
def test_long_runs_of_markup_characters_are_rejected(char: str) -> None:
    render_markdown("a" + char * 100 + "b")
    with pytest.raises(MarkdownRejected) as info:
        render_markdown("a" + char * 501 + "b")
    assert info.value.reason == "run"
    assert char in info.value.message


def test_recursion_error_becomes_rejection(monkeypatch: pytest.MonkeyPatch) -> None:
    class Exploding:
        def convert(self, text: str) -> str:
            raise RecursionError

    monkeypatch.setattr(rendering, "_build_markdown", lambda deadline: Exploding())
    with pytest.raises(MarkdownRejected) as info:
        render_markdown("hej")
    assert info.value.reason == "recursion"


def test_the_work_budget_refuses_what_the_pre_filters_let_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rendering, "RENDER_STEP_BUDGET", 3)
    with pytest.raises(MarkdownRejected) as info:
        render_markdown("# Rubrik\n\nText med *betoning* och **fetstil** i flera stycken.\n\nMer.")
    assert info.value.reason == "timeout"


def test_a_realistic_document_uses_a_small_part_of_the_work_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rendering, "RENDER_STEP_BUDGET", rendering.RENDER_STEP_BUDGET // 10)
    render_markdown(realistic_document(MAX_BODY_CHARS - 2_000))  # not refused


def test_time_budget_is_the_last_line_of_defence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rendering, "RENDER_TIME_BUDGET", -1.0)
    with pytest.raises(MarkdownRejected) as info:
        render_markdown("# Rubrik\n\nText med *betoning*.")
    assert info.value.reason == "timeout"
    assert "för komplex" in info.value.message


def test_check_markdown_accepts_a_realistic_large_document() -> None:
    text = realistic_document(MAX_BODY_CHARS - 2_000)
    check_markdown(text)
    html = render_markdown(text)  # within the work budget, however busy the machine is
    root = parse(html)
    assert len(root.findall(".//table")) > 5
    assert_safe(html)


def realistic_document(size: int) -> str:
    """A large but ordinary consultation response."""
    parts: list[str] = []
    number = 0
    while sum(map(len, parts)) < size:
        number += 1
        parts.append(
            f"## {number}. Synpunkter på avsnitt {number}\n\n"
            "Kommunen **tillstyrker** förslaget i stort men anser att konsekvenserna för "
            "skolan (se *bilaga 2*) behöver utredas vidare, särskilt när det gäller "
            "[finansieringen](https://www.regeringen.se/remisser) och `kostnadsansvaret`.\n\n"
            "- Tydligare ansvarsfördelning mellan stat och kommun\n"
            "- Längre övergångstid för mindre kommuner\n"
            "- Uppföljning efter tre år\n\n"
            "| Kommun | Ställningstagande | Kommentar |\n|---|:-:|---|\n"
            "| Ale | Ja | Inga invändningar |\n| Borås | Delvis | Se ovan |\n\n"
            "> Citat ur remissen: ”Förslaget bör träda i kraft den 1 juli 2026.”\n\n"
        )
    return "".join(parts)[:size]


# Shapes that make Python-Markdown slow (quadratic, or worse) at 200 000 characters.
PATHOLOGICAL = {
    "brackets": "[" * MAX_BODY_CHARS,
    "parens": "(" * MAX_BODY_CHARS,
    "unclosed links": "[a](" * 50_000,
    "images": "![" * 100_000,
    "empty links": "[](" * 66_666,
    "references": "[x][" * 50_000,
    "bracket groups": ("[" * 400 + "a") * 498,
    "star a": "*a" * 100_000,
    "a star": "a*" * 100_000,
    "strong a": "**a" * 66_666,
    "underscores": "_a" * 100_000,
    "mixed emphasis": "*_" * 100_000,
    "backticks": "`" * MAX_BODY_CHARS,
    "tick a": "`a" * 100_000,
    "code spans": "``a`" * 50_000,
    "less than": "<" * MAX_BODY_CHARS,
    "tags": "<a" * 100_000,
    "open tags": "<a " * 66_666,
    "bold tags": "<b>" * 66_666,
    "autolinks": "<http://a" * 22_222,
    "ampersands": "&" * MAX_BODY_CHARS,
    "entities": "&amp;" * 40_000,
    "backslashes": "\\" * MAX_BODY_CHARS,
    "escapes": "\\*" * 100_000,
    "pipes": "|" * MAX_BODY_CHARS,
    "table rows": "|a|b|\n|-|-|\n" + "|x|y|\n" * 33_000,
    "quotes": "> " * 100_000,
    "quote lines": "> a\n>\n" * 33_000,
    "quoted headings": "> # a\n" * 33_000,
    "list nesting": "".join("  " * i + "- a\n" for i in range(300)),
    "headings": "# a\n" * 50_000,
    "rules": "---\n" * 50_000,
    "setext": "a\n===\n" * 33_000,
    "paragraphs": "a\n\n" * 66_666,
    "list items": "- a\n" * 50_000,
    "lazy list": "- a\n" + "b\n" * 99_000,
    "hard breaks": "a  \n" * 50_000,
    "fences": "```\n" * 50_000,
    "tildes": "~~~\n" * 50_000,
    "reference definitions": "[a]: http://x\nb\n" * 12_000,
    "html paragraphs": "<p>a</p>\n\n" * 20_000,
    "comments": "<!--" * 50_000,
    "space run": "a" + " " * 199_998 + "a",
    "tab run": "a" + "\t" * 199_998 + "a",
    "no-break spaces": "a" + "\u00a0" * 199_998 + "a",
    "dash equals line": "-=" * 99_999 + "x",
    "hash spaces": "# " * 99_999 + "\n",
    "entity-like words": ("&" + "a" * 1000) * 199,
}


def test_pathological_inputs_finish_quickly() -> None:
    # Each is refused by a pre-filter or rendered within the work budget; none may hang
    # (pytest-timeout stops a hang). How fast they are is measured in bench/, not here.
    for text in PATHOLOGICAL.values():
        try:
            html = render_markdown(text[:MAX_BODY_CHARS])
        except MarkdownRejected as refused:
            assert refused.message
        else:
            assert_safe(html)


# --- property tests -----------------------------------------------------------------------

MARKDOWN_PIECES = st.sampled_from(
    ["*", "**", "_", "`", "```", "[", "]", "(", ")", "![", "<", ">", "&", "&amp;", "#", "-", "1.",
     "|", "\\", "\n", "\n\n", "  ", "    ", "a", "ord", "å", "<b>", "</b>", "<script>",
     "javascript:", "http://x", "onerror=", '"', "'", "=", "~", ":", "\t", "\x00"]
)  # fmt: skip


def check_rendered(text: str) -> None:
    try:
        html = render_markdown(text)
    except MarkdownRejected as rejected:
        assert rejected.message
        return
    assert_safe(html)
    assert_balanced(html)
    text_content(html)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_arbitrary_text_renders_safely_or_is_rejected(text: str) -> None:
    check_rendered(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MARKDOWN_PIECES, max_size=300).map("".join))
def test_markdown_soup_renders_safely_or_is_rejected(text: str) -> None:
    check_rendered(text)


# --- text_content -------------------------------------------------------------------------


def test_text_content_one_line_per_block() -> None:
    html = render_markdown(
        "# Rubrik\n\nFörsta   stycket\nmed radbrytning.\n\n- punkt *ett*\n- punkt två\n"
        "    - inre\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\nRad ett  \nrad två &amp; tre"
    )
    assert text_content(html).split("\n") == [
        "Rubrik",
        "Första stycket med radbrytning.",
        "punkt ett",
        "punkt två",
        "inre",
        "A",
        "B",
        "1",
        "2",
        "Rad ett rad två & tre",
    ]


def test_text_content_of_arbitrary_html() -> None:
    assert text_content("just text") == "just text"
    assert text_content("<p>a<!-- hidden --> b</p><p>  </p>c") == "a b\nc"
    deep = "<blockquote>" * 300 + "djup" + "</blockquote>" * 300
    assert text_content(deep) == "djup"
    etree.clear_error_log()
