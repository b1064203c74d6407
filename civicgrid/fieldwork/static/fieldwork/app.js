/* civicgrid fieldwork: the offline web app's page side.
 *
 * - registers the service worker (/fieldwork-sw.js, scope /fieldwork/), which keeps the pages;
 * - every form marked data-queue="<kind>" is saved into IndexedDB first (with its photos, as Blobs)
 *   and then sent; what cannot be sent yet waits on the phone and is shown in "Waiting to be sent";
 * - the queue is sent in the order it was recorded when the page loads, when the network returns
 *   and every 20 seconds; each item carries its client key, so a resend never makes a second row;
 * - an item the server refuses (400/403) stays listed with the reasons until it is discarded.
 * No inline scripts: this file is all there is.
 */
(function () {
  "use strict";
  var root = document.getElementById("fw");
  if (!root) return;
  var DB = "civicgrid-fieldwork", STORE = "queue", PATROL = "fw-patrol-" + root.dataset.user;
  var panel = document.getElementById("fw-queue");
  var list = document.getElementById("fw-queue-list");
  var count = document.getElementById("fw-queue-count");
  var flash = document.getElementById("fw-flash");
  var net = document.getElementById("fw-net");
  var sending = false;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "key" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = fn(t.objectStore(STORE));
        t.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }

  function all() {
    // Only the signed-in worker's items: a shared phone never sends one worker's items as another's.
    return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).filter(function (i) { return i.user === root.dataset.user; })
        .sort(function (a, b) { return a.seq - b.seq; });
    });
  }
  function put(item) { return tx("readwrite", function (s) { s.put(item); }); }
  function remove(key) { return tx("readwrite", function (s) { s.delete(key); }); }

  function say(text) {
    if (!flash) return;
    flash.textContent = text; flash.hidden = false;
  }

  function kindLabel(kind) { return panel.dataset["kind" + kind.charAt(0).toUpperCase() + kind.slice(1)] || kind; }

  function render() {
    return all().then(function (items) {
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.dataset.key = item.key;
        li.className = item.refused ? "refused" : "waiting";
        li.textContent = kindLabel(item.kind) + " · " + item.label + " · " +
          (item.refused ? panel.dataset.refused + ": " + item.refused.join(" ") : panel.dataset.waiting);
        if (item.refused) {
          var b = document.createElement("button");
          b.type = "button"; b.textContent = panel.dataset.discard;
          b.addEventListener("click", function () { remove(item.key).then(render); });
          li.appendChild(document.createTextNode(" ")); li.appendChild(b);
        }
        list.appendChild(li);
      });
      count.textContent = String(items.length);
      panel.hidden = items.length === 0;
      root.dataset.queued = String(items.length);
    });
  }

  function csrf() {
    // The CSRF cookie is HttpOnly (no script reads it); every page's forms carry the token.
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input && input.value) return input.value;
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  function summary(form) {
    var pick = form.querySelector("select[name=household]");
    var text = form.querySelector("textarea");
    var parts = [];
    if (pick && pick.selectedIndex > 0) parts.push(pick.options[pick.selectedIndex].text);
    if (text && text.value) parts.push(text.value.slice(0, 24));
    return parts.join(" · ") || new Date().toLocaleTimeString();
  }

  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }

  function freshDays(form) { // a kept page may be days old: default dates are today's
    form.querySelectorAll("input[type=date][name=visited_on], input[type=date][name=day]").forEach(function (i) { i.value = today(); });
  }

  function queue(form, submitter) {
    var kind = form.dataset.queue;
    var keyInput = form.querySelector("input[name=client_key]");
    var key = keyInput && keyInput.value ? keyInput.value : uuid();
    var at = form.querySelector("input[name=at]");
    if (at) at.value = new Date().toISOString();
    var fields = [], files = [];
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken" || name === "client_key") return;
      if (value instanceof Blob) { if (value.size) files.push([name, value, value.name || "photo.jpg"]); }
      else fields.push([name, value]);
    });
    if (submitter && submitter.name) fields.push([submitter.name, submitter.value]);
    var action = submitter && submitter.name === "action" ? submitter.value : "";
    var patrol = localStorage.getItem(PATROL);
    if (kind === "patrol" && action === "start") localStorage.setItem(PATROL, key);
    if (kind === "patrol" && action === "end") { localStorage.removeItem(PATROL); form.dataset.running = ""; form.dataset.offlineEnded = "1"; }
    if (patrol && kind !== "patrol" || kind === "patrol" && action === "end" && patrol) {
      var has = fields.some(function (f) { return f[0] === "patrol_key" && f[1]; });
      if (!has) fields.push(["patrol_key", patrol]);
    }
    var item = { key: key, user: root.dataset.user, seq: Date.now() + Math.random(), kind: kind, url: form.action, fields: fields,
                 files: files, label: summary(form), created: new Date().toISOString() };
    return put(item).then(function () {
      form.reset();
      patrolState();
      freshDays(form);
      if (keyInput) keyInput.value = uuid();
      say(panel.dataset.queued);
      return render();
    }).then(send);
  }

  function send() {
    // navigator.onLine false means no network for sure (true only maybe): then wait for "online".
    if (sending || navigator.onLine === false) return Promise.resolve();
    sending = true;
    return all().then(function (items) {
      var chain = Promise.resolve(true);
      items.forEach(function (item) {
        chain = chain.then(function (go) {
          if (!go || item.refused) return go;
          var body = new FormData();
          item.fields.forEach(function (f) { body.append(f[0], f[1]); });
          item.files.forEach(function (f) { body.append(f[0], f[1], f[2]); });
          body.append("client_key", item.key);
          return fetch(item.url, {
            method: "POST", body: body, credentials: "same-origin", redirect: "manual",
            headers: { "X-CSRFToken": csrf(), "X-Fieldwork-Queue": "1", "Accept": "application/json" }
          }).then(function (response) {
            if (response.type === "opaqueredirect" || response.status === 302) { say(panel.dataset.login); return false; }
            if (response.ok) {
              return response.json().then(function (data) { say(panel.dataset.sent + ": " + (data.message || "")); return remove(item.key); })
                .then(function () { return true; });
            }
            if (response.status === 400 || response.status === 403) {
              // Only the server's own refusal (JSON with its reasons) marks the item; anything else
              // (a CSRF page after the session changed, a proxy) is tried again later.
              return response.json().then(function (data) {
                if (!data || data.ok !== false) return false;
                item.refused = data.errors || [String(response.status)];
                return put(item).then(function () { return true; });
              }, function () { return false; });
            }
            return false; // a server error or a timeout: try again later
          }, function () { return false; }); // no network: stop, keep the order
        });
      });
      return chain;
    }).then(render, render).then(function () { sending = false; }, function () { sending = false; });
  }

  function patrolState() { // the kept patrol page may be older than a round started offline
    var form = document.getElementById("patrol-form");
    if (!form) return;
    var running = localStorage.getItem(PATROL) !== null || form.dataset.running === "1";
    if (localStorage.getItem(PATROL) === null && form.dataset.offlineEnded === "1") running = false;
    form.querySelectorAll("[data-when]").forEach(function (el) {
      el.hidden = (el.dataset.when === "running") !== running;
    });
  }

  function showNet() {
    if (!net) return;
    net.hidden = navigator.onLine;
    net.textContent = net.dataset.offline;
  }

  if (window.indexedDB) {
    document.querySelectorAll("form[data-queue]").forEach(function (form) {
      var keyInput = form.querySelector("input[name=client_key]");
      if (keyInput) keyInput.value = uuid(); // a kept page is used many times: a fresh key each time
      freshDays(form);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        queue(form, event.submitter);
      });
    });
    var household = new URLSearchParams(location.search).get("household");
    var pick = document.querySelector("select[name=household]");
    if (household && pick) pick.value = household;
    patrolState();
    render().then(send);
    window.addEventListener("online", function () { showNet(); send(); });
    window.addEventListener("offline", showNet);
    setInterval(function () { if (navigator.onLine) send(); }, 20000);
    showNet();
  }

  if ("serviceWorker" in navigator && root.dataset.sw) {
    navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () { root.dataset.offlineReady = "1"; }, function () { root.dataset.offlineReady = "0"; });
  }

  document.querySelectorAll("form[action$='/logout/']").forEach(function (form) {
    form.addEventListener("submit", function () {
      if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage("forget");
    });
  });
})();
