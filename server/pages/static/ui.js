// Starts YASGUI on this server's SPARQL endpoint with every named query as an example tab.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const config = JSON.parse(document.getElementById("named-queries").textContent);
  const endpoint = new URL(config.endpoint, window.location.href).href;
  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    autoAddOnInit: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint }] },
  });
  for (const tab of Object.keys(yasgui._tabs)) {
    yasgui.getTab(tab).close();
  }
  config.tabs.forEach((tab, index) => {
    yasgui.addTab(index === 0, {
      name: tab.name,
      yasqe: { value: tab.query },
      requestConfig: { endpoint },
    });
  });
  window.healthkgYasgui = yasgui;
});
