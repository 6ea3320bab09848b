// Progressive enhancement: select a passage in a section to comment on exactly that passage.
// Without JavaScript the same form comments on the whole section.
(function () {
  "use strict";
  var CONTEXT = 32;

  function textOf(node) { return node.textContent || ""; }

  function selectionIn(body) {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) { return null; }
    var range = sel.getRangeAt(0);
    if (!body.contains(range.commonAncestorContainer)) { return null; }
    var exact = sel.toString().replace(/\s+/g, " ").trim();
    if (!exact) { return null; }
    var before = document.createRange();
    before.selectNodeContents(body);
    before.setEnd(range.startContainer, range.startOffset);
    var after = document.createRange();
    after.selectNodeContents(body);
    after.setStart(range.endContainer, range.endOffset);
    var prefix = before.toString().replace(/\s+/g, " ");
    var suffix = after.toString().replace(/\s+/g, " ");
    return { exact: exact, prefix: prefix.slice(-CONTEXT), suffix: suffix.slice(0, CONTEXT) };
  }

  function attach(body) {
    var form = document.getElementById(body.getAttribute("data-comment-target"));
    if (!form) { return; }
    var preview = form.querySelector(".quote-preview");
    function capture() {
      var quote = selectionIn(body);
      if (!quote) { return; }
      form.querySelector("input[name=exact]").value = quote.exact;
      form.querySelector("input[name=prefix]").value = quote.prefix;
      form.querySelector("input[name=suffix]").value = quote.suffix;
      if (preview) { preview.textContent = "Markerat: ”" + quote.exact + "”"; }
      var details = form.closest("details");
      if (details) { details.open = true; }
    }
    body.addEventListener("mouseup", capture);
    body.addEventListener("keyup", capture);
  }

  function highlight() {
    document.querySelectorAll(".comment[data-anchor-state=anchored]").forEach(function (comment) {
      var quote = comment.querySelector(".anchor-quote .exact");
      var exact = quote ? quote.textContent : "";
      var article = comment.closest(".doc-section");
      if (!exact || !article) { return; }
      var body = article.querySelector(".section-body");
      if (!body) { return; }
      var walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
      var node;
      while ((node = walker.nextNode())) {
        var index = textOf(node).indexOf(exact);
        if (index >= 0) {
          var range = document.createRange();
          range.setStart(node, index);
          range.setEnd(node, index + exact.length);
          var mark = document.createElement("mark");
          mark.className = "anchored";
          mark.title = comment.querySelector(".comment-meta").textContent.trim();
          try { range.surroundContents(mark); } catch (e) { /* spans elements: leave unmarked */ }
          break;
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".section-body[data-comment-target]").forEach(attach);
    highlight();
  });
})();
