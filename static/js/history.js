// History page.
// - The gallery: a card's video plays, muted and looping, while the pointer is over it or it
//   has keyboard focus, and stops when either leaves. Nothing plays when the visitor asked for
//   reduced motion. Delegated from the document, so cards added by htmx work too.
// - New jobs: #history-newer polls for jobs newer than the first one shown; its request names
//   the current first row as `since`, so each new job is added once.
(function () {
  "use strict";

  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt || event.detail.elt.id !== "history-newer") return;
    var first = document.querySelector("#history-items [data-generation]");
    if (first) event.detail.parameters.since = first.getAttribute("data-generation");
  });

  var reduced = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;

  function mediaOf(node) {
    return node && node.closest ? node.closest("[data-hover-play]") : null;
  }

  function start(media) {
    var video = media.querySelector("video");
    if (!video || (reduced && reduced.matches)) return;
    video.muted = true;
    var playing = video.play();
    if (playing && playing.then) {
      playing.then(function () { media.classList.add("playing"); }, function () {});
    } else {
      media.classList.add("playing");
    }
  }

  function stop(media) {
    var video = media.querySelector("video");
    media.classList.remove("playing");
    if (video) video.pause();
  }

  function entered(event) {
    var media = mediaOf(event.target);
    if (media && !media.contains(event.relatedTarget)) start(media);
  }

  function left(event) {
    var media = mediaOf(event.target);
    if (media && !media.contains(event.relatedTarget)) stop(media);
  }

  document.addEventListener("pointerover", entered);
  document.addEventListener("pointerout", left);
  document.addEventListener("focusin", entered);
  document.addEventListener("focusout", left);
})();
