// Klassenbuch lesson page: fewer taps. Tapping a pupil's name cycles
// anwesend → fehlt → verspätet → früher gegangen; keys 1–4 set the status of the focused row.
// The form works the same without this script.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table.roster tbody tr").forEach(function (tr) {
      var radios = tr.querySelectorAll("input[type=radio]");
      if (radios.length !== 4) return;
      var name = tr.querySelector("th");
      function current() {
        for (var i = 0; i < radios.length; i++) if (radios[i].checked) return i;
        return 0;
      }
      function set(i) {
        radios[i].checked = true;
        tr.dataset.status = radios[i].value;
        if (i >= 2) { var m = tr.querySelector("input.min"); if (m && !m.value) m.focus(); }
      }
      tr.dataset.status = radios[current()].value;
      name.tabIndex = 0;
      name.setAttribute("role", "button");
      name.addEventListener("click", function () { set((current() + 1) % 4); });
      tr.addEventListener("keydown", function (ev) {
        if (ev.target.tagName === "INPUT" && ev.target.type !== "radio") return;
        if (ev.key >= "1" && ev.key <= "4") { set(Number(ev.key) - 1); ev.preventDefault(); }
        if ((ev.key === " " || ev.key === "Enter") && ev.target === name) { set((current() + 1) % 4); ev.preventDefault(); }
      });
      radios.forEach(function (r) { r.addEventListener("change", function () { tr.dataset.status = r.value; }); });
    });
  });
})();
