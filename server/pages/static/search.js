// The front door's search: results as you type, from /search.json (the form still works without script).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("search");
  const input = document.getElementById("search-input");
  const list = document.getElementById("search-results");
  if (!form || !input || !list) return;
  let timer = null;
  let asked = 0;

  function render(results, query) {
    list.replaceChildren();
    list.dataset.query = query;
    for (const hit of results) {
      const item = document.createElement("li");
      item.className = "search-hit";
      const link = document.createElement("a");
      link.href = hit.href;
      link.textContent = hit.label || hit.iri;
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = hit.period ? `${hit.kind} · ${hit.period}` : hit.kind;
      item.append(link, " ", kind);
      const other = document.documentElement.lang === "en" ? hit.label_ja : hit.label_en;
      if (other && other !== hit.label) {
        const small = document.createElement("small");
        small.textContent = other;
        item.append(document.createElement("br"), small);
      }
      list.append(item);
    }
    if (!results.length && query) {
      const item = document.createElement("li");
      item.className = "no-hit";
      item.textContent = document.documentElement.lang === "en" ? "Nothing found" : "見つかりませんでした";
      list.append(item);
    }
  }

  async function search() {
    const query = input.value.trim();
    const ticket = ++asked;
    if (!query) { render([], ""); return; }
    const response = await fetch(`${form.dataset.endpoint}?q=${encodeURIComponent(query)}`,
      { headers: { Accept: "application/json" } });
    if (!response.ok || ticket !== asked) return;
    const data = await response.json();
    render(data.results, query);
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  if (input.value) search();
});
