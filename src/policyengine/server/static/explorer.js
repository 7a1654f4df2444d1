// Copy buttons for the JSON of a decision; the page works without this script.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) { return; }
  var source = document.getElementById(button.getAttribute("data-copy"));
  var status = button.parentElement.querySelector(".copy-status");
  function done(text) { if (status) { status.textContent = text; } }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(source.value).then(
      function () { done("Copied."); },
      function () { source.select(); done("Selected: press Ctrl+C to copy."); });
  } else {
    source.select();
    done(document.execCommand("copy") ? "Copied." : "Selected: press Ctrl+C to copy.");
  }
});
document.addEventListener("DOMContentLoaded", function () {
  var target = document.querySelector(".error-summary") || document.getElementById("answer-title");
  if (target) { target.focus(); }
});
