/* The portal's service worker, served as /sw.js after the CONFIG line the server writes
   (portal/webapp/routes.py: version, shell, pages, outbox).

   - Static files asked for by their content's hash (?v=): from the cache first.
   - The pages in CONFIG.pages (home, My shifts, the log forms, the outbox): from the
     network, kept for when there is none (a kept form gets a new idempotency key each
     time). Pages are the signed-in person's: they are dropped at logout and when a page
     says someone else is signed in.
   - A log posted (CONFIG.outbox) when the network is down is kept in IndexedDB, photos
     as blobs, and the person is sent to /outbox. It is sent again when a page says the
     connection is back (load, "online"), on "Send now", or by Background Sync where the
     browser has it. Its idempotency key makes the server keep one log however many
     times it arrives; the entry is removed once the server points to that log. */
"use strict";

const STATIC_CACHE = "static-" + CONFIG.version;
const PAGES_CACHE = "pages-" + CONFIG.version;
const OUTBOX_PATH = new RegExp(CONFIG.outbox);
const SENT = /^\/logs\/\d+/;
const WARM_EVERY_MS = 15 * 60 * 1000;

// --- IndexedDB: the outbox and a few facts (who is signed in, their CSRF token) ---------

function database() {
  return new Promise(function (resolve, reject) {
    const opening = indexedDB.open("shouwang-offline", 1);
    opening.onupgradeneeded = function () {
      opening.result.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
      opening.result.createObjectStore("meta");
    };
    opening.onsuccess = function () { resolve(opening.result); };
    opening.onerror = function () { reject(opening.error); };
  });
}

async function store(name, mode, work) {
  const db = await database();
  return new Promise(function (resolve, reject) {
    const transaction = db.transaction(name, mode);
    const request = work(transaction.objectStore(name));
    transaction.oncomplete = function () { db.close(); resolve(request && request.result); };
    transaction.onerror = transaction.onabort = function () { db.close(); reject(transaction.error); };
  });
}

const meta = {
  get: function (key) { return store("meta", "readonly", function (s) { return s.get(key); }); },
  set: function (key, value) { return store("meta", "readwrite", function (s) { return s.put(value, key); }); },
};

function entries() { return store("outbox", "readonly", function (s) { return s.getAll(); }); }
function putEntry(entry) { return store("outbox", "readwrite", function (s) { return s.put(entry); }); }
function dropEntry(id) { return store("outbox", "readwrite", function (s) { return s.delete(id); }); }

async function mine() {
  const user = await meta.get("user");
  return (await entries()).filter(function (entry) { return user && entry.user === user; });
}

// What a page shows of an entry: never its text or photos.
function summary(entry) {
  return { id: entry.id, kind: entry.kind, queuedAt: entry.queuedAt, refused: !!entry.refused };
}

async function tellPages() {
  const waiting = (await mine()).map(summary);
  const pages = await self.clients.matchAll({ type: "window" });
  pages.forEach(function (page) { page.postMessage({ type: "outbox", entries: waiting }); });
}

// --- Installing and cleaning up ----------------------------------------------------------

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) { return cache.addAll(CONFIG.shell); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil((async function () {
    const names = await caches.keys();
    await Promise.all(names.filter(function (name) { return name !== STATIC_CACHE && name !== PAGES_CACHE; }).map(function (name) { return caches.delete(name); }));
    await meta.set("warmedAt", 0);
    await self.clients.claim();
  })());
});

// --- Answering requests --------------------------------------------------------------------

self.addEventListener("fetch", function (event) {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && OUTBOX_PATH.test(url.pathname)) {
    event.respondWith(postLog(request));
  } else if (request.method === "POST" && url.pathname === "/logout") {
    event.respondWith(fetch(request).then(async function (response) {
      await forget();
      return response;
    }));
  } else if (request.method === "GET" && url.pathname.startsWith("/static/") && url.searchParams.has("v")) {
    event.respondWith(fromCacheFirst(request));
  } else if (request.method === "GET" && request.mode === "navigate" && CONFIG.pages.indexOf(url.pathname) >= 0) {
    event.respondWith(fromNetworkFirst(request, url.pathname));
  }
});

async function fromCacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const copy = response.clone();
    caches.open(STATIC_CACHE).then(function (cache) { return cache.put(request, copy); });
  }
  return response;
}

function keepable(response) {
  return response.ok && !response.redirected && (response.headers.get("content-type") || "").startsWith("text/html");
}

async function fromNetworkFirst(request, path) {
  try {
    const response = await fetch(request);
    if (keepable(response)) {
      const copy = response.clone();
      caches.open(PAGES_CACHE).then(function (cache) { return cache.put(path, copy); });
    }
    return response;
  } catch (offline) {
    const cached = await caches.match(path, { cacheName: PAGES_CACHE });
    if (cached) return withNewKeys(cached);
    throw offline;
  }
}

// A kept log form carries the key of the day it was kept: every opening without signal
// gets a key of its own, or the server would keep only the first of two logs typed on it.
// (A form the server sends keeps its key: a refused one comes back with the key it had.)
async function withNewKeys(cached) {
  const html = (await cached.text()).replace(/<input\b[^>]*\bname="idempotency_key"[^>]*>/g, function (tag) {
    return tag.replace(/\bvalue="[^"]*"/, 'value="' + self.crypto.randomUUID() + '"');
  });
  return new Response(html, { status: cached.status, statusText: cached.statusText, headers: cached.headers });
}

async function postLog(request) {
  const copy = request.clone();
  try {
    return await fetch(request);
  } catch (offline) {
    const form = await copy.formData();
    const fields = [];
    form.forEach(function (value, name) { fields.push([name, value]); });
    const path = new URL(request.url).pathname;
    await putEntry({
      user: await meta.get("user"),
      path: path,
      kind: path.split("/").pop(),
      key: form.get("idempotency_key") || "",
      fields: fields,
      queuedAt: Date.now(),
      refused: false,
    });
    await tellPages();
    if (self.registration.sync) self.registration.sync.register("outbox").catch(function () {});
    const next = "/outbox?queued=1";
    if (request.headers.get("HX-Request") === "true") {
      return new Response("", { status: 200, headers: { "HX-Redirect": next } });
    }
    return Response.redirect(next, 303);
  }
}

// --- Sending what waits ----------------------------------------------------------------

let sending = null;
let askedAgain = false;

// One round at a time; a request that comes during a round gets one more round after it
// (a log corrected meanwhile, say), and waits for it.
function sendWaiting() {
  if (sending) {
    askedAgain = true;
    return sending;
  }
  sending = (async function () {
    let reachable;
    do {
      askedAgain = false;
      reachable = await sendAll();
    } while (askedAgain && reachable);
    return reachable;
  })().finally(function () { sending = null; });
  return sending;
}

// Sends the signed-in person's entries one by one; true when none is left waiting for
// the network (refused ones stay until they are corrected or deleted).
async function sendAll() {
  const token = await meta.get("token");
  let reachable = true;
  for (const entry of await mine()) {
    const body = new FormData();
    entry.fields.forEach(function (field) { body.append(field[0], field[1]); });
    // The token of the page that asked: the one typed in the form may be of an older session.
    const headers = { "HX-Request": "true" };
    if (token) headers["x-csrftoken"] = token;
    let response;
    try {
      response = await fetch(entry.path, { method: "POST", body: body, headers: headers, credentials: "same-origin" });
    } catch (offline) {
      reachable = false;
      break;
    }
    if (SENT.test(response.headers.get("HX-Redirect") || "")) {
      await dropEntry(entry.id);
    } else if (response.status === 422) {
      entry.refused = true;
      await putEntry(entry);
    } else {
      break; // signed out, refused for now, or the server is unwell: try again later
    }
  }
  await tellPages();
  return reachable;
}

self.addEventListener("sync", function (event) {
  if (event.tag !== "outbox") return;
  event.waitUntil(sendWaiting().then(function (reachable) {
    if (!reachable) throw new Error("still offline"); // the browser tries again later
  }));
});

// --- What pages ask -------------------------------------------------------------------

let warming = null;

async function keepPages() {
  const cache = await caches.open(PAGES_CACHE);
  const statics = await caches.open(STATIC_CACHE);
  for (const path of CONFIG.pages) {
    let response;
    try {
      response = await fetch(path, { credentials: "same-origin" });
    } catch (offline) {
      return;
    }
    if (!keepable(response)) continue;
    const html = await response.clone().text();
    await cache.put(path, response);
    // The page's own scripts and styles, so that it works as it did with signal.
    const wanted = html.match(/(?:src|href)="\/static\/[^"]+"/g) || [];
    for (const attribute of wanted) {
      const address = attribute.slice(attribute.indexOf('"') + 1, -1).replace(/&amp;/g, "&");
      if (!(await statics.match(address))) await statics.add(address).catch(function () {});
    }
  }
  await meta.set("warmedAt", Date.now());
}

// Logged out: the pages kept for that person go (what waits to be sent stays, for them).
async function forget() {
  await caches.delete(PAGES_CACHE);
  await meta.set("warmedAt", 0);
  await meta.set("user", null);
  await meta.set("token", null);
}

async function hello(message) {
  const user = message.user || null;
  if (user !== (await meta.get("user"))) await forget();
  await meta.set("user", user);
  await meta.set("token", message.token || null);
  if (user && message.online && !warming && Date.now() - ((await meta.get("warmedAt")) || 0) > WARM_EVERY_MS) {
    warming = keepPages().finally(function () { warming = null; });
  }
}

async function answer(message) {
  if (message.type === "hello") {
    await hello(message);
    if (message.online) await sendWaiting();
  } else if (message.type === "send") {
    await sendWaiting();
  } else if (message.type === "discard") {
    const entry = (await mine()).find(function (item) { return item.id === message.id; });
    if (entry) await dropEntry(entry.id);
    await tellPages();
  } else if (message.type === "fields") {
    const entry = (await mine()).find(function (item) { return item.id === message.id; });
    return entry ? { path: entry.path, fields: entry.fields } : null;
  }
  return { entries: (await mine()).map(summary) };
}

self.addEventListener("message", function (event) {
  const port = event.ports && event.ports[0];
  // The answer first; the worker then stays up until the pages are kept.
  event.waitUntil(answer(event.data || {}).then(
    function (reply) { if (port) port.postMessage(reply); },
    function (error) { if (port) port.postMessage({ error: String(error) }); }
  ).then(function () { return warming; }));
});
