// Big-screen mode: refresh the live figures every minute without reloading the page.
(function () {
  var root = document.querySelector(".command[data-live-url]");
  if (!root) return;
  var every = parseInt(root.getAttribute("data-refresh") || "0", 10);
  if (!every) return;
  function update(data) {
    root.querySelectorAll("[data-live]").forEach(function (el) {
      var key = el.getAttribute("data-live");
      if (key in data) el.textContent = data[key];
    });
    root.querySelectorAll("[data-live-list]").forEach(function (list) {
      var items = data[list.getAttribute("data-live-list")] || {};
      while (list.firstChild) list.removeChild(list.firstChild);
      Object.keys(items).forEach(function (label) {
        var li = document.createElement("li");
        var span = document.createElement("span");
        span.textContent = label;
        var b = document.createElement("b");
        b.textContent = items[label];
        li.appendChild(span);
        li.appendChild(b);
        list.appendChild(li);
      });
    });
    root.setAttribute("data-refreshed", data.at || "");
  }
  function tick() {
    fetch(root.getAttribute("data-live-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) update(data); })
      .catch(function () { /* offline for a moment: keep the last figures */ });
  }
  document.body.classList.add("bigscreen-body");
  window.setInterval(tick, every * 1000);
  root.addEventListener("refresh-now", tick);
})();
