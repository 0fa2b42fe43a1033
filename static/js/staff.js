// Staff pages: copy a participant link to the clipboard.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var text = button.getAttribute("data-copy");
    var done = function () {
      var original = button.textContent;
      button.textContent = "✓";
      setTimeout(function () { button.textContent = original; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      var field = button.parentElement.querySelector(".link-field");
      if (field) { field.select(); document.execCommand("copy"); done(); }
    }
  });
})();

// Tell the server the browser's timezone so dates are shown in the viewer's time (read by preflight/i18n.py).
(function () {
  "use strict";
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz && document.cookie.indexOf("pf_tz=" + encodeURIComponent(tz)) === -1) {
      document.cookie = "pf_tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* old browser: the event's timezone is used */ }
})();

// Ask before destructive actions (forms carrying data-confirm).
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) event.preventDefault();
});
