// Gatehouse: the few lines of script the console needs beside htmx. No inline script anywhere
// (the CSP forbids it), so behaviour hangs off events and data attributes.
(function () {
  "use strict";

  function toast(kind, message) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var item = document.createElement("div");
    item.className = "toast " + (kind === "error" ? "error" : "success");
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    item.textContent = message;
    box.appendChild(item);
    setTimeout(function () { item.classList.add("leaving"); }, 4500);
    setTimeout(function () { item.remove(); }, 5000);
  }

  // Servers trigger toasts with `HX-Trigger: {"toast": {"kind": "...", "message": "..."}}`.
  document.addEventListener("toast", function (event) {
    var detail = event.detail || {};
    toast(detail.kind, detail.message);
  });

  // A request that failed without a server answer (network down, server gone).
  document.addEventListener("htmx:sendError", function () {
    toast("error", "The server could not be reached. Check your connection and try again.");
  });

  // Show the loading bar only for requests slower than ~300 ms.
  var pending = 0, timer = null;
  document.addEventListener("htmx:beforeRequest", function () {
    pending += 1;
    if (!timer) timer = setTimeout(function () { document.body.classList.add("loading"); }, 300);
  });
  document.addEventListener("htmx:afterRequest", function () {
    pending = Math.max(0, pending - 1);
    if (pending === 0) {
      clearTimeout(timer);
      timer = null;
      document.body.classList.remove("loading");
    }
  });

  // Relative times show the exact moment in the viewer's own timezone on hover.
  function localizeTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      var value = el.getAttribute("datetime");
      var parsed = Date.parse(value.replace(" UTC", "Z").replace(" ", "T"));
      if (!isNaN(parsed)) el.title = new Date(parsed).toLocaleString();
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localizeTimes(document); });
  document.addEventListener("htmx:afterSwap", function (event) { localizeTimes(event.target); });
})();
