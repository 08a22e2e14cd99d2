// Runs a named query from its form and shows the rows under it; without JavaScript the form still
// opens the API response itself.
"use strict";

function cellText(term) {
  return term === undefined ? "" : term.value;
}

function renderResults(container, data) {
  container.replaceChildren();
  if ("boolean" in data) {
    container.textContent = String(data.boolean);
    return;
  }
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const name of data.head.vars) {
    const th = document.createElement("th");
    th.textContent = name;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const binding of data.results.bindings) {
    const row = body.insertRow();
    for (const name of data.head.vars) {
      row.insertCell().textContent = cellText(binding[name]);
    }
  }
  const count = document.createElement("p");
  count.textContent = `${data.results.bindings.length} rows`;
  container.append(count, table);
}

async function runQuery(event) {
  const form = event.target;
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) {
    if (value !== "") params.append(key, value);
  }
  const format = params.get("format");
  if (format !== "json") return;  // CSV/TSV/RDF: let the browser open or download the file
  event.preventDefault();
  const container = form.nextElementSibling;
  container.textContent = "running…";
  const response = await fetch(`${form.action}?${params}`, { headers: { Accept: "application/sparql-results+json" } });
  const data = await response.json();
  if (!response.ok) {
    container.textContent = `${response.status}: ${data.error}`;
    container.classList.add("error");
    return;
  }
  container.classList.remove("error");
  renderResults(container, data);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form.api-form")) {
    form.addEventListener("submit", runQuery);
  }
});
