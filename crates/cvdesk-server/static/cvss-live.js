// Shows the score of the CVSS vector being typed on the staff report page. Progressive
// enhancement only: without this script the score is computed when the form is saved.
"use strict";
(function () {
  const input = document.getElementById("severity");
  const output = document.getElementById("severity-live");
  if (!input || !output) {
    return;
  }
  let timer = null;
  const show = async function () {
    const vector = input.value.trim();
    if (vector === "") {
      output.textContent = "";
      return;
    }
    try {
      const response = await fetch("/staff/cvss?vector=" + encodeURIComponent(vector), {
        credentials: "same-origin",
        headers: { accept: "application/json" },
      });
      const result = await response.json();
      output.textContent = result.error
        ? result.error
        : "CVSS " + result.version + ": " + result.score.toFixed(1) + " (" + result.severity + ")";
      output.dataset.valid = result.error ? "false" : "true";
    } catch (error) {
      output.textContent = "";
    }
  };
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(show, 200);
  });
  show();
})();
