// The customer pages' only script, and nothing depends on it: it writes times in the browser's
// own time zone and, when the page says a wait ends soon, loads the page again at that moment.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var format;
  try {
    format = new Intl.DateTimeFormat(lang, {
      day: "numeric", month: "long", year: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
  } catch (e) {
    return;
  }
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var at = new Date(el.getAttribute("datetime"));
    if (isNaN(at.getTime())) return;
    el.title = el.textContent;
    el.textContent = format.format(at);
  });
  var reload = document.querySelector("[data-reload-at]");
  if (reload) {
    var wait = new Date(reload.getAttribute("data-reload-at")).getTime() - Date.now();
    // Only waits a person would sit through; the page says when, either way.
    if (wait > 0 && wait < 15 * 60 * 1000) {
      setTimeout(function () { window.location.replace(window.location.href); }, wait + 1000);
    }
  }
})();
