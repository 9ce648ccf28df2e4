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

  // Dialogs: a server-rendered <dialog data-modal> opens as a modal when it arrives (focus
  // moves into it and stays there; Escape closes it) and gives focus back when it closes.
  var opener = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "modal") opener = document.activeElement;
  });
  function closeDialog(dialog) {
    if (dialog.open) dialog.close(); else dialog.remove();
  }
  document.addEventListener("htmx:load", function (event) {
    var root = event.detail && event.detail.elt;
    if (!root || !root.querySelectorAll) return;
    var dialogs = root.matches && root.matches("dialog[data-modal]") ? [root] : root.querySelectorAll("dialog[data-modal]");
    Array.prototype.forEach.call(dialogs, function (dialog) {
      if (!dialog.open && dialog.isConnected) dialog.showModal();
      dialog.addEventListener("close", function () {
        dialog.remove();
        // The opener may have been swapped out by the dialog's answer (the auto-signup
        // switch is): then its replacement, found by the same id, takes focus.
        var back = opener && (opener.isConnected ? opener : opener.id && document.getElementById(opener.id));
        if (back) back.focus();
      });
    });
    if (root.matches && root.matches("dialog[data-modal]")) updateSeats(root);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-close]");
    if (button) {
      var dialog = button.closest("dialog");
      if (dialog) closeDialog(dialog);
    }
  });
  // Tab and Shift+Tab cycle within an open modal dialog; without this, Tab from its last
  // control leaves the page for the browser's own toolbar.
  var FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex='-1'])";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") return;
    var dialog = document.querySelector("dialog[open]");
    if (!dialog) return;
    var controls = Array.prototype.filter.call(dialog.querySelectorAll(FOCUSABLE), function (el) {
      return !el.disabled && el.getClientRects().length > 0;
    });
    if (controls.length === 0) return;
    var first = controls[0], last = controls[controls.length - 1];
    var inside = dialog.contains(document.activeElement);
    if (event.shiftKey && (!inside || document.activeElement === first)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (!inside || document.activeElement === last)) {
      event.preventDefault();
      first.focus();
    }
  });
  document.addEventListener("closeModal", function () {
    document.querySelectorAll("dialog[data-modal]").forEach(closeDialog);
  });

  // Invite grid: the seat counters follow the ticked license boxes.
  function updateSeats(dialog) {
    dialog.querySelectorAll("[data-product][data-available]").forEach(function (item) {
      var id = item.getAttribute("data-product");
      var ticked = dialog.querySelectorAll('input[data-seat="' + id + '"]:checked').length;
      var left = parseInt(item.getAttribute("data-available"), 10) - ticked;
      var count = item.querySelector(".seat-count");
      if (count) count.textContent = String(left);
      item.classList.toggle("over", left < 0);
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[data-seat]")) {
      var dialog = event.target.closest("dialog");
      if (dialog) updateSeats(dialog);
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = event.detail.target && event.detail.target.closest && event.detail.target.closest("dialog");
    if (dialog) updateSeats(dialog);
  });
  document.addEventListener("htmx:afterSwap", function (event) { localizeTimes(event.target); });
})();
