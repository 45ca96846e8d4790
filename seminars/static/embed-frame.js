/* Runs inside our embedded pages (templates/embed/). Tells the framing page how tall this
   page is, whenever that changes, so /static/embed.js there can size the iframe to it.
   The height is all it sends, so any parent may read it: only the sites an organisation
   allows can frame these pages at all (CSP frame-ancestors). After a signup or a refused
   form, moves focus to the outcome, as a page of its own would be read from the top. */
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  var sent = 0;

  function postHeight(force) {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== sent || force) {
      sent = height;
      window.parent.postMessage({ type: "seminars-embed:height", height: height }, "*");
    }
  }

  // embed.js may start after this page has loaded: it says hello, and hears the height.
  window.addEventListener("message", function (event) {
    if (event.source === window.parent && event.data && event.data.type === "seminars-embed:hello") {
      postHeight(true);
    }
  });
  if (window.ResizeObserver) {
    new ResizeObserver(function () { postHeight(false); }).observe(document.documentElement);
  }
  window.addEventListener("load", function () { postHeight(false); });
  postHeight(false);

  var outcome = document.querySelector("[data-focus-on-load], #error-summary");
  if (outcome) {
    outcome.focus();
  }
})();
