// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // The browser's time zone (an IANA name): kept in a cookie so pages are in the visitor's zone
  // before they sign in, and offered as the choice where none was made (sign-up, settings).
  var browserZone = "";
  try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { browserZone = ""; }
  if (browserZone && document.cookie.indexOf("gigfair_tz=" + encodeURIComponent(browserZone)) === -1) {
    document.cookie = "gigfair_tz=" + encodeURIComponent(browserZone) + "; path=/; max-age=31536000; samesite=lax";
  }

  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // Post a listing: show only the fields of the chosen kind. Hidden fieldsets are also
  // disabled, so their inputs are neither validated by the browser nor sent.
  function syncKind(form) {
    var checked = form.querySelector("input[name='kind']:checked");
    var kind = checked ? checked.value : "service";
    form.querySelectorAll("[data-kind-fields]").forEach(function (fieldset) {
      var active = fieldset.getAttribute("data-kind-fields") === kind;
      fieldset.hidden = !active;
      fieldset.disabled = !active;
    });
  }

  function markExpiredQuotes() {
    document.querySelectorAll("[data-expires]:not(.is-expired)").forEach(function (el) {
      if (Date.now() >= Date.parse(el.getAttribute("data-expires"))) {
        el.textContent = "(" + el.getAttribute("data-expired-text") + ")";
        el.classList.add("is-expired");
      }
    });
  }

  // Dialogs that htmx fills (the cancellation quote) open as modals once their content is in;
  // [data-close-dialog] buttons and a click on the backdrop close them. Without JavaScript
  // the same links lead to a page of their own.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.tagName === "DIALOG" && !target.open) target.showModal();
  });
  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    var dialog = closer ? closer.closest("dialog") : event.target.tagName === "DIALOG" ? event.target : null;
    if (dialog && dialog.open) dialog.close();
  });

  onReady(function () {
    // The phone menu: the button opens and closes the links; Escape closes them.
    document.querySelectorAll(".menu-toggle").forEach(function (button) {
      var header = button.closest(".site-header");
      function set(open) {
        header.classList.toggle("menu-open", open);
        button.setAttribute("aria-expanded", open ? "true" : "false");
      }
      button.addEventListener("click", function () { set(!header.classList.contains("menu-open")); });
      document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && header.classList.contains("menu-open")) { set(false); button.focus(); }
      });
    });

    document.querySelectorAll("form.listing-form").forEach(function (form) {
      form.querySelectorAll("input[name='kind']").forEach(function (radio) {
        radio.addEventListener("change", function () { syncKind(form); });
      });
      syncKind(form);
    });

    // A quote says how long it holds; once it has run out, say so where it is shown.
    window.setInterval(markExpiredQuotes, 15000);

    // A time-zone select with nothing chosen yet (sign-up; not a form sent back with errors, not
    // the settings page's saved choice) takes the browser's zone; the settings page names it.
    document.querySelectorAll("select[data-guess-time-zone]").forEach(function (select) {
      var sentBack = select.form && select.form.querySelector("[aria-invalid='true']");
      var known = Array.prototype.some.call(select.options, function (o) { return o.value === browserZone; });
      if (browserZone && known && !sentBack && !select.closest("[data-keep-time-zone]")) { select.value = browserZone; }
    });
    document.querySelectorAll("[data-browser-time-zone]").forEach(function (el) { el.textContent = browserZone.replace(/_/g, " "); });

    // A link to a closed section (the order page's "Ask to cancel…") opens it, and so does a page
    // opened at its address (#request-cancel).
    function openDetails(id) {
      var target = document.getElementById(id);
      if (target && target.tagName === "DETAILS" && !target.open) { target.open = true; }
      if (target) { target.scrollIntoView({ block: "start" }); }
    }
    document.querySelectorAll("[data-open-details]").forEach(function (link) {
      link.addEventListener("click", function (event) { event.preventDefault(); openDetails(link.dataset.openDetails); });
    });
    if (window.location.hash.length > 1) { openDetails(window.location.hash.slice(1)); }

    // The language menu switches as soon as a language is picked.
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  });
})();
