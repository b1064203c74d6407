/* civicgrid cases: "already reported — follow that one instead?" on the report page.
   After the resident has typed (and whenever the place changes) the page asks cases:similar for
   open public cases like theirs and lists them, each with a one-click follow (a POST to
   cases:follow_existing with the page's CSRF token). Texts come from data-* attributes. */
(function () {
  "use strict";
  var box = document.getElementById("similar-cases");
  var form = document.getElementById("report-form");
  if (!box || !form || !window.fetch) return;
  var fields = ["id_description", "id_community", "id_building", "id_unit", "id_address", "id_lng", "id_lat"];
  var timer = null, last = "";

  function value(id) { var el = document.getElementById(id); return el ? el.value : ""; }

  function query() {
    var p = new URLSearchParams();
    p.set("description", value("id_description"));
    p.set("community", value("id_community"));
    p.set("building", value("id_building"));
    p.set("unit", value("id_unit"));
    p.set("address", value("id_address"));
    p.set("lng", value("id_lng"));
    p.set("lat", value("id_lat"));
    return p.toString();
  }

  function csrf() {
    var el = form.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }

  function render(cases) {
    box.textContent = "";
    if (!cases.length) { box.hidden = true; return; }
    var h = document.createElement("h2"); h.textContent = box.dataset.title; box.appendChild(h);
    var help = document.createElement("p"); help.className = "help"; help.textContent = box.dataset.help; box.appendChild(help);
    var ul = document.createElement("ul"); ul.className = "similar-list";
    cases.forEach(function (c) {
      var li = document.createElement("li"); li.className = "similar-case"; li.dataset.case = c.id;
      var t = document.createElement("p"); t.className = "quote"; t.textContent = c.text; li.appendChild(t);
      var m = document.createElement("p"); m.className = "muted small";
      m.textContent = c.ref + " · " + c.stage + " · " + box.dataset.reported + " " + c.reported; li.appendChild(m);
      var f = document.createElement("form"); f.method = "post"; f.action = c.follow;
      var tok = document.createElement("input"); tok.type = "hidden"; tok.name = "csrfmiddlewaretoken"; tok.value = csrf();
      var mail = document.createElement("input"); mail.type = "hidden"; mail.name = "email"; mail.value = value("id_contact_email");
      var b = document.createElement("button"); b.type = "submit"; b.className = "button follow-instead"; b.textContent = box.dataset.follow;
      f.appendChild(tok); f.appendChild(mail); f.appendChild(b); li.appendChild(f);
      ul.appendChild(li);
    });
    box.appendChild(ul);
    box.hidden = false;
  }

  function ask() {
    if (value("id_description").trim().length < 4) { render([]); return; }
    var q = query();
    if (q === last) return;
    last = q;
    fetch(box.dataset.url + "?" + q, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { cases: [] }; })
      .then(function (data) { if (q === last) render(data.cases || []); })
      .catch(function () {});
  }

  function later() { clearTimeout(timer); timer = setTimeout(ask, 500); }
  fields.forEach(function (id) {
    var el = document.getElementById(id);
    if (!el) return;
    el.addEventListener("input", later);
    el.addEventListener("change", later);
  });
  if (value("id_description")) later();
})();
