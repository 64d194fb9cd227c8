// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Copy buttons: <button data-copy="#selector">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text.trim()).then(done);
    } else {
      // Plain-HTTP development servers have no clipboard API: select the text instead.
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
    }
  });

  // Character counters: <textarea data-counter="#counter" minlength maxlength>.
  function updateCounter(field) {
    var counter = document.querySelector(field.getAttribute("data-counter"));
    if (!counter) return;
    var n = field.value.length;
    var min = parseInt(field.getAttribute("minlength") || "0", 10);
    var max = parseInt(field.getAttribute("maxlength") || "0", 10);
    counter.textContent = n + " / " + max;
    // Not red before anything is typed: an empty field is not an error yet.
    counter.classList.toggle("bad", (n > 0 && n < min) || (max && n > max));
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-counter]")) updateCounter(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-counter]").forEach(updateCounter);
  });

  // The Menu button of narrow screens shows and hides the navigation.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-menu-toggle]");
    if (!toggle) return;
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
  });

  // Forms that ask first: <form data-confirm="Question?">.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // A job's end: the detail page's live block (#live[data-terminal]) turns terminal. The title
  // says so (visible in a background tab) and, if allowed, a browser notification too. The
  // permission is asked once, by a button, never on page load.
  var baseTitle = document.title;
  function canNotify() { return "Notification" in window && Notification.permission === "granted"; }
  function offerNotifications() {
    document.querySelectorAll("[data-notify]").forEach(function (button) {
      button.hidden = !("Notification" in window) || Notification.permission !== "default";
    });
  }
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-notify]")) return;
    Notification.requestPermission().then(offerNotifications);
  });
  document.addEventListener("DOMContentLoaded", offerNotifications);
  document.addEventListener("htmx:beforeSwap", function (event) {
    var old = event.detail.target;
    if (old && old.id === "live") old.dataset.wasTerminal = old.getAttribute("data-terminal");
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    offerNotifications();
    var live = document.getElementById("live");
    if (!live || event.detail.target.dataset.wasTerminal !== "false") return;
    if (live.getAttribute("data-terminal") !== "true") return;
    var status = live.getAttribute("data-status-text");
    document.title = status + " · " + baseTitle;
    if (canNotify()) new Notification("Generation " + status.toLowerCase(), { body: baseTitle.split(" · ")[0], tag: location.pathname });
  });

  // Tenant switcher: submit on change (the form has a button for no-JS users).
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) event.target.form.submit();
  });
})();
