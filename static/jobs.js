// A page waiting for slow work (a PDF, a large Word file) asks how it goes every two seconds,
// and goes on by itself when it is done. Without JavaScript the page's "Uppdatera" link does it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var status = document.querySelector("[data-job-status]");
    if (!status || !window.fetch) { return; }
    var url = status.getAttribute("data-job-status");
    var delay = 1000;
    function ask() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (job) {
          if (job && (job.state === "done" || job.state === "failed")) {
            status.textContent = job.message;
            window.location.assign(job.url);
            return;
          }
          delay = Math.min(delay * 1.5, 5000);
          window.setTimeout(ask, delay);
        })
        .catch(function () { window.setTimeout(ask, 5000); });
    }
    window.setTimeout(ask, delay);
  });
})();
