// The check-in desk as an app that keeps working without a network.
//
// It downloads the conference's list of codes and names (signed by the server), keeps it in
// localStorage and checks people in against it at once, online or not. Each check-in is
// queued with an id of its own and its time, and sent to the server in batches whenever the
// network is there; the server counts each person once and answers per check-in. A counter
// shows "checked in / expected", refreshed every few seconds. A service worker keeps the page
// and its assets, so that the desk opens again offline. Without JavaScript (or storage) the
// forms post to the server as before.
(function () {
  "use strict";

  var POLL_MS = 5000;
  var BATCH = 200;

  function start() {
    var root = document.getElementById("desk");
    var codeForm = document.getElementById("code-form");
    var field = document.getElementById("code");
    if (!root || !codeForm || !field) return;
    var storage = null;
    try {
      storage = window.localStorage;
      storage.setItem("eventreg.desk.probe", "1");
      storage.removeItem("eventreg.desk.probe");
    } catch (error) {
      storage = null;
    }
    var data = root.dataset;
    var desk = storage && window.fetch && window.JSON ? makeDesk(root, data, storage) : null;
    setUpCamera(codeForm, field, desk);
    if (!desk) return;

    codeForm.addEventListener("submit", function (event) {
      event.preventDefault();
      desk.checkIn(field.value);
    });
    var searchForm = document.getElementById("search-form");
    if (searchForm) {
      searchForm.addEventListener("submit", function (event) {
        var query = document.getElementById("q").value;
        // Someone not on this device's list may still be found by the server (by e-mail
        // address, say): then the form is sent as usual.
        if (desk.search(query) || !navigator.onLine) event.preventDefault();
      });
    }
    registerWorker(data);
  }

  function text(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function makeDesk(root, data, storage) {
    var prefix = "eventreg.desk." + data.slug + ".";
    var list = null; // {token, issuedAt, byCode: {code: person}, people: [person]}
    var queue = readJSON("queue") || [];
    var csrf = (document.querySelector("#code-form input[name=csrf_token]") || {}).value || "";
    var syncing = false;
    var loading = null; // the list's download, while it runs
    var failed = false;
    var result = document.getElementById("desk-result");
    var connection = document.getElementById("desk-connection");
    var note = document.getElementById("desk-list-note");
    var field = document.getElementById("code");

    function readJSON(key) {
      try {
        return JSON.parse(storage.getItem(prefix + key) || "null");
      } catch (error) {
        return null;
      }
    }

    function save() {
      try {
        storage.setItem(prefix + "queue", JSON.stringify(queue));
        if (list) {
          storage.setItem(prefix + "list", list.token);
          storage.setItem(prefix + "arrivals", JSON.stringify(arrivals()));
        }
      } catch (error) {
        // storage full: the queue still lives in memory until it syncs
      }
    }

    // Check-ins learnt since the list was downloaded (synced ones included): they belong
    // to that list, and a fresh list carries them itself.
    function arrivals() {
      var known = {};
      list.people.forEach(function (person) {
        if (person.at && person.at !== person.listedAt) known[person.code] = person.at;
      });
      return known;
    }

    function useList(token, known) {
      var cut = token.lastIndexOf(".");
      var payload;
      try {
        payload = JSON.parse(token.slice(0, cut));
      } catch (error) {
        return false;
      }
      var byCode = {};
      var people = payload.people.map(function (row) {
        var person = {
          code: row[0], name: row[1], affiliation: row[2], status: row[3],
          at: row[4], listedAt: row[4],
        };
        byCode[person.code] = person;
        return person;
      });
      list = { token: token, issuedAt: payload.issued_at, byCode: byCode, people: people };
      Object.keys(known || {}).forEach(function (code) {
        if (byCode[code]) byCode[code].at = known[code];
      });
      queue.forEach(function (item) {
        var person = byCode[item.code];
        if (person && !person.at) person.at = item.checked_in_at;
      });
      note.textContent = text(data.msgReady, { n: people.length });
      return true;
    }

    function localCounts() {
      var arrived = 0;
      var expected = 0;
      list.people.forEach(function (person) {
        if (person.status !== "confirmed") return;
        expected += 1;
        if (person.at) arrived += 1;
      });
      return { checked_in: arrived, expected: expected };
    }

    function showCounts(counts) {
      document.getElementById("desk-checked").textContent = counts.checked_in;
      document.getElementById("desk-expected").textContent = counts.expected;
    }

    function showConnection() {
      var n = queue.length;
      var one = n === 1;
      if (!navigator.onLine) {
        connection.textContent = text(one ? data.msgOfflineOne : data.msgOfflineOther, { n: n });
        connection.className = "desk-connection offline";
      } else if (failed) {
        connection.textContent = data.msgSyncFailed;
        connection.className = "desk-connection offline";
      } else if (n) {
        connection.textContent = text(one ? data.msgWaitingOne : data.msgWaitingOther, { n: n });
        connection.className = "desk-connection";
      } else {
        connection.textContent = data.msgOnline;
        connection.className = "desk-connection online";
      }
    }

    function time(iso) {
      var options = { hour: "2-digit", minute: "2-digit" };
      try {
        return new Date(iso).toLocaleTimeString(document.documentElement.lang,
          Object.assign({ timeZone: data.zone }, options));
      } catch (error) {
        return new Date(iso).toLocaleTimeString([], options);
      }
    }

    function show(kind, person) {
      var heading = document.createElement("h2");
      heading.id = "result-heading";
      var verdict = document.createElement("p");
      verdict.className = "checkin-verdict";
      if (kind === "welcome") {
        heading.textContent = text(data.msgWelcomeTitle, { name: person.name });
        verdict.textContent = data.msgWelcome;
      } else if (kind === "repeat") {
        heading.textContent = text(data.msgRepeatTitle, { name: person.name });
        verdict.textContent = text(data.msgRepeat, { time: time(person.at) });
      } else if (kind === "refused") {
        heading.textContent = person.name;
        verdict.textContent = data.msgRefused;
      } else if (kind === "empty") {
        heading.textContent = data.msgEmpty;
        verdict.textContent = "";
      } else {
        heading.textContent = data.msgUnknownTitle;
        verdict.textContent = data.msgUnknown;
      }
      result.replaceChildren(heading);
      if (verdict.textContent) result.appendChild(verdict);
      if (person && person.affiliation && kind !== "unknown") {
        var detail = document.createElement("p");
        detail.textContent = person.affiliation;
        result.appendChild(detail);
      }
      result.className = "desk-result checkin-result " + kind;
      result.hidden = false;
      field.value = "";
      field.focus();
    }

    function render() {
      if (list) showCounts(localCounts());
      showConnection();
    }

    function checkIn(raw) {
      var code = (raw || "").trim();
      if (!code) return show("empty");
      if (!list && loading) {
        // The list is on its way: check in against it once it is here.
        loading.then(function () {
          if (list) checkIn(code);
          else show("unknown");
        });
        return;
      }
      var person = list && list.byCode[code];
      if (person) {
        if (person.status !== "confirmed") {
          show("refused", person);
        } else if (person.at) {
          show("repeat", person);
        } else {
          person.at = new Date().toISOString();
          queue.push({ id: newId(), code: code, checked_in_at: person.at });
          save();
          show("welcome", person);
        }
        render();
        sync();
      } else if (navigator.onLine && list) {
        // Perhaps someone who registered after the list was downloaded: ask the server.
        var item = { id: newId(), code: code, checked_in_at: new Date().toISOString() };
        queue.push(item);
        sync().then(function (answers) {
          var answer = (answers || {})[item.id];
          if (!answer) return show("unknown");
          var found = { name: answer.name, at: answer.checked_in_at, affiliation: "" };
          show({ checked_in: "welcome", already: "repeat", refused: "refused" }[answer.result] ||
            "unknown", found);
        });
      } else {
        show("unknown");
      }
    }

    function post(url, body) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body),
      });
    }

    // Send what is queued; resolves to {item id: answer} (empty when nothing was sent).
    function sync() {
      if (syncing || !navigator.onLine || !queue.length || !list) return Promise.resolve({});
      syncing = true;
      var batch = queue.slice(0, BATCH);
      var answers = {};
      return post(data.syncUrl, { list: list.token, items: batch })
        .then(function (response) {
          return response.json().then(function (body) {
            return { ok: response.ok, body: body };
          });
        })
        .then(function (reply) {
          if (!reply.ok) {
            // A list that is not the genuine one: download it again; the queue stays.
            list = null;
            throw new Error(reply.body.error);
          }
          reply.body.items.forEach(function (answer) {
            answers[answer.id] = answer;
          });
          var sent = queue.filter(function (item) { return answers[item.id]; });
          queue = queue.filter(function (item) { return !answers[item.id]; });
          sent.forEach(function (item) {
            var answer = answers[item.id];
            var person = list && list.byCode[item.code];
            if (person && answer.checked_in_at) person.at = answer.checked_in_at;
          });
          failed = false;
          save();
          return answers;
        })
        .catch(function () {
          failed = navigator.onLine;
          return answers;
        })
        .then(function (found) {
          syncing = false;
          if (!list && navigator.onLine) loadList();
          render();
          if (queue.length && !failed) sync();
          return found;
        });
    }

    function loadList() {
      if (!navigator.onLine) return Promise.resolve();
      if (loading) return loading;
      loading = fetch(data.codesUrl, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (body) {
          if (useList(body.list)) save();
          loading = null;
          render();
          sync();
        })
        .catch(function () {
          loading = null;
          if (!list) note.textContent = data.msgNoList;
        });
      return loading;
    }

    function poll() {
      if (!navigator.onLine || syncing) return Promise.resolve();
      return fetch(data.statusUrl, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (status) {
          csrf = status.csrf_token || csrf;
          if (queue.length) return sync();
          var local = list ? localCounts() : null;
          if (!local || local.checked_in !== status.checked_in || local.expected !== status.expected) {
            // Another desk checked someone in, or someone registered: a fresh list.
            return loadList();
          }
          failed = false;
          render();
        })
        .catch(function () {
          render();
        });
    }

    function search(query) {
      if (!list) return false;
      var wanted = (query || "").trim().toLowerCase();
      var results = document.getElementById("search-results");
      if (!wanted) {
        results.replaceChildren();
        return true;
      }
      var found = list.people.filter(function (person) {
        return (person.name + " " + person.affiliation).toLowerCase().indexOf(wanted) !== -1;
      }).slice(0, 20);
      if (!found.length && navigator.onLine) return false;
      results.replaceChildren();
      if (!found.length) {
        var nobody = document.createElement("p");
        nobody.textContent = text(data.msgNobody, { query: query.trim() });
        results.appendChild(nobody);
        return true;
      }
      var ul = document.createElement("ul");
      ul.className = "plain-list checkin-found";
      found.forEach(function (person) {
        var li = document.createElement("li");
        var name = document.createElement("strong");
        name.textContent = person.name;
        li.appendChild(name);
        var state = person.status === "confirmed"
          ? (person.at ? data.msgChecked : data.msgConfirmed)
          : ({ waiting: data.msgWaitingList, cancelled: data.msgCancelled }[person.status] ||
            data.msgNoSeat);
        li.appendChild(document.createTextNode(
          (person.affiliation ? " · " + person.affiliation : "") + " · " + state + " "));
        if (person.status === "confirmed" && !person.at) {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "small";
          button.textContent = data.msgCheckIn;
          var hidden = document.createElement("span");
          hidden.className = "visually-hidden";
          hidden.textContent = " " + person.name;
          button.appendChild(hidden);
          button.addEventListener("click", function () {
            checkIn(person.code);
            search(query);
          });
          li.appendChild(button);
        }
        ul.appendChild(li);
      });
      results.appendChild(ul);
      return true;
    }

    var saved = storage.getItem(prefix + "list");
    if (saved) useList(saved, readJSON("arrivals"));
    render();
    if (navigator.onLine) {
      note.textContent = list ? note.textContent : data.msgLoading;
      loadList();
    } else if (!list) {
      note.textContent = data.msgNoList;
    }
    window.addEventListener("online", function () { render(); poll(); });
    window.addEventListener("offline", render);
    window.setInterval(poll, POLL_MS);

    return { checkIn: checkIn, search: search };
  }

  function registerWorker(data) {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(data.workerUrl, { scope: data.deskUrl })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        // Keep this page and everything it loaded, for opening the desk offline.
        var urls = [data.deskUrl];
        document.querySelectorAll(
          "link[rel=stylesheet][href], link[rel=icon][href], link[rel=manifest][href], " +
          "script[src], img[src]")
          .forEach(function (element) {
            var url = element.getAttribute("href") || element.getAttribute("src");
            if (url && url.indexOf("data:") !== 0) urls.push(url);
          });
        if (registration.active) registration.active.postMessage({ type: "keep", urls: urls });
      })
      .catch(function () {
        // No worker (a private window, say): the desk works, but not after a reload offline.
      });
  }

  // The camera, where the browser has the BarcodeDetector API: the first QR code seen is
  // checked in like a typed one.
  function setUpCamera(form, field, desk) {
    var button = document.getElementById("scan-button");
    var video = document.getElementById("scan-video");
    var status = document.getElementById("scan-status");
    if (!button || !video) return;
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices ||
        !navigator.mediaDevices.getUserMedia) return;
    var detector;
    try {
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (error) {
      return; // QR codes not supported on this device
    }
    button.hidden = false;
    var stream = null;

    function stop() {
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      video.hidden = true;
    }

    function scan() {
      if (!stream) return;
      detector.detect(video).then(function (codes) {
        if (codes.length && codes[0].rawValue) {
          stop();
          status.textContent = "";
          if (desk) {
            desk.checkIn(codes[0].rawValue);
          } else {
            field.value = codes[0].rawValue;
            form.submit();
          }
          return;
        }
        window.setTimeout(scan, 250);
      }).catch(function () { window.setTimeout(scan, 500); });
    }

    button.addEventListener("click", function () {
      if (stream) { stop(); status.textContent = ""; return; }
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          video.hidden = false;
          status.textContent = button.dataset.scanning || "";
          return video.play();
        })
        .then(scan)
        .catch(function () {
          stop();
          status.textContent = button.dataset.denied || "";
        });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
