// Progressive enhancement for the date-window formset: add and remove windows in place.
// Without JavaScript the same works through the "Add another window" submit button and the
// "Remove this window" checkboxes, so nothing here is required.
(function () {
  "use strict";
  var section = document.getElementById("windows");
  if (!section) return;
  var list = section.querySelector("[data-windows]");
  var template = document.getElementById("window-template");
  var addButton = section.querySelector("[data-add-window]");
  var total = section.querySelector("input[name$='-TOTAL_FORMS']");
  var max = parseInt(list.getAttribute("data-max"), 10) || 10;

  function visible() {
    return list.querySelectorAll("[data-window]:not([hidden])");
  }

  function renumber() {
    visible().forEach(function (fieldset, index) {
      var legend = fieldset.querySelector("legend");
      legend.textContent = legend.textContent.replace(/\d+|__number__/, String(index + 1));
    });
    addButton.disabled = visible().length >= max;
  }

  function enhance(fieldset) {
    var holder = fieldset.querySelector("[data-remove]");
    var checkbox = holder.querySelector("input[type=checkbox]");
    holder.hidden = true;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary";
    remove.textContent = holder.querySelector("label").textContent;
    remove.addEventListener("click", function () {
      checkbox.checked = true;  // the server ignores windows marked for deletion
      fieldset.hidden = true;
      renumber();
      addButton.focus();
    });
    holder.parentNode.appendChild(remove);
  }

  list.querySelectorAll("[data-window]").forEach(enhance);

  addButton.addEventListener("click", function (event) {
    event.preventDefault();
    if (visible().length >= max) return;
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var wrapper = document.createElement("div");
    wrapper.innerHTML = html.trim();
    var fieldset = wrapper.firstElementChild;
    list.appendChild(fieldset);
    total.value = String(index + 1);
    enhance(fieldset);
    renumber();
    fieldset.querySelector("input").focus();
  });

  // Virtual events: show the chosen zone next to the times as soon as it is picked.
  var zone = document.getElementById("id_timezone");
  if (zone) {
    zone.addEventListener("change", function () {
      if (!zone.value) return;
      document.querySelectorAll("[data-tz]").forEach(function (el) { el.textContent = zone.value; });
    });
  }
  renumber();
})();
