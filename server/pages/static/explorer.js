// Graph explorer: one entity and its neighbours from /explore/neighbourhood, expanded on click.
(function () {
  "use strict";
  const container = document.getElementById("explorer");
  const form = document.getElementById("explorer-filters");
  const status = document.getElementById("explorer-status");
  const endpoint = container.dataset.neighbourhood;
  const kindColours = {
    IntegratedProject: "#1f5fa8", Program: "#2e8b57", ProgramGroup: "#6b8e23", BudgetAllocation: "#d98b18",
    ProgramBudget: "#c0651a", DeclaredBudgetTotal: "#a0522d", Ministry: "#8b2252", FundingAgency: "#8b008b",
    DiseaseArea: "#c62828", DevelopmentPurpose: "#ad1457", Biobank: "#00838f", DataPlatform: "#00695c",
  };
  const mainKind = (kinds) => kinds.find((k) => k in kindColours) || kinds[0] || "";

  const cy = cytoscape({
    container: container,
    wheelSensitivity: 0.3,
    style: [
      { selector: "node", style: {
        "label": "data(label)", "font-size": 10, "text-wrap": "ellipsis", "text-max-width": 140,
        "background-color": "data(colour)", "width": "data(size)", "height": "data(size)",
        "color": "#222", "text-valign": "bottom", "text-margin-y": 3 } },
      { selector: "node[?centre]", style: { "border-width": 4, "border-color": "#111" } },
      { selector: "edge", style: {
        "label": "data(label)", "font-size": 8, "color": "#666", "width": 1.2, "line-color": "#aab",
        "target-arrow-shape": "triangle", "target-arrow-color": "#aab", "curve-style": "bezier" } },
    ],
  });

  function size(budget) {
    if (budget === undefined) { return 22; }
    return Math.max(20, Math.min(90, 20 + 15 * (Math.log10(Math.max(budget, 1)) - 7)));
  }

  function decorate(element) {
    if (element.data.source === undefined) {
      const kind = mainKind(element.data.kinds);
      element.data.kind = kind;
      element.data.colour = kindColours[kind] || "#7a7a8c";
      element.data.size = size(element.data.budget_yen);
    }
    return element;
  }

  function filters() {
    const params = new URLSearchParams();
    for (const select of form.querySelectorAll("select")) {
      if (select.value) { params.set(select.name, select.value); }
    }
    return params;
  }

  async function load(iri, replace) {
    const params = filters();
    params.set("iri", iri);
    status.textContent = "loading…";
    const response = await fetch(endpoint + "?" + params.toString(), { headers: { Accept: "application/json" } });
    if (!response.ok) {
      status.textContent = "could not load " + iri + ": " + response.status;
      return;
    }
    const data = await response.json();
    if (replace) { cy.elements().remove(); }
    const fresh = [];
    for (const element of data.elements.nodes.concat(data.elements.edges)) {
      if (cy.getElementById(element.data.id).empty()) { fresh.push(decorate(element)); }
    }
    if (!replace) { fresh.forEach((e) => { if (e.data.centre) { delete e.data.centre; } }); }
    cy.add(fresh);
    cy.layout({ name: "cose", animate: false, nodeRepulsion: 9000, idealEdgeLength: 90, randomize: replace }).run();
    status.textContent = cy.nodes().length + " nodes, " + cy.edges().length + " edges";
    window.healthkgExplorer.loads += 1;
  }

  cy.on("tap", "node", (event) => load(event.target.id(), false));
  cy.on("dbltap", "node", (event) => {
    const iri = event.target.id();
    const base = "https://w3id.org/healthkg/";
    if (iri.startsWith(base)) { window.location.href = container.dataset.entityBase + "/" + iri.slice(base.length); }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const iri = form.elements.iri.value.trim();
    const url = new URL(window.location.href);
    url.searchParams.set("iri", iri);
    window.history.replaceState(null, "", url);
    load(iri, true);
  });
  for (const select of form.querySelectorAll("select")) {
    select.addEventListener("change", () => { if (form.elements.iri.value) { load(form.elements.iri.value.trim(), true); } });
  }
  window.healthkgExplorer = { cy: cy, loads: 0, load: load };
  if (form.elements.iri.value) { load(form.elements.iri.value.trim(), true); }
})();
