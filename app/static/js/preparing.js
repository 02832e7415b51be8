// A download that takes a while (the audit PDF) says it is coming, so nobody clicks it five times.
(function () {
  "use strict";
  var status = document.getElementById("preparing");
  if (!status) { return; }
  document.querySelectorAll("a[data-preparing]").forEach(function (link) {
    link.addEventListener("click", function () {
      status.textContent = link.dataset.preparing;
      status.hidden = false;
      link.setAttribute("aria-disabled", "true");
      window.setTimeout(function () { link.removeAttribute("aria-disabled"); }, 15000);
    });
  });
})();
