/* civicgrid cases: the report, field and desk forms. Small and dependency-free.
   - "Use my location": the browser's geolocation (WGS84) into the hidden lng/lat fields, then the
     community and grid it lies in (cases:where) to pre-select the community.
   - Area pickers: a select with data-places loads the buildings (and their units) of the chosen
     area into #id_building and #id_unit (cases:places).
   - Photos: thumbnails, and a warning before sending when there are too many or too large ones.
   - One submit only: the button is disabled while sending (the hidden client key makes a retry
     safe anyway).
   - Copy buttons: [data-copy="<input id>"]; a read-only [data-select-on-focus] field selects itself.
   All texts come from data-* attributes written by the (translated) templates. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };

  function option(value, label) {
    var o = document.createElement("option");
    o.value = value; o.textContent = label;
    return o;
  }

  // --- building and unit pickers ---------------------------------------------------------------
  var areaSelect = document.querySelector("select[data-places]");
  var buildingSelect = $("id_building"), unitSelect = $("id_unit");
  var buildings = [];

  function fillUnits() {
    if (!unitSelect) return;
    var keep = unitSelect.value;
    unitSelect.textContent = "";
    unitSelect.appendChild(option("", unitSelect.dataset.empty || ""));
    var b = buildings.filter(function (x) { return String(x.id) === buildingSelect.value; })[0];
    (b ? b.units : []).forEach(function (u) { unitSelect.appendChild(option(u.id, u.name)); });
    unitSelect.value = keep;
    if (unitSelect.value !== keep) unitSelect.value = "";
  }

  function loadBuildings(keepSelection) {
    if (!areaSelect || !buildingSelect) return;
    var id = areaSelect.value;
    var keep = keepSelection ? buildingSelect.value : "";
    if (!id) { buildings = []; renderBuildings(""); return; }
    fetch(areaSelect.dataset.places + "?area=" + encodeURIComponent(id), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { buildings: [] }; })
      .then(function (data) { buildings = data.buildings || []; renderBuildings(keep); })
      .catch(function () { /* keep what the server rendered */ });
  }

  function renderBuildings(keep) {
    buildingSelect.textContent = "";
    buildingSelect.appendChild(option("", buildingSelect.dataset.empty || ""));
    buildings.forEach(function (b) { buildingSelect.appendChild(option(b.id, b.name)); });
    buildingSelect.value = keep;
    if (buildingSelect.value !== keep) buildingSelect.value = "";
    fillUnits();
  }

  if (areaSelect && buildingSelect) {
    areaSelect.addEventListener("change", function () { loadBuildings(false); });
    buildingSelect.addEventListener("change", fillUnits);
    if (areaSelect.value) loadBuildings(true);
  }

  // --- "Use my location" -------------------------------------------------------------------------
  var locate = $("locate-btn"), status = $("locate-status");
  function say(text, cls) {
    if (!status) return;
    status.textContent = text;
    status.className = "status" + (cls ? " " + cls : "");
  }
  if (locate && "geolocation" in navigator && $("id_lng")) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      say(status.dataset.finding);
      locate.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        locate.disabled = false;
        var lng = pos.coords.longitude.toFixed(6), lat = pos.coords.latitude.toFixed(6);
        $("id_lng").value = lng; $("id_lat").value = lat;
        var found = status.dataset.found;
        if (pos.coords.accuracy) found += " (" + status.dataset.accuracy.replace("{m}", Math.round(pos.coords.accuracy)) + ")";
        say(found, "ok");
        var where = areaSelect && areaSelect.dataset.where;
        if (!where) return;
        fetch(where + "?lng=" + lng + "&lat=" + lat, { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            if (!data.found) { say(found + " · " + status.dataset.outside, "bad"); return; }
            say(found + ": " + data.community.name + " · " + data.grid, "ok");
            if (data.community.id && areaSelect.value !== String(data.community.id)) {
              areaSelect.value = String(data.community.id);
              loadBuildings(false);
            }
          })
          .catch(function () {});
      }, function (err) {
        locate.disabled = false;
        say(err && err.code === 1 ? status.dataset.denied : status.dataset.failed, "bad");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  // --- photos ----------------------------------------------------------------------------------------
  var photos = $("id_photos"), previews = $("photo-previews"), pickText = $("photo-pick-text");
  if (photos && previews) {
    var original = pickText ? pickText.textContent : "";
    photos.addEventListener("change", function () {
      previews.textContent = "";
      var files = Array.prototype.slice.call(photos.files || []);
      var max = parseInt(photos.dataset.max || "6", 10), maxBytes = parseInt(photos.dataset.maxBytes || "8", 10) * 1024 * 1024;
      var problems = [];
      if (files.length > max) problems.push(photos.dataset.tooMany);
      files.forEach(function (f) {
        var li = document.createElement("li");
        if (/^image\//.test(f.type) && window.URL && URL.createObjectURL) {
          var img = document.createElement("img");
          img.alt = f.name; img.src = URL.createObjectURL(f);
          li.appendChild(img);
        } else {
          li.textContent = f.name;
        }
        if (f.size > maxBytes && problems.indexOf(photos.dataset.tooBig) < 0) problems.push(photos.dataset.tooBig);
        previews.appendChild(li);
      });
      if (pickText) pickText.textContent = files.length ? pickText.dataset.chosen.replace("{n}", files.length) : original;
      photos.setCustomValidity(problems.join(" "));
      if (problems.length) photos.reportValidity && photos.reportValidity();
    });
  }

  // --- one submit ----------------------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("form[data-sending]"), function (form) {
    form.addEventListener("submit", function (e) {
      var button = e.submitter || form.querySelector("button[type=submit]");
      if (form.dataset.sent) { e.preventDefault(); return; }
      form.dataset.sent = "1";
      if (button) {
        setTimeout(function () { button.disabled = true; button.textContent = form.dataset.sending; }, 0);
      }
    });
  });

  // --- parts shown for one choice only: data-show-when="<radio name>=<value>" ----------------------
  var toggles = document.querySelectorAll("[data-show-when]");
  function applyToggles() {
    Array.prototype.forEach.call(toggles, function (el) {
      var rule = el.dataset.showWhen.split("=");
      var checked = document.querySelector("input[name='" + rule[0] + "']:checked");
      el.hidden = !checked || checked.value !== rule[1];
    });
  }
  if (toggles.length) {
    document.addEventListener("change", function (e) { if (e.target.type === "radio") applyToggles(); });
    applyToggles();
  }

  // --- copy buttons --------------------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var input = $(button.dataset.copy);
      if (!input) return;
      input.select();
      var done = function () { button.textContent = button.dataset.copied; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy"); done();
      }
    });
  });

  // The page's Content-Security-Policy allows no inline handlers: behaviours are attached here.
  Array.prototype.forEach.call(document.querySelectorAll("[data-select-on-focus]"), function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
