/* Fills the latitude and longitude fields from the phone's position when the visitor
   allows it. Pages work without it: the fields can be typed. Self-hosted (CSP 'self'). */
(function () {
  "use strict";
  if (!("geolocation" in navigator)) return;
  document.querySelectorAll("[data-locate]").forEach(function (box) {
    var button = box.querySelector("[data-locate-button]");
    var status = box.querySelector("[data-locate-status]");
    var lat = box.querySelector("#latitude");
    var lon = box.querySelector("#longitude");
    if (!button || !lat || !lon) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      if (status) status.textContent = "…";
      navigator.geolocation.getCurrentPosition(
        function (position) {
          lat.value = position.coords.latitude.toFixed(5);
          lon.value = position.coords.longitude.toFixed(5);
          button.disabled = false;
          if (status) status.textContent = "✓";
          if (button.hasAttribute("data-locate-submit")) {
            var form = button.closest("form");
            if (form) form.submit();
          }
        },
        function () {
          button.disabled = false;
          if (status) status.textContent = "✗";
        },
        { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 }
      );
    });
  });
})();
