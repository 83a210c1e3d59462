// One tap copies: every button[data-copy] (hidden in the page, so that a phone without
// this script shows only the text, which stays selectable) is shown and, when tapped,
// puts its data-copy text on the clipboard and says data-copied in the status next to it.
(function () {
  "use strict";

  function fallback(text) {
    // Older browsers and pages not served over HTTPS: a hidden text area and execCommand.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try { done = document.execCommand("copy"); } catch (error) { done = false; }
    area.remove();
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallback(text); });
    }
    return fallback(text);
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var status = button.nextElementSibling && button.nextElementSibling.matches(".copy-status") ? button.nextElementSibling : null;
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(button.getAttribute("data-copy")).then(function () {
        if (status) { status.textContent = button.getAttribute("data-copied") || "✓"; }
      }, function () {
        if (status) { status.textContent = ""; }
      });
    });
  });
})();
