/* Adding a site: select the browser's time zone in the form, and on the snippet page poll the site's
   install status (our own JSON) until its first event is in. */
(function () {
  "use strict";
  var POLL_MS = 2000;

  var zoneField = document.querySelector("[data-browser-zone] select");
  if (zoneField) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && zoneField.querySelector('option[value="' + CSS.escape(zone) + '"]')) zoneField.value = zone;
  }

  var check = document.getElementById("install-check");
  if (!check) return;

  function show(state) {
    check.querySelectorAll("[data-state]").forEach(function (part) {
      part.hidden = part.dataset.state !== state;
    });
  }

  function poll() {
    fetch(check.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (status && status.received) {
          show("received");
          return;
        }
        var reasons = status ? Object.keys(status.dropped) : [];
        if (reasons.length) {
          check.querySelector("[data-reasons]").textContent = reasons.join(", ");
          show("dropped");
        }
        window.setTimeout(poll, POLL_MS);
      })
      .catch(function () { window.setTimeout(poll, POLL_MS * 5); });
  }
  poll();
})();
