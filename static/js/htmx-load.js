/* Loads htmx from the CDN, pinned by its SRI hash, and the portal's own copy of the same
   file when the CDN's request fails or has not arrived within FALLBACK_MS: jsDelivr is
   slow or blocked for many phones in China. The addresses come from this tag's data-
   attributes (no inline code: the CSP allows none). With PORTAL_HTMX_SELF_HOSTED the page
   loads the local copy itself and this file is not used. */
(function () {
  "use strict";
  var FALLBACK_MS = 3000;
  var tag = document.currentScript;
  if (!tag || window.htmx) return;
  var cdn = tag.getAttribute("data-cdn");
  var local = tag.getAttribute("data-local");
  var sri = tag.getAttribute("data-sri");

  // htmx starts on DOMContentLoaded unless the document is already complete; a script
  // added by this file may run in between, after that event and before "load", and would
  // then wait for it for ever. Until "load", a DOMContentLoaded listener added after the
  // event is called at once instead, which is what its author meant.
  var parsed = document.readyState === "complete";
  var addListener = document.addEventListener;
  addListener.call(document, "DOMContentLoaded", function () { parsed = true; });
  document.addEventListener = function (type, listener, options) {
    if (type === "DOMContentLoaded" && parsed && typeof listener === "function") {
      Promise.resolve().then(function () { listener.call(document, new Event(type)); });
      return;
    }
    return addListener.call(this, type, listener, options);
  };
  window.addEventListener("load", function () { delete document.addEventListener; });

  function load(src, onFailure) {
    var script = document.createElement("script");
    script.src = src;
    script.integrity = sri;
    script.crossOrigin = "anonymous";
    if (onFailure) script.addEventListener("error", onFailure);
    document.head.appendChild(script);
    return script;
  }

  var fellBack = false;
  function fallBack() {
    // A CDN answer that arrives after the local copy runs a second htmx; it finds every
    // element already set up by the first (their state is kept on the elements).
    if (fellBack || window.htmx || !local) return;
    fellBack = true;
    load(local);
  }

  if (!cdn) {
    fallBack();
    return;
  }
  var timer = window.setTimeout(fallBack, FALLBACK_MS);
  var script = load(cdn, function () {
    window.clearTimeout(timer);
    fallBack();
  });
  script.addEventListener("load", function () { window.clearTimeout(timer); });
})();
