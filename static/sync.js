// Follows the group page's running syncs: each progress bar asks the JSON
// API for its run once a second and moves with it; when every run has
// finished, the page reloads so the last-sync times and the figures are
// the new ones. Without JavaScript the page refreshes itself instead.
(function () {
  "use strict";
  var bars = Array.prototype.slice.call(document.querySelectorAll(".sync-progress[data-run]"));
  if (!bars.length) {
    return;
  }
  var pending = bars.length;
  var stopped = false;

  function finish(bar) {
    bar.removeAttribute("data-run");
    pending -= 1;
    if (pending === 0 && !stopped) {
      stopped = true;
      window.location.reload();
    }
  }

  function show(bar, run) {
    var progress = bar.querySelector("progress");
    var label = bar.querySelector(".sync-label");
    bar.setAttribute("data-live", "");
    if (run.progress.total > 0) {
      progress.max = run.progress.total;
      progress.value = run.progress.done;
    }
    if (run.state === "running" && run.progress.total > 0) {
      label.textContent = "syncing, step " + run.progress.done + " of " + run.progress.total;
    } else if (run.state === "running") {
      label.textContent = "starting";
    } else if (run.state === "retrying") {
      // Rounded up, as the page does: never "retrying in 0 s".
      var wait = run.retry_at ? Math.max(0, Date.parse(run.retry_at) - Date.now()) : 0;
      label.textContent = run.retry_at ? "retrying in " + Math.max(1, Math.ceil(wait / 1000)) + " s" : "retrying";
    } else if (run.state === "queued") {
      label.textContent = "queued";
    } else if (run.state === "succeeded") {
      label.textContent = run.calls + " calls";
      finish(bar);
    } else if (run.state === "superseded") {
      // Stopped with its worker while a newer sync waited: not a failure.
      label.textContent = "stopped; a newer sync takes over";
      finish(bar);
    } else {
      label.textContent = "failed: " + (run.error || "");
      finish(bar);
    }
  }

  function poll() {
    if (stopped) {
      return;
    }
    var active = bars.filter(function (b) { return b.hasAttribute("data-run"); });
    var asked = active.map(function (bar) {
      return fetch("/api/v1/sync-runs/" + encodeURIComponent(bar.getAttribute("data-run")), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      }).then(function (res) {
        if (!res.ok) {
          // Signed out or the run is gone: stop asking; a reload shows why.
          stopped = true;
          return null;
        }
        return res.json();
      }).then(function (run) {
        if (run) {
          show(bar, run);
        }
      });
    });
    Promise.all(asked).catch(function () {
      // A network error: try again at the next tick.
    }).then(function () {
      if (!stopped && pending > 0) {
        window.setTimeout(poll, 1000);
      }
    });
  }

  window.setTimeout(poll, 1000);
})();
