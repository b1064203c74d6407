// Deliberation pages: ask before actions that cannot be undone (declining a topic, closing a vote
// or a meeting). Forms opt in with data-confirm="…"; no inline script (strict CSP).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
// "Select all present" on the meeting's attendance list.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-check-all]");
  if (!button) return;
  event.preventDefault();
  var boxes = document.querySelectorAll(button.getAttribute("data-check-all"));
  boxes.forEach(function (box) { box.checked = true; });
});
