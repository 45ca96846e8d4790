/* Seminars: include on a page that frames our embedded signup or seminar list, after the
   iframe(s):  <script src="https://<our site>/static/embed.js" async></script>
   Sizes each of our iframes to its content, so it never shows a scrollbar of its own. The
   embedded page posts its height; a message is believed only when it comes from our origin
   (learnt from this script's own src) and from the window of one of our iframes. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || !window.URL) {
    return;
  }
  var origin = new URL(script.src, document.baseURI).origin;
  var MAX_HEIGHT = 20000;

  function ourFrames() {
    var frames = document.getElementsByTagName("iframe");
    var ours = [];
    for (var i = 0; i < frames.length; i += 1) {
      try {
        if (new URL(frames[i].src, document.baseURI).origin === origin) {
          ours.push(frames[i]);
        }
      } catch (error) {
        // An iframe without a usable src is not ours.
      }
    }
    return ours;
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== origin || !data || data.type !== "seminars-embed:height") {
      return;
    }
    var height = Number(data.height);
    if (!isFinite(height) || height <= 0 || height > MAX_HEIGHT) {
      return;
    }
    ourFrames().forEach(function (frame) {
      if (frame.contentWindow === event.source) {
        frame.style.height = Math.ceil(height) + "px";
      }
    });
  });

  ourFrames().forEach(function (frame) {
    frame.style.border = "0";
    frame.style.width = "100%";
    frame.style.display = "block";
    if (frame.contentWindow) {
      // The frame may have loaded before this script ran: ask it for its height.
      frame.contentWindow.postMessage({ type: "seminars-embed:hello" }, origin);
    }
  });
})();
