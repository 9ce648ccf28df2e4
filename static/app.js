// Gatehouse: the few lines of script the console needs beside htmx. No inline script anywhere
// (the CSP forbids it), so behaviour hangs off events and data attributes.
(function () {
  "use strict";

  function toast(kind, message) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var item = document.createElement("div");
    item.className = "toast " + (kind === "error" ? "error" : kind === "info" ? "info" : "success");
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
  // A second message beside the toast (the last seat of a product was just taken, say).
  document.addEventListener("notice", function (event) {
    var detail = event.detail || {};
    toast("info", detail.message);
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

  // ...and move on while the page stays open: each <time data-age> was that many seconds old
  // when the server made it, so its text follows this tab's clock from then (the same rules
  // as relative_time in src/users/views.rs), without trusting the two clocks to agree.
  function ago(seconds) {
    function plural(n, unit) { return n + " " + unit + (n === 1 ? "" : "s") + " ago"; }
    if (seconds < 60) return "Just now";
    if (seconds < 3600) return plural(Math.floor(seconds / 60), "minute");
    if (seconds < 86400) return plural(Math.floor(seconds / 3600), "hour");
    if (seconds < 86400 * 30) return plural(Math.floor(seconds / 86400), "day");
    if (seconds < 86400 * 365) return plural(Math.floor(seconds / (86400 * 30)), "month");
    return plural(Math.floor(seconds / (86400 * 365)), "year");
  }
  var madeAt = new WeakMap();
  function ageTimes() {
    var now = Date.now();
    document.querySelectorAll("time[data-age]").forEach(function (el) {
      if (!madeAt.has(el)) {
        madeAt.set(el, now - 1000 * Number(el.getAttribute("data-age")));
        return;
      }
      var text = ago(Math.floor((now - madeAt.get(el)) / 1000));
      if (el.textContent !== text) el.textContent = text;
    });
  }
  document.addEventListener("DOMContentLoaded", ageTimes);
  document.addEventListener("htmx:afterSettle", ageTimes);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) ageTimes(); });
  setInterval(ageTimes, 20000);

  // Dialogs: a server-rendered <dialog data-modal> opens as a modal when it arrives (focus
  // moves into it and stays there; Escape closes it) and gives focus back when it closes.
  var opener = null, restore = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "modal") opener = focusTarget(document.activeElement);
  });
  // A row menu's items are hidden once it closes: focus goes back to its summary instead.
  function focusTarget(el) {
    var menu = el && el.closest && el.closest("details.row-menu");
    return menu ? menu.querySelector("summary") : el;
  }
  // The element itself, or, when an answer replaced it, its replacement (same id, or same
  // tag and accessible name: the summary of a row that was re-rendered).
  function findAgain(el) {
    if (!el) return null;
    if (el.isConnected) return el;
    if (el.id) return document.getElementById(el.id);
    var label = el.getAttribute("aria-label");
    return label ? document.querySelector(el.tagName.toLowerCase() + '[aria-label="' + CSS.escape(label) + '"]') : null;
  }
  // A dialog's answer may re-render the list after the dialog closed (usersChanged): focus
  // lost with the old rows goes to the opener's replacement, until the person does anything.
  document.addEventListener("htmx:afterSettle", function () {
    var active = document.activeElement;
    if (!restore || (active && active !== document.body)) return;
    var back = findAgain(restore);
    if (back) { back.focus(); restore = null; }
  });
  function forgetRestore() { restore = null; }
  document.addEventListener("pointerdown", forgetRestore, true);
  document.addEventListener("keydown", forgetRestore, true);
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
        // switch is): then its replacement takes focus.
        var back = findAgain(opener);
        if (back) back.focus();
        restore = opener;
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
  // Add another follows them too: a new invitee needs a license, so it is offered only
  // while some product has a seat left after the ticks.
  function updateSeats(dialog) {
    var anyLeft = false;
    dialog.querySelectorAll("[data-product][data-available]").forEach(function (item) {
      var id = item.getAttribute("data-product");
      var ticked = dialog.querySelectorAll('input[data-seat="' + id + '"]:checked').length;
      var left = parseInt(item.getAttribute("data-available"), 10) - ticked;
      var count = item.querySelector(".seat-count");
      if (count) count.textContent = String(left);
      item.classList.toggle("over", left < 0);
      if (left > 0) anyLeft = true;
    });
    var slot = dialog.querySelector("#add-row-slot");
    if (!slot) return;
    var room = slot.getAttribute("data-room") === "true";
    var add = slot.querySelector("[data-add-row]");
    var none = slot.querySelector("[data-no-seats]");
    if (add) add.hidden = !(room && anyLeft);
    if (none) none.hidden = !(room && !anyLeft);
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

  // Presence: one live connection per browser while any console tab is open (Web Locks
  // elect the tab that holds it; a BroadcastChannel passes what it hears to the others, so
  // many tabs never use up the browser's connections). It makes this person online and moves
  // the green dots of User Management rows.
  function setOnline(id, online) {
    var row = document.getElementById("user-" + id);
    var dot = row && row.querySelector(".presence");
    if (!dot) return;
    dot.classList.toggle("online", online);
    var person = row.querySelector(".person");
    var label = person && person.querySelector(".visually-hidden");
    if (online && !label && person) {
      label = document.createElement("span");
      label.className = "visually-hidden";
      label.textContent = "(online)";
      person.appendChild(label);
    } else if (!online && label) {
      label.remove();
    }
  }
  function applyPresence(data) {
    if (!data) return;
    if (Array.isArray(data.online)) {
      var ids = {};
      data.online.forEach(function (id) { ids[id] = true; });
      document.querySelectorAll("tr[id^='user-']").forEach(function (row) {
        var id = row.id.slice(5);
        setOnline(id, !!ids[id]);
      });
    } else if (data.user) {
      setOnline(data.user, !!data.online);
    }
  }
  function startPresence() {
    var url = document.body && document.body.getAttribute("data-presence");
    if (!url || !window.EventSource) return;
    var channel = window.BroadcastChannel ? new BroadcastChannel("gatehouse-presence") : null;
    if (channel) channel.onmessage = function (event) { applyPresence(event.data); };
    function connect() {
      // The lock is held as long as this promise is pending: for the tab's life, or until
      // the session ends and another tab may try.
      return new Promise(function (release) {
        var source = new EventSource(url);
        source.addEventListener("presence", function (event) {
          var data = JSON.parse(event.data);
          applyPresence(data);
          if (channel) channel.postMessage(data);
        });
        // Signed out, or replaced by a newer connection of this browser: stop, do not
        // reconnect (another tab waiting for the lock may take over).
        source.addEventListener("end", function () { source.close(); release(); });
        source.addEventListener("error", function () {
          if (source.readyState === EventSource.CLOSED) release();
        });
      });
    }
    if (channel && navigator.locks) navigator.locks.request("gatehouse-presence", connect);
    else connect();
  }
  document.addEventListener("DOMContentLoaded", startPresence);

  // Activity live mode: new events of the current filter appear at the top of the first page.
  var activity = null;
  function activityLive() {
    var table = document.getElementById("activity-table");
    var wanted = !!(table && table.hasAttribute("data-live") && table.hasAttribute("data-first-page") && window.EventSource);
    var key = wanted ? table.getAttribute("data-stream") : null;
    if (activity && activity.key !== key) {
      activity.source.close();
      activity = null;
    }
    var status = table && table.querySelector(".live-status");
    if (!wanted) {
      if (status && table.hasAttribute("data-live")) status.textContent = "Live mode shows new events on the newest page.";
      return;
    }
    if (activity) return;
    var since = table.getAttribute("data-since") || "0";
    var source = new EventSource(key + (key.indexOf("?") < 0 ? "?" : "&") + "since=" + encodeURIComponent(since));
    activity = { key: key, source: source };
    function say(text) {
      var current = document.querySelector("#activity-table .live-status");
      if (current) current.textContent = text;
    }
    source.addEventListener("open", function () { say("Live: new events appear at the top."); });
    source.addEventListener("error", function () { say("Live: reconnecting…"); });
    source.addEventListener("end", function (event) {
      source.close();
      say(event.data === "no-access" ? "Live stopped: you no longer have access to Activity."
        : event.data === "replaced" ? "Live stopped: newer console pages took this one's place. Reload to resume."
        : "Live stopped: you are signed out.");
    });
    // Thousands of events behind (a long sleep): the newest page again, live from there.
    source.addEventListener("stale", function () {
      source.close();
      activity = null;
      var current = document.getElementById("activity-table");
      if (current && window.htmx) {
        htmx.ajax("GET", window.location.pathname + window.location.search, { target: "#activity-table", swap: "outerHTML" });
      }
    });
    source.addEventListener("activity", function (event) {
      var current = document.getElementById("activity-table");
      var body = current && current.querySelector("tbody");
      if (!body || document.getElementById("event-" + event.lastEventId)) return;
      var template = document.createElement("template");
      template.innerHTML = event.data.trim();
      var row = template.content.firstElementChild;
      if (!row) return;
      row.classList.add("fresh");
      body.insertBefore(row, body.firstChild);
      current.querySelector("table").hidden = false;
      var empty = current.querySelector(".empty-state");
      if (empty) empty.remove();
      localizeTimes(row);
      ageTimes();
    });
  }
  document.addEventListener("DOMContentLoaded", activityLive);
  document.addEventListener("htmx:afterSwap", activityLive);

  // Pages can hide what needs script (the bulk actions bar) when script is off.
  document.documentElement.classList.add("js");

  // Edit User: switching Active off on an active user asks to Confirm at once (the
  // server asks after Save when script is off); switching it back on withdraws the question.
  document.addEventListener("change", function (event) {
    var toggle = event.target;
    if (!toggle.matches || !toggle.matches("input[data-deactivates]")) return;
    var form = toggle.form;
    if (!form) return;
    var asking = !toggle.checked;
    form.querySelectorAll("[data-deactivate-confirm]").forEach(function (el) { el.hidden = !asking; });
    form.querySelectorAll("[data-save]").forEach(function (el) { el.hidden = asking; });
    var confirmed = form.querySelector("input[name=confirmed]");
    if (confirmed) confirmed.disabled = !asking;
  });

  // Row menus: one open at a time; closed by a choice, a click elsewhere, or Escape.
  function closeMenus(except) {
    document.querySelectorAll("details.row-menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  // An open menu is placed in the viewport, below its summary or above it where there is no
  // room below: inside the list's scroll box (overflow-x: auto) it would be cut off when the
  // list is short.
  function placeMenu(menu) {
    var items = menu.querySelector(".menu-items"), summary = menu.querySelector("summary");
    if (!items || !summary) return;
    var at = summary.getBoundingClientRect();
    items.style.position = "fixed";
    items.style.right = "auto";
    items.style.bottom = "auto";
    var height = items.offsetHeight, width = items.offsetWidth;
    var below = at.bottom + 4 + height <= window.innerHeight;
    items.style.top = (below ? at.bottom + 4 : Math.max(4, at.top - 4 - height)) + "px";
    items.style.left = Math.max(4, Math.min(at.right - width, window.innerWidth - width - 4)) + "px";
  }
  // The items stay invisible (app.css) until placed: the toggle event comes after the browser
  // may have painted them once where the stylesheet puts them.
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.matches || !menu.matches("details.row-menu")) return;
    var items = menu.querySelector(".menu-items");
    if (menu.open) {
      closeMenus(menu);
      placeMenu(menu);
      if (items) items.classList.add("placed");
    } else if (items) {
      items.classList.remove("placed");
    }
  }, true);
  function placeOpenMenus() { document.querySelectorAll("details.row-menu[open]").forEach(placeMenu); }
  window.addEventListener("scroll", placeOpenMenus, true);
  window.addEventListener("resize", placeOpenMenus);
  document.addEventListener("click", function (event) {
    var menu = event.target.closest && event.target.closest("details.row-menu");
    if (!menu) { closeMenus(null); return; }
    if (event.target.closest(".menu-items button, .menu-items a")) menu.removeAttribute("open");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.row-menu[open]");
    if (open) { open.removeAttribute("open"); var summary = open.querySelector("summary"); if (summary) summary.focus(); }
  });

  // Bulk selection: the page's checkbox ticks every row; the bar counts what is selected.
  function bulkCount() {
    var counter = document.querySelector("[data-bulk-count]");
    if (!counter) return;
    var all = document.querySelector("#bulk-all strong");
    if (all && document.querySelector('#bulk-all input[name="all_matching"]')) {
      counter.textContent = "All " + all.textContent;
      document.querySelectorAll('input[name="ids"][form="bulk-form"], #select-page').forEach(function (box) { box.checked = true; });
      return;
    }
    counter.textContent = String(document.querySelectorAll('input[name="ids"][form="bulk-form"]:checked').length);
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-page") {
      document.querySelectorAll('input[name="ids"][form="bulk-form"]').forEach(function (box) { box.checked = target.checked; });
    }
    if (target.id === "select-page" || (target.name === "ids" && target.getAttribute("form") === "bulk-form")) bulkCount();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-bulk-clear]")) {
      document.body.dispatchEvent(new CustomEvent("usersChanged"));
    }
  });
  document.addEventListener("htmx:afterSettle", bulkCount);

  // A chosen file fills the textarea it names (the import posts the text, so it also works
  // by pasting without script).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-fills]") || !input.files || !input.files[0]) return;
    var target = document.getElementById(input.getAttribute("data-fills"));
    var reader = new FileReader();
    reader.onload = function () { if (target) target.value = String(reader.result); };
    reader.readAsText(input.files[0]);
  });

  // Group pickers (Edit User): ticking a group moves it to Selected, unticking back to
  // Available, in name order and keeping focus on the box; the search box narrows Available.
  function pickerSorted(list, item) {
    var name = item.textContent.trim().toLowerCase();
    var before = Array.prototype.find.call(list.children, function (other) {
      return other.textContent.trim().toLowerCase() > name;
    });
    list.insertBefore(item, before || null);
  }
  function pickerFilter(picker) {
    var search = picker.querySelector("[data-picker-search]");
    var wanted = search ? search.value.trim().toLowerCase() : "";
    picker.querySelectorAll("[data-picker-available] li").forEach(function (item) {
      item.hidden = wanted !== "" && item.textContent.toLowerCase().indexOf(wanted) < 0;
    });
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    var picker = box.closest && box.closest("[data-picker]");
    if (!picker || box.type !== "checkbox") return;
    var to = picker.querySelector(box.checked ? "[data-picker-selected]" : "[data-picker-available]");
    var item = box.closest("li");
    if (!to || !item) return;
    pickerSorted(to, item);
    box.focus();
    var none = picker.querySelector("[data-picker-none]");
    if (none) none.hidden = picker.querySelector("[data-picker-selected] li") !== null;
    pickerFilter(picker);
  });
  document.addEventListener("input", function (event) {
    var search = event.target;
    if (!search.matches || !search.matches("[data-picker-search]")) return;
    var picker = search.closest("[data-picker]");
    if (picker) pickerFilter(picker);
  });
  // Edit User: Supervisor chat access shows while the Supervisor role is ticked.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-supervisor]") || !box.form) return;
    box.form.querySelectorAll("[data-supervisor-only]").forEach(function (el) { el.hidden = !box.checked; });
  });

  // Enter in a picker's search box narrows the list; it does not save the dialog.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches("[data-picker-search]")) event.preventDefault();
  });

  // User fields with a show-when rule appear while the field they name holds the value (the
  // server ignores a hidden field's input, so without script every field shows).
  function fieldHolds(form, name, wanted) {
    var box = form.querySelector('[data-field="' + name + '"]');
    if (!box || box.hidden) return false;
    var want = (wanted || "").toLowerCase();
    if (box.getAttribute("data-kind") === "checkbox") {
      var tick = box.querySelector('input[type="checkbox"]');
      return (tick && tick.checked ? "yes" : "no") === want;
    }
    var held = [];
    box.querySelectorAll("input, select").forEach(function (input) {
      if (input.type === "hidden") return;
      if ((input.type === "checkbox" || input.type === "radio") && !input.checked) return;
      held.push((input.value || "").toLowerCase());
    });
    return held.indexOf(want) !== -1;
  }
  function applyShowWhen(form) {
    var boxes = form.querySelectorAll("[data-show-when]");
    // A chain (A shows B shows C) settles in as many passes as it is long.
    for (var pass = 0; pass <= boxes.length; pass++) {
      var moved = false;
      boxes.forEach(function (box) {
        var shown = fieldHolds(form, box.getAttribute("data-show-when"), box.getAttribute("data-show-value"));
        if (box.hidden === shown) { box.hidden = !shown; moved = true; }
      });
      if (!moved) break;
    }
  }
  // Bulk actions: the Value box shows for Set field only.
  function bulkValue(select) {
    var box = select.form && select.form.querySelector("[data-bulk-value]");
    if (box) box.hidden = (select.value || "").indexOf("field_set:") !== 0;
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "bulk-action") bulkValue(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("bulk-action");
    if (select) bulkValue(select);
  });

  // Settings → User fields: inputs that apply to some types only (options for a choice…).
  function applyKinds(form) {
    var select = form.querySelector("[data-field-kind]");
    if (!select) return;
    form.querySelectorAll("[data-kinds]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kinds").split(" ").indexOf(select.value) === -1;
    });
  }
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form) return;
    if (event.target.name && event.target.name.indexOf("field.") === 0) applyShowWhen(form);
    if (event.target.matches && event.target.matches("[data-field-kind]")) applyKinds(form);
  });
  document.addEventListener("htmx:load", function (event) {
    var root = event.detail.elt;
    if (!root.querySelectorAll) return;
    root.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-show-when]")) applyShowWhen(form);
      applyKinds(form);
    });
  });
})();
