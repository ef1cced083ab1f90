/* Copy buttons of the settings page: copy the text of the element named in data-copy. */
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.querySelector(button.dataset.copy);
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
        window.setTimeout(function () { button.textContent = "Copy"; }, 1500);
      });
    });
  });
})();

/* The funnel form's steps: a row per goal, in order. The page serves a few rows, enough without a script;
 * here each row gets a Remove button (down to the fewest steps a funnel has) and the form an Add button
 * (up to the most). */
(function () {
  "use strict";
  var form = document.getElementById("funnel-form");
  if (!form) return;
  var list = form.querySelector(".funnel-rows ol");
  var least = Number(form.dataset.minSteps), most = Number(form.dataset.maxSteps);
  var add = document.createElement("button");
  add.type = "button";
  add.className = "add-step";
  add.textContent = "Add a step";
  list.after(add);

  function rows() {
    return Array.prototype.slice.call(list.querySelectorAll(".funnel-row"));
  }

  // Number the rows' labels again, and offer only the buttons that keep the count within bounds.
  function update() {
    var all = rows();
    all.forEach(function (row, index) {
      row.querySelector("select").setAttribute("aria-label", "Step " + (index + 1));
      row.querySelector(".remove-step").hidden = all.length <= least;
    });
    add.hidden = all.length >= most;
  }

  function withRemove(row) {
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove-step";
    remove.textContent = "Remove";
    remove.addEventListener("click", function () {
      row.remove();
      update();
    });
    row.appendChild(remove);
    return row;
  }

  rows().forEach(withRemove);
  add.addEventListener("click", function () {
    var last = rows().pop();
    var row = last.cloneNode(true);
    row.querySelector(".remove-step").remove();
    row.querySelector("select").value = "";
    list.appendChild(withRemove(row));
    update();
    row.querySelector("select").focus();
  });
  update();
})();
