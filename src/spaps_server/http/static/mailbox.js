// Keeps /_dev/mailbox current without a reload: polls the JSON view and redraws the list.
(function () {
  "use strict";
  var list = document.getElementById("mail-list");
  if (!list || !window.fetch) {
    return;
  }
  var query = new URLSearchParams();
  var to = list.getAttribute("data-to");
  if (to) {
    query.set("to", to);
  }
  query.set("limit", list.getAttribute("data-limit") || "100");
  var url = "/_dev/mailbox/messages?" + query.toString();
  var shown = list.getAttribute("data-ids") || "";

  function cell(row, text, href) {
    var td = document.createElement("td");
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    row.appendChild(td);
  }

  function delivery(m) {
    if (m.delivered_at) {
      return "delivered";
    }
    return m.delivery_error ? "failed" : "stored";
  }

  function draw(messages) {
    var ids = messages.map(function (m) { return m.id; }).join(",");
    if (ids === shown) {
      return;
    }
    shown = ids;
    list.textContent = "";
    if (messages.length === 0) {
      var empty = document.createElement("p");
      empty.className = "muted";
      empty.textContent = list.getAttribute("data-empty");
      list.appendChild(empty);
      return;
    }
    var table = document.createElement("table");
    var head = document.createElement("tr");
    ["Sent (UTC)", "To", "Subject", "Kind", "SMTP"].forEach(function (title) {
      var th = document.createElement("th");
      th.textContent = title;
      head.appendChild(th);
    });
    table.appendChild(head);
    messages.forEach(function (m) {
      var row = document.createElement("tr");
      cell(row, (m.created_at || "").replace("T", " ").replace(/\..*$|Z$/, ""));
      cell(row, m.to);
      cell(row, m.subject, "/_dev/mailbox/" + encodeURIComponent(m.id));
      cell(row, m.kind);
      cell(row, delivery(m));
      table.appendChild(row);
    });
    list.appendChild(table);
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && body.success) {
          draw(body.data.messages);
        }
      })
      .catch(function () { /* the server is restarting; try again on the next tick */ })
      .finally(function () { window.setTimeout(poll, 1000); });
  }
  window.setTimeout(poll, 1000);
})();
