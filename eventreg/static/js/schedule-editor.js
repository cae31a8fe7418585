// The schedule editor: lays the sessions out on a grid of rooms against time and lets them
// be dragged (pointer events: mouse, pen and touch), resized by their bottom edge, or moved
// with the keyboard. Every candidate place is checked by the server (a dry-run plan) and
// shown while dragging; a drop saves it (the draft, or at once before publishing). Without
// this script the page still has a form per session.
(function () {
  "use strict";

  var root = document.getElementById("schedule-editor");
  if (!root) return;
  var cfg = {
    from: Number(root.dataset.dayFrom),
    to: Number(root.dataset.dayTo),
    snap: Number(root.dataset.snap),
    step: Number(root.dataset.step),
    checkUrl: root.dataset.checkUrl,
    placeUrl: root.dataset.placeUrl,
    csrf: root.dataset.csrf,
  };
  var statusBox = document.getElementById("editor-status");
  var tray = document.getElementById("editor-tray");
  var trayList = tray.querySelector("ul");
  var DEFAULT_LENGTH = 60;
  root.classList.add("is-enhanced");

  function hhmm(minutes) {
    var h = Math.floor(minutes / 60) % 24;
    var m = minutes % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  function say(text, kind) {
    statusBox.textContent = text;
    statusBox.className = "editor-status" + (kind ? " is-" + kind : "");
  }

  // --- layout -------------------------------------------------------------------------

  function gridOf(day) {
    return root.querySelector('.editor-grid[data-day="' + day + '"]');
  }

  function roomsOf(grid) {
    return Array.prototype.slice.call(grid.querySelectorAll(".editor-room"));
  }

  function rowOf(minute) {
    var clamped = Math.max(cfg.from, Math.min(cfg.to, minute));
    return 2 + Math.round((clamped - cfg.from) / cfg.snap);
  }

  function columnOf(grid, room) {
    var rooms = roomsOf(grid);
    for (var i = 0; i < rooms.length; i++) {
      if (rooms[i].dataset.room === String(room)) return i + 2;
    }
    return rooms.length + 1; // "No room" is the last column
  }

  function position(el, grid, place) {
    el.style.gridRow = rowOf(place.start) + " / " + Math.max(rowOf(place.end), rowOf(place.start) + 1);
    el.style.gridColumn = String(columnOf(grid, place.room));
  }

  function layOut(grid) {
    var rooms = roomsOf(grid);
    var slots = Math.round((cfg.to - cfg.from) / cfg.snap);
    grid.style.gridTemplateColumns = "4.5rem repeat(" + rooms.length + ", minmax(8rem, 1fr))";
    grid.style.gridTemplateRows = "auto repeat(" + slots + ", var(--editor-slot))";
    rooms.forEach(function (room, i) {
      room.style.gridColumn = String(i + 2);
      room.style.gridRow = "1";
    });
    grid.querySelectorAll(".editor-time").forEach(function (label) {
      var start = Number(label.dataset.minute);
      label.style.gridRow = rowOf(start) + " / " + rowOf(start + 30);
      label.style.gridColumn = "1";
    });
    grid.querySelectorAll(".editor-session").forEach(function (el) {
      position(el, grid, placeOf(el));
    });
  }

  function placeOf(el) {
    if (!el.dataset.start) return { tray: true, room: el.dataset.room };
    return {
      day: el.dataset.day,
      start: Number(el.dataset.start),
      end: Number(el.dataset.end),
      room: el.dataset.room,
    };
  }

  function label(el, place) {
    var clock = el.querySelector(".editor-clock");
    clock.textContent = place.tray ? "" : hhmm(place.start) + "–" + hhmm(place.end);
  }

  root.querySelectorAll(".editor-grid").forEach(layOut);

  // --- day tabs -------------------------------------------------------------------------

  var tabs = Array.prototype.slice.call(root.querySelectorAll('[role="tab"]'));
  function activeDay() {
    var tab = tabs.filter(function (t) { return t.getAttribute("aria-selected") === "true"; })[0];
    return tab ? tab.id.slice(4) : null;
  }
  function choose(tab) {
    tabs.forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
  }
  tabs.forEach(function (tab, i) {
    tab.addEventListener("click", function () { choose(tab); });
    tab.addEventListener("keydown", function (event) {
      var next = event.key === "ArrowRight" ? i + 1 : event.key === "ArrowLeft" ? i - 1 : null;
      if (next === null) return;
      event.preventDefault();
      var target = tabs[(next + tabs.length) % tabs.length];
      choose(target);
      target.focus();
    });
  });

  // --- checking and saving ------------------------------------------------------------------

  function query(place) {
    if (place.tray) return { tray: "1", room: place.room || "" };
    return { day: place.day, start: hhmm(place.start), end: hhmm(place.end), room: place.room || "" };
  }

  function describe(place) {
    if (place.tray) return tray.querySelector("h3").textContent;
    var grid = gridOf(place.day);
    var room = roomsOf(grid)[columnOf(grid, place.room) - 2];
    return hhmm(place.start) + "–" + hhmm(place.end) + ", " + (room ? room.textContent : "");
  }

  var checkTimer = null;
  var checkSeq = 0;
  function check(el, place, ghost) {
    clearTimeout(checkTimer);
    var seq = ++checkSeq;
    say(describe(place) + ": " + root.dataset.checking);
    checkTimer = setTimeout(function () {
      var params = new URLSearchParams(query(place));
      params.set("talk", el.dataset.talk);
      fetch(cfg.checkUrl + "?" + params.toString(), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (body) {
          if (seq !== checkSeq) return; // a later place was asked for meanwhile
          if (ghost) ghost.classList.toggle("is-clash", !body.ok);
          var text = describe(place) + ": " + (body.ok ? root.dataset.free : body.message);
          if (!dragging && body.ok) text += " " + root.dataset.unsaved;
          say(text, body.ok ? "ok" : "clash");
        })
        .catch(function () { if (seq === checkSeq) say(root.dataset.failed, "clash"); });
    }, 120);
  }

  function save(el, place) {
    clearTimeout(checkTimer);
    checkSeq++;
    say(root.dataset.saving);
    var body = query(place);
    return fetch(cfg.placeUrl.replace("/0/place", "/" + el.dataset.talk + "/place"), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": cfg.csrf },
      body: JSON.stringify(body),
    })
      .then(function (response) { return response.json(); })
      .then(function (result) {
        if (!result.ok) {
          say(result.message, "clash");
          return false;
        }
        settle(el, place, result);
        say(result.message, "ok");
        return true;
      })
      .catch(function () {
        say(root.dataset.failed, "clash");
        return false;
      });
  }

  function settle(el, place, result) {
    var focused = document.activeElement === el;
    el.dataset.day = place.tray ? "" : place.day;
    el.dataset.start = place.tray ? "" : String(place.start);
    el.dataset.end = place.tray ? "" : String(place.end);
    el.dataset.room = place.room || "";
    el.classList.toggle("is-drafted", !result.applied && result.drafted > 0);
    label(el, place);
    if (place.tray) {
      var item = document.createElement("li");
      trayList.appendChild(item);
      item.appendChild(el);
      el.classList.add("in-tray");
      el.style.gridRow = el.style.gridColumn = "";
    } else {
      var grid = gridOf(place.day);
      if (el.parentNode !== grid) {
        var old = el.parentNode;
        grid.appendChild(el);
        if (old.tagName === "LI") old.remove();
      }
      el.classList.remove("in-tray");
      position(el, grid, place);
    }
    var empty = trayList.querySelector(".tray-empty");
    if (empty) empty.hidden = trayList.querySelectorAll(".editor-session").length > 0;
    var count = document.getElementById("editor-draft-count");
    if (count && result.drafted_label) count.textContent = result.drafted_label;
    if (focused) el.focus();
  }

  // --- dragging -------------------------------------------------------------------------------

  var dragging = null;

  function ghostFor(grid) {
    var ghost = document.createElement("div");
    ghost.className = "editor-ghost";
    ghost.setAttribute("aria-hidden", "true");
    grid.appendChild(ghost);
    return ghost;
  }

  function minuteAt(grid, y) {
    var header = grid.querySelector(".editor-room").getBoundingClientRect();
    var slots = Math.round((cfg.to - cfg.from) / cfg.snap);
    var slot = (grid.getBoundingClientRect().bottom - header.bottom) / slots;
    var rows = (y - header.bottom) / slot;
    return cfg.from + Math.floor(rows) * cfg.snap;
  }

  function roomAt(grid, x) {
    var rooms = roomsOf(grid);
    for (var i = 0; i < rooms.length; i++) {
      var box = rooms[i].getBoundingClientRect();
      if (x >= box.left && x < box.right) return rooms[i].dataset.room;
    }
    return null;
  }

  function inside(el, x, y) {
    var box = el.getBoundingClientRect();
    return x >= box.left && x < box.right && y >= box.top && y < box.bottom;
  }

  function same(a, b) {
    if (!a || !b) return false;
    if (a.tray || b.tray) return a.tray === b.tray;
    return a.day === b.day && a.start === b.start && a.end === b.end && String(a.room) === String(b.room);
  }

  root.addEventListener("pointerdown", function (event) {
    var el = event.target.closest(".editor-session");
    if (!el || event.button !== 0) return;
    var day = activeDay();
    var grid = gridOf(day);
    var from = placeOf(el);
    var resize = !!event.target.closest(".editor-resize") && !from.tray;
    var length = from.tray ? DEFAULT_LENGTH : from.end - from.start;
    var grabbed = from.tray || from.day !== day ? 0 : minuteAt(grid, event.clientY) - from.start;
    dragging = {
      el: el, grid: grid, day: day, from: from, resize: resize, length: length,
      grabbed: Math.max(0, grabbed), x: event.clientX, y: event.clientY, moved: false, place: null, ghost: null,
    };
    el.setPointerCapture(event.pointerId);
    event.preventDefault();
  });

  root.addEventListener("pointermove", function (event) {
    var d = dragging;
    if (!d) return;
    if (!d.moved && Math.abs(event.clientX - d.x) + Math.abs(event.clientY - d.y) < 5) return;
    if (!d.moved) {
      d.moved = true;
      d.ghost = ghostFor(d.grid);
      d.el.classList.add("is-dragging");
    }
    var place;
    if (!d.resize && inside(tray, event.clientX, event.clientY)) {
      place = { tray: true, room: d.from.room };
      d.ghost.hidden = true;
      tray.classList.add("is-target");
    } else {
      tray.classList.remove("is-target");
      d.ghost.hidden = false;
      var minute = minuteAt(d.grid, event.clientY);
      if (d.resize) {
        var end = Math.max(d.from.start + cfg.snap, Math.min(cfg.to, minute + cfg.snap));
        place = { day: d.day, start: d.from.start, end: end, room: d.from.room };
      } else {
        var start = Math.max(cfg.from, Math.min(cfg.to - d.length, minute - d.grabbed));
        var room = roomAt(d.grid, event.clientX);
        if (room === null) room = d.place && !d.place.tray ? d.place.room : d.from.room;
        place = { day: d.day, start: start, end: start + d.length, room: room };
      }
      position(d.ghost, d.grid, place);
      d.ghost.textContent = hhmm(place.start) + "–" + hhmm(place.end);
    }
    if (!same(place, d.place)) {
      d.place = place;
      check(d.el, place, d.ghost);
    }
  });

  function endDrag(event, cancelled) {
    var d = dragging;
    if (!d) return;
    dragging = null;
    tray.classList.remove("is-target");
    d.el.classList.remove("is-dragging");
    if (d.el.hasPointerCapture(event.pointerId)) d.el.releasePointerCapture(event.pointerId);
    if (d.ghost) d.ghost.remove();
    if (cancelled || !d.moved || !d.place || same(d.place, d.from)) {
      clearTimeout(checkTimer);
      checkSeq++;
      return;
    }
    save(d.el, d.place);
  }
  root.addEventListener("pointerup", function (event) { endDrag(event, false); });
  root.addEventListener("pointercancel", function (event) { endDrag(event, true); });

  // --- keyboard -------------------------------------------------------------------------------

  var pending = null; // {el, place, ghost}

  function dropPending() {
    if (pending && pending.ghost) pending.ghost.remove();
    pending = null;
  }

  root.addEventListener("keydown", function (event) {
    var el = event.target.closest && event.target.closest(".editor-session");
    if (!el) return;
    var keys = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Enter", "Escape"];
    if (keys.indexOf(event.key) < 0) return;
    event.preventDefault();
    if (pending && pending.el !== el) dropPending();
    if (event.key === "Escape") {
      dropPending();
      clearTimeout(checkTimer);
      checkSeq++;
      say("");
      return;
    }
    if (event.key === "Enter") {
      if (!pending) return;
      var chosen = pending;
      save(el, chosen.place).then(function () { if (pending === chosen) dropPending(); });
      return;
    }
    var from = placeOf(el);
    var place = pending ? pending.place : from.tray
      ? { day: activeDay(), start: cfg.from, end: cfg.from + DEFAULT_LENGTH, room: roomsOf(gridOf(activeDay()))[0].dataset.room }
      : from;
    place = { day: place.day, start: place.start, end: place.end, room: place.room };
    var grid = gridOf(place.day);
    if (pending || !from.tray) {
      var length = place.end - place.start;
      if (event.shiftKey && event.key === "ArrowUp") place.end = Math.max(place.start + cfg.snap, place.end - cfg.step);
      else if (event.shiftKey && event.key === "ArrowDown") place.end = Math.min(cfg.to, place.end + cfg.step);
      else if (event.key === "ArrowUp") place.start = Math.max(cfg.from, place.start - cfg.step);
      else if (event.key === "ArrowDown") place.start = Math.min(cfg.to - length, place.start + cfg.step);
      if (!event.shiftKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) place.end = place.start + length;
      if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        var rooms = roomsOf(grid);
        var index = columnOf(grid, place.room) - 2 + (event.key === "ArrowRight" ? 1 : -1);
        place.room = rooms[(index + rooms.length) % rooms.length].dataset.room;
      }
    }
    if (!pending) pending = { el: el, place: place, ghost: ghostFor(grid) };
    pending.place = place;
    position(pending.ghost, grid, place);
    pending.ghost.textContent = hhmm(place.start) + "–" + hhmm(place.end);
    if (grid.closest(".editor-day").hidden) choose(document.getElementById("tab-" + place.day));
    check(el, place, pending.ghost);
  });
})();
