# TEMPORARY placeholder until the real module lands (being written in parallel).
import markdown, nh3, re
MAX_BODY_CHARS = 200_000
MAX_COMMENT_CHARS = 20_000
class MarkdownRejected(ValueError):
    def __init__(self, message):
        super().__init__(message); self.message = message
def render_markdown(text, *, max_chars=MAX_BODY_CHARS):
    if len(text) > max_chars:
        raise MarkdownRejected("För lång text.")
    return nh3.clean(markdown.markdown(text, extensions=["tables", "sane_lists"]))
def render_plain_comment(text):
    return render_markdown(text, max_chars=MAX_COMMENT_CHARS)
def text_content(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
