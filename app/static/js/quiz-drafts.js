// Saves each answer on the server as it is chosen, so leaving the page or an expired session loses
// nothing: the quiz page shows the saved choices when the person comes back.
(function () {
  "use strict";
  var form = document.querySelector("form.quiz[data-draft-url]");
  if (!form || !window.fetch) { return; }
  var status = document.getElementById("draft-status");
  var token = form.querySelector("input[name=csrf_token]").value;

  function say(text) { if (status) { status.textContent = text; } }

  function save(name) {
    var body = new URLSearchParams();
    body.append("question", name.slice("answer-".length));
    form.querySelectorAll("input[name='" + name + "']:checked").forEach(function (input) {
      body.append("option", input.value);
    });
    return fetch(form.dataset.draftUrl, {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual",
      headers: {"X-CSRFToken": token}
    }).then(function (response) {
      say(response.status === 204 ? "Your answers are saved as you go."
        : "Not saved: sign in again and come back; the answers saved so far will be here.");
    }, function () {
      say("Not saved: no connection. Your choices stay on this page; submit when you are back online.");
    });
  }

  form.addEventListener("change", function (event) {
    var name = event.target && event.target.name;
    if (name && name.indexOf("answer-") === 0) { save(name); }
  });
})();
