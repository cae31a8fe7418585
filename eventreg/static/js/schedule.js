// The schedule's filters without a reload, the "scroll sideways" hints of wide grids and
// the print button of a day's agenda. Without this script every part still works: the
// filter form is a plain GET the server answers, and the hints show by the CSS rules.
(function () {
  "use strict";

  var FIELDS = ["day", "track", "room", "kind", "language"];

  // As eventreg.site.schedule.normalize_text: lower case, compatibility forms folded,
  // accents dropped ("perche" finds "Perché"); Chinese is left as it is.
  function normalize(text) {
    return text.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "");
  }

  function termsOf(text) {
    return normalize(text).split(/\s+/).filter(Boolean);
  }

  function setUpFilters(form) {
    var served = JSON.parse(form.getAttribute("data-served") || "{}");
    var status = document.querySelector("[data-filter-status]");
    var noResults = document.querySelector("[data-no-results]");
    var clear = form.querySelector(".clear-filters");
    var texts = null;
    // Each card (grid and list copies alike) with what the filters compare: its kind and
    // track are in its classes, its room in data-room, its day on its section.
    var cards = Array.prototype.map.call(document.querySelectorAll("[data-session]"), function (element) {
      var kind = /(?:^|\s)kind-([a-z]+)/.exec(element.className);
      var track = /(?:^|\s)track-([0-9]+)/.exec(element.className);
      return {
        element: element,
        id: element.getAttribute("data-session"),
        day: element.closest("[data-day-section]").getAttribute("data-day-section"),
        track: track ? track[1] : "",
        room: element.getAttribute("data-room") || "",
        kind: kind ? kind[1] : "",
        // The languages it can be followed in: a session matches any one of them.
        languages: (element.getAttribute("data-languages") || "").split(" ")
      };
    });
    var pending = null;
    var timer = null;

    function wanted() {
      var values = {};
      FIELDS.forEach(function (name) {
        var field = form.elements[name];
        values[name] = field ? field.value : "";
      });
      values.q = form.elements.q.value.trim().replace(/\s+/g, " ");
      return values;
    }

    // The page holds only what the server's filters let through: a wider choice needs
    // the server again. Narrower is: every filter the server applied still applies, and
    // every word searched for before is part of a word searched for now.
    function pageHolds(values) {
      var same = FIELDS.every(function (name) {
        return !served[name] || served[name] === values[name];
      });
      var before = termsOf(served.q || "");
      var now = termsOf(values.q);
      return same && before.every(function (old) {
        return now.some(function (term) { return term.indexOf(old) !== -1; });
      });
    }

    function loadTexts() {
      if (!pending) {
        pending = fetch(form.getAttribute("data-index-url"), { credentials: "omit" })
          .then(function (response) {
            if (!response.ok) { throw new Error("search index: " + response.status); }
            return response.json();
          })
          .then(function (data) { texts = data.texts; });
      }
      return pending;
    }

    function address(values) {
      var params = new URLSearchParams();
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && field.type === "hidden" && field.value) {
          params.set(field.name, field.value);
        }
      });
      FIELDS.concat(["q"]).forEach(function (name) {
        if (values[name]) { params.set(name, values[name]); }
      });
      var query = params.toString();
      return window.location.pathname + (query ? "?" + query : "");
    }

    function keepViewLinks(values) {
      document.querySelectorAll(".view-switch a").forEach(function (link) {
        var url = new URL(link.href);
        FIELDS.concat(["q"]).forEach(function (name) {
          if (values[name]) { url.searchParams.set(name, values[name]); }
          else { url.searchParams.delete(name); }
        });
        link.href = url.pathname + url.search;
      });
    }

    function apply() {
      var values = wanted();
      if (!pageHolds(values)) {
        form.submit();
        return;
      }
      var terms = termsOf(values.q);
      if (terms.length && !texts) {
        loadTexts().then(apply, function () { form.submit(); });
        return;
      }
      var shown = {};
      cards.forEach(function (card) {
        var text = terms.length ? texts[card.id] || "" : "";
        var match = FIELDS.every(function (name) {
          if (!values[name]) { return true; }
          if (name === "language") { return card.languages.indexOf(values[name]) !== -1; }
          return card[name] === values[name];
        }) && terms.every(function (term) { return text.indexOf(term) !== -1; });
        card.element.hidden = !match;
        if (match) { shown[card.id] = true; }
      });
      document.querySelectorAll("[data-day-section]").forEach(function (section) {
        var empty = !section.querySelector("[data-session]:not([hidden])");
        section.hidden = empty;
        var link = document.querySelector('.day-links a[href="#' + section.id + '"]');
        if (link) { link.hidden = empty; }
      });
      var count = Object.keys(shown).length;
      var active = FIELDS.concat(["q"]).some(function (name) { return values[name]; });
      if (status) {
        status.textContent = active && count ? status.getAttribute("data-template")
          .replace("{shown}", count).replace("{total}", form.getAttribute("data-total")) : "";
      }
      if (noResults) { noResults.hidden = count > 0; }
      if (clear) { clear.hidden = !active; }
      keepViewLinks(values);
      window.history.replaceState(null, "", address(values));
    }

    form.addEventListener("change", function (event) {
      if (event.target.name !== "q") { apply(); }
    });
    form.addEventListener("input", function (event) {
      if (event.target.name !== "q") { return; }
      window.clearTimeout(timer);
      // Once typing pauses, so that a screen reader hears one count, not one per key.
      timer = window.setTimeout(apply, 250);
    });
    form.addEventListener("submit", function (event) {
      if (pageHolds(wanted())) {
        event.preventDefault();
        window.clearTimeout(timer);
        apply();
      }
    });
  }

  // A hint is only true while its grid is wider than its box.
  function setUpScrollHints() {
    var hints = document.querySelectorAll("[data-scroll-hint]");
    function update() {
      hints.forEach(function (hint) {
        var box = hint.nextElementSibling;
        hint.hidden = !box || box.scrollWidth <= box.clientWidth + 1;
      });
    }
    if (hints.length) {
      update();
      window.addEventListener("resize", update);
    }
  }

  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  var form = document.querySelector("form[data-schedule-filters]");
  if (form) { setUpFilters(form); }
  setUpScrollHints();
})();
