/* Guanxi list pages: select every row, show only the fields the chosen bulk action needs, and
   save a view with the filters currently in the form (htmx may have changed them since the page
   was drawn). Written for this project; works with or without htmx. */
(function () {
  "use strict";

  function syncBulkFields(root) {
    root.querySelectorAll("[data-bulk-action]").forEach(function (select) {
      var form = select.form;
      form.querySelectorAll("[data-bulk-for]").forEach(function (box) {
        var wanted = box.getAttribute("data-bulk-for").split(" ");
        box.hidden = wanted.indexOf(select.value) === -1;
      });
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      target.form.querySelectorAll('input[name="ids"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches("[data-bulk-action]")) {
      syncBulkFields(target.form);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-filters]")) return;
    var filters = document.querySelector(form.getAttribute("data-filters"));
    if (!filters) return;
    var params = new URLSearchParams();
    form.querySelectorAll('input[name="cols"]').forEach(function (el) { el.remove(); });
    new FormData(filters).forEach(function (value, key) {
      if (key === "cols") {
        var hidden = document.createElement("input");
        hidden.type = "hidden"; hidden.name = "cols"; hidden.value = value;
        form.appendChild(hidden);
      } else if (key !== "cursor" && key !== "name" && value !== "") {
        params.append(key, value);
      }
    });
    form.querySelector('input[name="query"]').value = params.toString();
  });

  document.addEventListener("DOMContentLoaded", function () { syncBulkFields(document); });
  document.addEventListener("htmx:afterSwap", function (event) { syncBulkFields(event.target); });
})();
