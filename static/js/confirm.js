// Admin pages: <form data-confirm="Question?"> asks before submitting (the portal does the
// same in portal.js). A script file rather than inline
// onsubmit handlers, which the Content-Security-Policy (script-src 'self') does not run.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  }, true);
})();
