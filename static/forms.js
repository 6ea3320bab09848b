// After a refused form, move focus to its error summary so it is read and seen first.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // An error summary first, wherever it is on the page; else what the page asks to focus.
    var target = document.querySelector("[data-error-summary]") ||
      document.querySelector("[data-focus-on-load]");
    if (!target) { return; }
    var details = target.closest("details");
    if (details) { details.open = true; }
    target.focus();
    target.scrollIntoView({ block: "start" });
  });
})();
