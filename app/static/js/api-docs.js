// Draws the OpenAPI document with Swagger UI (bundled; see app/api/docs.py).
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) { return; }
  window.SwaggerUIBundle({url: root.dataset.spec, dom_id: "#swagger-ui", deepLinking: true,
                          supportedSubmitMethods: []});  // a reference to read: "Try it out" stays off
});
