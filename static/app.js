// Progressive enhancement: select a passage in a section to comment on exactly that passage.
// Without JavaScript (or without a mouse) the form's own fields do the same: choose a block
// of the section, or type the passage out; the server turns either into the same quote.
//
// The server finds passages (drafting/services/anchoring.py); this script never searches.
// Both sides speak of page positions: UTF-16 code units of a section body's text, not
// counting HTML whitespace (tab, line feed, form feed, carriage return, space), which HTML
// parsers keep or drop differently between tags (drafting.rendering.PlainText).
(function () {
  "use strict";
  var CONTEXT = 32;
  var SPACE = /[\t\n\f\r ]/;
  var SPACES = /[\t\n\f\r ]+/g;

  // Page position of a DOM boundary point inside body.
  function positionOf(body, container, offset) {
    var range = document.createRange();
    range.selectNodeContents(body);
    range.setEnd(container, offset);
    return range.toString().replace(SPACES, "").length;
  }

  function selectionIn(body) {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) { return null; }
    var range = sel.getRangeAt(0);
    if (!body.contains(range.commonAncestorContainer)) { return null; }
    // The DOM text of the range, as the server's positions count it (not sel.toString()).
    var exact = range.toString().replace(/\s+/g, " ").trim();
    if (!exact) { return null; }
    var before = document.createRange();
    before.selectNodeContents(body);
    before.setEnd(range.startContainer, range.startOffset);
    var after = document.createRange();
    after.selectNodeContents(body);
    after.setStart(range.endContainer, range.endOffset);
    // Context only helps clients that send no position; the server rebuilds it from its text.
    var prefix = before.toString().replace(/\s+/g, " ");
    var suffix = after.toString().replace(/\s+/g, " ");
    return {
      exact: exact, prefix: prefix.slice(-CONTEXT), suffix: suffix.slice(0, CONTEXT),
      start: positionOf(body, range.startContainer, range.startOffset),
      end: positionOf(body, range.endContainer, range.endOffset)
    };
  }

  var SELECTION_FIELDS = ["exact", "prefix", "suffix", "start", "end"];

  function attach(body) {
    var form = document.getElementById(body.getAttribute("data-comment-target"));
    if (!form) { return; }
    var preview = form.querySelector(".quote-preview");
    var block = form.querySelector("select[name=passage_block]");
    var typed = form.querySelector("input[name=replaced_text]");
    function setSelection(quote) {
      SELECTION_FIELDS.forEach(function (name) {
        var input = form.querySelector("input[name=" + name + "]");
        if (input) { input.value = quote ? String(quote[name]) : ""; }
      });
      if (preview) { preview.textContent = quote ? "Markerat: ”" + quote.exact + "”" : ""; }
    }
    function capture() {
      var quote = selectionIn(body);
      if (!quote) { return; }
      setSelection(quote);
      // The selection shows in the form's own fields, which the reader may still change.
      if (typed) { typed.value = quote.exact; }
      if (block) { block.value = ""; }
      var details = form.closest("details");
      if (details) { details.open = true; }
    }
    body.addEventListener("mouseup", capture);
    body.addEventListener("keyup", capture);
    // Choosing or typing in the form replaces an earlier selection.
    if (block) { block.addEventListener("change", function () { setSelection(null); }); }
    if (typed) { typed.addEventListener("input", function () { setSelection(null); }); }
  }

  // The text-node pieces covering page positions [start, end) of body.
  function piecesOf(body, start, end) {
    var pieces = [];
    var position = 0;
    var walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    var node;
    while ((node = walker.nextNode()) && position < end) {
      var data = node.data;
      var from = -1;
      var to = -1;
      for (var i = 0; i < data.length && position < end; i++) {
        if (SPACE.test(data.charAt(i))) { continue; }
        if (position >= start) {
          if (from < 0) { from = i; }
          to = i + 1;
        }
        position++;
      }
      if (from >= 0) { pieces.push({ node: node, from: from, to: to }); }
    }
    return position >= end ? pieces : [];  // beyond the text: not the page the server read
  }

  function mark(body, start, end, title) {
    var pieces = piecesOf(body, start, end);
    pieces.forEach(function (piece) {
      var node = piece.node;
      if (piece.to < node.data.length) { node.splitText(piece.to); }
      var inside = piece.from > 0 ? node.splitText(piece.from) : node;
      var element = document.createElement("mark");
      element.className = "anchored";
      element.title = title;
      inside.parentNode.insertBefore(element, inside);
      element.appendChild(inside);
    });
  }

  function highlight() {
    document.querySelectorAll(".comment[data-anchor-start]").forEach(function (comment) {
      var article = comment.closest(".doc-section");
      var body = article && article.querySelector(".section-body");
      var start = parseInt(comment.getAttribute("data-anchor-start"), 10);
      var end = parseInt(comment.getAttribute("data-anchor-end"), 10);
      if (!body || !(start < end)) { return; }
      var meta = comment.querySelector(".comment-meta");
      mark(body, start, end, meta ? meta.textContent.trim() : "");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".section-body[data-comment-target]").forEach(attach);
    highlight();
  });
})();
