// The seminar editor, made quicker with JavaScript. Without it every button below is a
// submit button of the editor form that comes back with the change made (nothing saved,
// nothing typed lost); with it the same buttons work in place:
// - "Add more rows" copies the empty row of its <template>;
// - "Move up", "Move down" and "Remove" change the rows where they are;
// - rows are renumbered so the server reads them in the order shown;
// - a question's choices are shown only for a question with several choices;
// - leaving the page with unsaved changes asks first.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-editor]");
  if (!form) return;
  var status = form.querySelector("[data-editor-status]");
  var unsaved = false;

  function announce(text) {
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function rowsOf(list) {
    return Array.prototype.slice.call(list.children).filter(function (row) {
      return row.hasAttribute("data-row");
    });
  }

  // Names, ids and labels carry the row's number (program-2-title): make them match the order.
  function renumber(list) {
    var name = list.getAttribute("data-rows");
    var pattern = new RegExp("(^|\\s)" + name + "-(\\d+|__index__)-", "g");
    rowsOf(list).forEach(function (row, index) {
      var replacement = "$1" + name + "-" + index + "-";
      row.querySelectorAll("[id], [name], [for], [aria-describedby], [data-choices-for]").forEach(function (element) {
        ["id", "name", "for", "aria-describedby", "data-choices-for"].forEach(function (attribute) {
          var value = element.getAttribute(attribute);
          if (value) element.setAttribute(attribute, value.replace(pattern, replacement));
        });
        if (element.name === "row_action") element.value = element.value.replace(pattern, replacement);
      });
      row.querySelectorAll(".row-number").forEach(function (number) {
        number.textContent = String(index + 1);
      });
    });
  }

  function firstField(row) {
    return row.querySelector("input:not([type=hidden]), select, textarea");
  }

  function showChoices(row) {
    row.querySelectorAll("[data-choices-for]").forEach(function (box) {
      var kind = document.getElementById(box.getAttribute("data-choices-for"));
      box.hidden = kind !== null && kind.value !== "choice";
    });
  }

  function addRow(list) {
    var name = list.getAttribute("data-rows");
    var template = form.querySelector('template[data-row-template="' + name + '"]');
    var max = parseInt(list.getAttribute("data-max"), 10);
    if (!template || rowsOf(list).length >= max) return;
    var row = template.content.firstElementChild.cloneNode(true);
    list.appendChild(row);
    renumber(list);
    showChoices(row);
    firstField(row).focus();
  }

  function removeRow(list, row) {
    var rows = rowsOf(list);
    var index = rows.indexOf(row);
    var label = row.querySelector("legend").textContent.trim();
    if (rows.length === 1) addRow(list);
    row.remove();
    renumber(list);
    var next = rowsOf(list)[Math.min(index, rowsOf(list).length - 1)];
    firstField(next).focus();
    announce(form.getAttribute("data-removed").replace("{row}", label));
  }

  function moveRow(list, row, direction, button) {
    var other = direction === "up" ? row.previousElementSibling : row.nextElementSibling;
    if (!other || !other.hasAttribute("data-row")) return;
    if (direction === "up") list.insertBefore(row, other);
    else list.insertBefore(other, row);
    renumber(list);
    // The first row has no "up" and the last no "down": then focus the row's other move.
    if (button.offsetParent === null) button = row.querySelector(direction === "up" ? ".row-down" : ".row-up");
    button.focus();
    announce(form.getAttribute("data-moved").replace("{place}", String(rowsOf(list).indexOf(row) + 1)));
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=row_action]");
    if (!button) return;
    event.preventDefault();
    unsaved = true;
    if (button.hasAttribute("data-row-add")) {
      addRow(form.querySelector('[data-rows="' + button.getAttribute("data-row-add") + '"]'));
      return;
    }
    var row = button.closest("[data-row]");
    var list = row.parentElement;
    if (button.hasAttribute("data-row-remove")) removeRow(list, row);
    else moveRow(list, row, button.getAttribute("data-row-move"), button);
  });

  form.addEventListener("change", function (event) {
    unsaved = true;
    if (event.target.matches("select[name$='-kind']")) showChoices(event.target.closest("[data-row]"));
  });
  form.addEventListener("input", function () { unsaved = true; });
  form.addEventListener("submit", function () { unsaved = false; });
  window.addEventListener("beforeunload", function (event) {
    if (!unsaved) return;
    event.preventDefault();
    event.returnValue = "";
  });

  form.querySelectorAll("[data-rows]").forEach(function (list) {
    rowsOf(list).forEach(showChoices);
  });
});
