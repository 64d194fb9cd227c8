// The New generation form (templates/generations/new.html); the form works without this file.
// - Options the chosen provider lacks: the live check (htmx, #quote) sends a map of them in
//   #form-options; they are disabled here, the chosen one excepted (its error says why).
// - Frames: a chosen or dropped image is uploaded at once and replaced by its kept preview and
//   token (#kept-<role>), so it is sent once and survives any error of the form.
// - Example prompts fill the prompt.
(function () {
  "use strict";

  function form() { return document.getElementById("new-generation"); }

  function recheck() {
    var f = form();
    if (f) f.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function applyOptions() {
    var f = form();
    var holder = document.getElementById("form-options");
    if (!f || !holder) return;
    var map;
    try { map = JSON.parse(holder.getAttribute("data-unavailable") || "{}"); } catch (e) { return; }
    f.querySelectorAll("select").forEach(function (select) {
      if (select.name === "provider") return;
      var off = map[select.name] || {};
      Array.prototype.forEach.call(select.options, function (option) {
        var label = option.textContent.replace(/ \(not available\)$/, "");
        var disabled = Object.prototype.hasOwnProperty.call(off, option.value) && !option.selected;
        option.disabled = disabled;
        option.textContent = disabled ? label + " (not available)" : label;
      });
    });
    ["generate_audio", "camera_fixed", "watermark"].forEach(function (name) {
      var box = f.querySelector('input[name="' + name + '"]');
      if (box) box.disabled = !!(map[name] && map[name].on) && !box.checked;
    });
    var seed = f.querySelector('input[name="seed"]');
    if (seed) seed.disabled = !!(map.seed && map.seed.on) && (seed.value === "" || seed.value === "-1");
    var lastKept = f.querySelector('input[name="last_frame_file"]');
    var lastUrl = f.querySelector('input[name="last_frame_url"]');
    var lastFile = f.querySelector('input[name="last_frame"]');
    var noLast = !!(map.last_frame && map.last_frame.on);
    var hasLast = (lastKept && lastKept.value) || (lastUrl && lastUrl.value);
    if (lastUrl) lastUrl.disabled = noLast && !hasLast;
    if (lastFile) lastFile.disabled = noLast && !hasLast;
  }

  function upload(zone, file) {
    var target = document.querySelector(zone.getAttribute("data-target"));
    var token = form().querySelector('input[name="csrfmiddlewaretoken"]');
    var body = new FormData();
    body.append("file", file);
    target.setAttribute("aria-busy", "true");
    fetch(zone.getAttribute("data-upload-url"), {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": token ? token.value : "" },
      credentials: "same-origin",
    }).then(function (response) {
      return response.text();
    }).then(function (html) {
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var kept = holder.firstElementChild;
      if (kept) target.replaceWith(kept);
      var input = zone.querySelector('input[type="file"]');
      // Kept on the server now: the file is not sent again with the form.
      if (kept && kept.querySelector("img") && input) input.value = "";
      recheck();
    }).catch(function () {
      target.removeAttribute("aria-busy");
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches('[data-dropzone] input[type="file"]')) return;
    if (input.files && input.files.length) upload(input.closest("[data-dropzone]"), input.files[0]);
  });

  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var zone = event.target.closest && event.target.closest("[data-dropzone]");
      if (!zone) return;
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest("[data-dropzone]");
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest("[data-dropzone]");
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("dragging");
    var dropped = event.dataTransfer && event.dataTransfer.files;
    if (dropped && dropped.length) upload(zone, dropped[0]);
  });

  document.addEventListener("click", function (event) {
    var chip = event.target.closest("[data-example]");
    if (!chip) return;
    var prompt = document.getElementById("id_prompt");
    prompt.value = chip.getAttribute("data-example");
    prompt.dispatchEvent(new Event("input", { bubbles: true }));
    prompt.focus();
    recheck();
  });

  document.addEventListener("htmx:afterSettle", applyOptions);
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-examples], [data-drop-hint]").forEach(function (el) { el.hidden = false; });
    applyOptions();
  });
})();
