// The console's own few lines of script (htmx does the rest). No inline scripts, no eval.
(function () {
  "use strict";
  // Upload progress of forms that name a <progress> in data-upload-progress.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest("[data-upload-progress]") : null;
    if (!form || !event.detail.lengthComputable) { return; }
    var bar = document.querySelector(form.getAttribute("data-upload-progress"));
    if (bar) {
      bar.hidden = false;
      bar.value = Math.round(100 * event.detail.loaded / event.detail.total);
    }
  });
  // Cancel buttons of confirmations empty their container.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-dismiss]") : null;
    if (!button) { return; }
    var target = document.querySelector(button.getAttribute("data-dismiss"));
    if (target) { target.innerHTML = ""; }
  });
  // Forms that name a field in data-clear-after empty it once their request succeeded (the chat's message),
  // and the chat log shows its newest turn.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest ? event.target.closest("[data-clear-after]") : null;
    if (!form || !event.detail.successful) { return; }
    var field = form.querySelector(form.getAttribute("data-clear-after"));
    if (field) { field.value = ""; field.focus(); }
    var log = document.querySelector(form.getAttribute("hx-target"));
    if (log) { log.scrollTop = log.scrollHeight; }
  });
  // Once a version change is answered, its confirmation is done.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "versions") {
      var confirm = document.getElementById("confirm");
      if (confirm) { confirm.innerHTML = ""; }
    }
  });
})();
