/* The page's side of working without signal (the worker is static/js/sw.js, served as
   /sw.js). For a signed-in person: registers the worker, tells it who is signed in and
   the page's CSRF token, asks it to send what waits when the page loads with signal and
   when the signal returns, shows "Waiting to send (n)" in the header (its data-count
   says the worker answered) and fills the /outbox page. Loaded only on pages for a
   signed-in person. Words come from the pages' data- attributes (translated there);
   without JavaScript none of this exists and the forms post as always. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  var badge = document.querySelector("[data-outbox]");
  var user = badge ? Number(badge.getAttribute("data-user")) : null;
  if (!user) return;

  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      return headers["x-csrftoken"] || null;
    } catch (error) {
      return null;
    }
  }

  var worker = navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () { return navigator.serviceWorker.ready; });

  function ask(message) {
    return worker.then(function (registration) {
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (event) { resolve(event.data || {}); };
        registration.active.postMessage(message, [channel.port2]);
      });
    });
  }

  // --- The header's count ---------------------------------------------------------------

  function show(entries) {
    if (!badge || !entries) return;
    badge.textContent = badge.getAttribute("data-label").replace("{count}", String(entries.length));
    badge.hidden = entries.length === 0;
    badge.setAttribute("data-count", String(entries.length));
    if (page) fill(entries);
  }

  navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.type === "outbox") show(event.data.entries);
  });

  // --- The /outbox page -------------------------------------------------------------------

  var page = document.querySelector("[data-outbox-page]");
  var list = page && page.querySelector("[data-outbox-list]");
  var status = page && page.querySelector("[data-outbox-status]");
  var kinds = page ? JSON.parse(page.getAttribute("data-kinds") || "{}") : {};
  if (page && /[?&]queued=1/.test(location.search)) document.querySelector("[data-outbox-queued]").hidden = false;

  function fill(entries) {
    document.querySelector("[data-outbox-empty]").hidden = entries.length > 0;
    page.hidden = entries.length === 0;
    list.textContent = "";
    var template = page.querySelector("[data-outbox-item]");
    entries.forEach(function (entry) {
      var item = template.content.firstElementChild.cloneNode(true);
      item.querySelector("[data-item-kind]").textContent = kinds[entry.kind] || entry.kind;
      var typed = new Date(entry.queuedAt).toLocaleString(document.documentElement.lang, { dateStyle: "medium", timeStyle: "short" });
      item.querySelector("[data-item-typed]").textContent = page.getAttribute("data-typed").replace("{when}", typed);
      item.querySelector("[data-item-state]").textContent = page.getAttribute(entry.refused ? "data-refused" : "data-waiting");
      var open = item.querySelector("[data-item-open]");
      open.hidden = !entry.refused;
      open.addEventListener("click", function () { reopen(entry.id); });
      item.querySelector("[data-item-discard]").addEventListener("click", function () {
        if (window.confirm(page.getAttribute("data-discard-confirm"))) ask({ type: "discard", id: entry.id }).then(function (reply) { show(reply.entries); });
      });
      list.appendChild(item);
    });
  }

  // A refused log goes back to its form as a plain post: the server answers with the form,
  // its messages next to the fields and what was typed; once it is saved, the next send
  // finds the log by its key and clears the entry.
  function reopen(id) {
    ask({ type: "fields", id: id }).then(function (entry) {
      if (!entry || !entry.path) return;
      var form = document.createElement("form");
      form.method = "post";
      form.action = entry.path;
      form.enctype = "multipart/form-data";
      form.hidden = true;
      var files = {};
      entry.fields.forEach(function (field) {
        var name = field[0], value = field[1];
        if (typeof value !== "string") {
          if (value.size) (files[name] = files[name] || []).push(value);
          return;
        }
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = name === "_csrf_token" ? (csrfToken() || value) : value;
        form.appendChild(input);
      });
      Object.keys(files).forEach(function (name) {
        var input = document.createElement("input");
        input.type = "file";
        input.name = name;
        input.multiple = true;
        var transfer = new DataTransfer();
        files[name].forEach(function (file) { transfer.items.add(file); });
        input.files = transfer.files;
        form.appendChild(input);
      });
      document.body.appendChild(form);
      form.submit();
    });
  }

  function send() {
    if (status) status.textContent = navigator.onLine ? page.getAttribute("data-sending") : page.getAttribute("data-offline");
    return ask({ type: "send" }).then(function (reply) {
      show(reply.entries);
      if (status) status.textContent = reply.entries && reply.entries.length && !navigator.onLine ? page.getAttribute("data-offline") : "";
    });
  }

  if (page) page.querySelector("[data-outbox-send]").addEventListener("click", send);

  // --- Telling the worker ----------------------------------------------------------------

  // The first requests after the signal returns often fail too: while logs wait for the
  // network and the page believes it is online, it asks again a few times, less often.
  var delays = [2000, 5000, 15000, 30000, 60000];
  var tries = 0;
  var retry = null;
  function answered(reply) {
    show(reply.entries);
    var waiting = (reply.entries || []).some(function (entry) { return !entry.refused; });
    window.clearTimeout(retry);
    if (waiting && navigator.onLine && tries < delays.length) {
      retry = window.setTimeout(function () { ask({ type: "send" }).then(answered); }, delays[tries++]);
    }
  }

  function hello() {
    return ask({ type: "hello", user: user, token: csrfToken(), online: navigator.onLine }).then(answered);
  }
  hello();
  window.addEventListener("online", function () {
    tries = 0;
    hello();
  });
})();
