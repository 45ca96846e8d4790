// A message to many attendees: while its emails are on their way, the list of sent messages
// (#message-history, with data-refresh) is fetched again every few seconds and shown, until
// every email is sent or failed. Without JavaScript the list has a "Refresh" link.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("message-history");
  var seconds = 4;
  function refresh() {
    var url = box.getAttribute("data-refresh");
    if (!url) return;
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("message-history");
        if (!next) return;
        box.innerHTML = next.innerHTML;
        if (next.hasAttribute("data-refresh")) {
          window.setTimeout(refresh, seconds * 1000);
        } else {
          box.removeAttribute("data-refresh");
        }
      })
      .catch(function () { window.setTimeout(refresh, seconds * 4000); });
  }
  if (box) window.setTimeout(refresh, seconds * 1000);
});
