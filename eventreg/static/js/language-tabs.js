// Turns the language panels of the organizers' forms into tabs (WAI-ARIA tabs pattern).
// Without this script every panel stays visible under its heading, and the form works alike.
(function () {
  "use strict";

  function setUp(container) {
    var list = container.querySelector('[role="tablist"]');
    var tabs = Array.prototype.slice.call(list.querySelectorAll('[role="tab"]'));
    var panels = tabs.map(function (tab) {
      return document.getElementById(tab.getAttribute("aria-controls"));
    });

    function select(index, focus) {
      tabs.forEach(function (tab, i) {
        var chosen = i === index;
        tab.setAttribute("aria-selected", chosen ? "true" : "false");
        tab.tabIndex = chosen ? 0 : -1;
        panels[i].hidden = !chosen;
      });
      if (focus) {
        tabs[index].focus();
      }
    }

    panels.forEach(function (panel, i) {
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tabs[i].id);
      panel.tabIndex = 0;
      // The tab names the panel now; its heading would say the same twice.
      panel.querySelector(".language-heading").hidden = true;
    });
    list.hidden = false;

    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () {
        select(i, false);
      });
      tab.addEventListener("keydown", function (event) {
        var next = null;
        if (event.key === "ArrowRight") next = (i + 1) % tabs.length;
        else if (event.key === "ArrowLeft") next = (i - 1 + tabs.length) % tabs.length;
        else if (event.key === "Home") next = 0;
        else if (event.key === "End") next = tabs.length - 1;
        if (next !== null) {
          event.preventDefault();
          select(next, true);
        }
      });
    });

    // A refused submission opens on the first language with an error.
    var withError = panels.findIndex(function (panel) {
      return panel.querySelector(".has-error") !== null;
    });
    select(withError >= 0 ? withError : 0, false);
  }

  document.querySelectorAll("[data-language-tabs]").forEach(setUp);
})();
