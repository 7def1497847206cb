// Live alerts: the table is refreshed from /app/alerts.json every 15 s, without a reload.
// No inline script anywhere (the pages' CSP allows only scripts served by the hub).
"use strict";
(function () {
  const table = document.querySelector("table[data-refresh]");
  if (!table) { return; }
  const body = document.getElementById("alert-rows");
  const count = document.getElementById("alert-count");
  const csrf = document.querySelector("input[name=csrf]");
  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }
  function row(alert) {
    const tr = document.createElement("tr");
    tr.className = alert.severity;
    tr.dataset.alert = alert.alert_id;
    tr.append(cell(alert.severity), cell(alert.title + (alert.words ? ": \u201c" + alert.words + "\u201d" : "")));
    const who = document.createElement("td");
    if (alert.patient_key) {
      const a = document.createElement("a");
      a.href = "/app/patients/" + encodeURIComponent(alert.patient_key);
      a.textContent = alert.patient_name || alert.patient_key;
      who.append(a);
    }
    tr.append(who, cell(alert.facility), cell(alert.raised_text),
              cell(alert.state + (alert.acknowledged_by ? " by " + alert.acknowledged_by : "")));
    const act = document.createElement("td");
    if (alert.state === "open" && csrf) {
      const form = document.createElement("form");
      form.method = "post";
      form.action = "/app/alerts/" + encodeURIComponent(alert.key) + "/" + encodeURIComponent(alert.alert_id) + "/acknowledge";
      const token = document.createElement("input");
      token.type = "hidden"; token.name = "csrf"; token.value = csrf.value;
      const button = document.createElement("button");
      button.type = "submit"; button.textContent = "Acknowledge";
      form.append(token, button);
      act.append(form);
    }
    tr.append(act);
    return tr;
  }
  function stale() { table.classList.add("stale"); table.title = "not refreshed: the hub did not answer"; }
  async function refresh() {
    try {
      // the poll does not keep the session alive; when it has ended, the page goes
      // (a redirect is the sign-in page: nothing of the patients stays on screen)
      const response = await fetch(table.dataset.refresh,
                                   { credentials: "same-origin", redirect: "manual" });
      if (response.type === "opaqueredirect" || response.status === 401) {
        body.replaceChildren();
        window.location.assign("/app/login?next=" + encodeURIComponent(window.location.pathname));
        return;
      }
      if (!response.ok) { stale(); return; }
      const data = await response.json();
      body.replaceChildren(...data.alerts.map(row));
      count.textContent = String(data.alerts.length);
      table.classList.remove("stale"); table.title = "";
    } catch (error) { stale(); /* the next round tries again */ }
  }
  setInterval(refresh, 15000);
})();
