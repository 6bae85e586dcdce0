// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

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

  onReady(function () {
    document.querySelectorAll("form.listing-form").forEach(function (form) {
      form.querySelectorAll("input[name='kind']").forEach(function (radio) {
        radio.addEventListener("change", function () { syncKind(form); });
      });
      syncKind(form);
    });

    // The language menu switches as soon as a language is picked.
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  });
})();
