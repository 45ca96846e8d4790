// Check-in page: filter the list while typing. Without JavaScript the search form does the
// same on the server, so this only saves a round trip on a slow phone connection.
document.addEventListener("DOMContentLoaded", function () {
  var input = document.querySelector("input[data-filters]");
  if (!input) return;
  var list = document.getElementById(input.getAttribute("data-filters"));
  var nomatch = document.getElementById("checkin-nomatch");
  if (!list) return;
  var rows = Array.prototype.slice.call(list.querySelectorAll("li[data-search]"));
  input.addEventListener("input", function () {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      row.hidden = !match;
      if (match) shown += 1;
    });
    if (nomatch) nomatch.hidden = shown !== 0;
  });
  // Keep what was typed across the tap, as the server-side search does with its q field.
  list.addEventListener("submit", function (event) {
    var form = event.target;
    var q = form.querySelector("input[name=q]");
    if (!q) {
      q = document.createElement("input");
      q.type = "hidden";
      q.name = "q";
      form.appendChild(q);
    }
    q.value = input.value;
  });
});
