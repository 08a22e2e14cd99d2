// Starts YASGUI on this server's SPARQL endpoint with a handful of example tabs, opens the query a share link
// carries (/ui#query=…, the form YASGUI's own share links take), and makes result IRIs of this graph open
// this server's pages and numbers read as numbers.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const config = JSON.parse(document.getElementById("named-queries").textContent);
  const endpoint = new URL(config.endpoint, window.location.href).href;
  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    autoAddOnInit: false,
    populateFromUrl: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint }] },
  });
  for (const tab of Object.keys(yasgui._tabs)) {
    yasgui.getTab(tab).close();
  }

  function shared() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    const query = params.get("query");
    return query ? { query, name: params.get("tabTitle") || params.get("name") || "shared" } : null;
  }

  function open(tab, active) {
    return yasgui.addTab(active, { name: tab.name, yasqe: { value: tab.query }, requestConfig: { endpoint } });
  }

  const link = shared();
  config.tabs.forEach((tab, index) => open(tab, !link && index === 0));
  if (link) {
    const tab = open(link, true);
    tab.show();
  }
  window.addEventListener("hashchange", () => {
    const next = shared();
    if (next) open(next, true).show();
  });

  // Share: a link to this page that opens the current tab's query.
  const share = document.getElementById("share-query");
  const shareField = document.getElementById("share-link");
  share.addEventListener("click", () => {
    const tab = yasgui.getTab();
    const params = new URLSearchParams({ query: tab.getQuery(), tabTitle: tab.getName() });
    const url = `${window.location.origin}${window.location.pathname}#${params}`;
    shareField.hidden = false;
    shareField.value = url;
    shareField.select();
    if (navigator.clipboard) navigator.clipboard.writeText(url).catch(() => {});
  });

  // Result IRIs of this graph open this server's page for them; typed numbers read as grouped numbers.
  const base = config.base;
  const root = config.root;
  const localPath = (iri) => {
    if (iri.startsWith(base + "id/")) return `${root}/id/${iri.slice((base + "id/").length)}`;
    if (iri.startsWith(base + "ontology")) return `${root}/ontology${iri.slice((base + "ontology").length)}`;
    return null;
  };
  const numeric = /^"?(-?\d+(?:\.\d+)?)"?$/;
  const numberTypes = /\^\^(xsd:|<?http:\/\/www\.w3\.org\/2001\/XMLSchema#)(integer|decimal|double|float|long|int|nonNegativeInteger)>?$/;
  function tidy(container) {
    for (const anchor of container.querySelectorAll(".yasr td a[href]")) {
      const href = anchor.getAttribute("href");
      if (!/^(https?:\/\/|\/)/i.test(href)) {  // a javascript:, data: … IRI in a result is shown, never followed
        anchor.removeAttribute("href");
        continue;
      }
      const path = localPath(href);
      if (path && anchor.dataset.local !== "1") {
        anchor.dataset.iri = anchor.getAttribute("href");
        anchor.setAttribute("href", path);
        anchor.removeAttribute("target");
        anchor.dataset.local = "1";
      }
    }
    for (const cell of container.querySelectorAll(".yasr td span.nonIri")) {
      if (cell.dataset.number === "1") continue;
      const first = cell.firstChild ? cell.firstChild.textContent.trim() : "";
      const match = numeric.exec(first);
      const typed = numberTypes.test(cell.textContent.trim());
      if (match && (typed || first === cell.textContent.trim())) {
        cell.title = cell.textContent;
        const value = Number(match[1]);  // years (2020) stay as they are; amounts get their thousands grouped
        cell.textContent = Math.abs(value) < 10000 ? match[1] : value.toLocaleString("ja-JP", { maximumFractionDigits: 6 });
        cell.classList.add("number");
        cell.dataset.number = "1";
      }
    }
  }
  const root_element = document.getElementById("yasgui");
  new MutationObserver(() => tidy(root_element)).observe(root_element, { childList: true, subtree: true });
  window.healthkgYasgui = yasgui;
});
