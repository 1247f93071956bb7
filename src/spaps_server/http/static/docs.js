// Starts Swagger UI on /docs (a file, not an inline script, so a strict CSP can allow it).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var apiKey = root.getAttribute("data-api-key");
  var ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    displayRequestDuration: true,
    persistAuthorization: true,
    // No badge from the public validator: the page must work offline.
    validatorUrl: null,
    onComplete: function () {
      if (!apiKey) {
        return;
      }
      // Pre-fill the local server's default key in every API-key header scheme.
      var schemes = ui.specSelectors.securityDefinitions();
      if (!schemes) {
        return;
      }
      schemes.forEach(function (scheme, name) {
        if (scheme.get("type") === "apiKey" && scheme.get("in") === "header") {
          ui.preauthorizeApiKey(name, apiKey);
        }
      });
    },
  });
  window.ui = ui;
})();
