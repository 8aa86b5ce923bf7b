// The consolidated P&L page: a named period shows as soon as it is chosen,
// and sections fold to their totals. Without JavaScript every row shows;
// with it, each section heading becomes a button, and "Collapse all" /
// "Expand all" fold the whole report. The choice is kept for the tab, so a
// period change keeps the same view.
(function () {
  "use strict";
  // Choosing a named period shows it at once (the Go button is for pages
  // without JavaScript).
  var picker = document.querySelector("#period-picker select[name=period]");
  if (picker) {
    picker.addEventListener("change", function () {
      if (picker.value) {
        picker.form.submit();
      }
    });
  }
  var table = document.getElementById("pnl");
  if (!table) {
    return;
  }
  var KEY = "consol.pnl.folded";
  var folded = {};
  try {
    folded = JSON.parse(sessionStorage.getItem(KEY) || "{}") || {};
  } catch (e) {
    folded = {};
  }

  function rows(section) {
    return table.querySelectorAll('tr.account[data-section="' + section + '"]');
  }

  function set(button, open) {
    var section = button.getAttribute("data-section");
    button.setAttribute("aria-expanded", open ? "true" : "false");
    rows(section).forEach(function (r) {
      r.hidden = !open;
    });
    var name = button.textContent;
    if (open) {
      delete folded[name];
    } else {
      folded[name] = true;
    }
    try {
      sessionStorage.setItem(KEY, JSON.stringify(folded));
    } catch (e) {
      // Private windows may refuse storage; folding still works.
    }
  }

  var buttons = [];
  table.querySelectorAll("tr.section").forEach(function (tr) {
    var th = tr.querySelector("th");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "fold";
    button.textContent = th.textContent.trim();
    button.setAttribute("data-section", tr.getAttribute("data-section"));
    button.addEventListener("click", function () {
      set(button, button.getAttribute("aria-expanded") !== "true");
    });
    th.textContent = "";
    th.appendChild(button);
    buttons.push(button);
    set(button, !folded[button.textContent]);
  });
  if (!buttons.length) {
    return;
  }

  var bar = document.createElement("p");
  bar.className = "fold-all";
  [["Collapse all", false], ["Expand all", true]].forEach(function (pair) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link";
    b.textContent = pair[0];
    b.addEventListener("click", function () {
      buttons.forEach(function (x) {
        set(x, pair[1]);
      });
    });
    bar.appendChild(b);
  });
  table.parentNode.parentNode.insertBefore(bar, table.parentNode);
})();
