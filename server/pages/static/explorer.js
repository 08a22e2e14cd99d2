// Graph explorer: one entity and its neighbours from /explore/neighbourhood, expanded on click. Opens on the
// domain (programs, projects, ministries, disease areas, purposes); budget figures and provenance on request.
(function () {
  "use strict";
  const container = document.getElementById("explorer");
  const form = document.getElementById("explorer-filters");
  const status = document.getElementById("explorer-status");
  const legend = document.getElementById("explorer-legend");
  const endpoint = container.dataset.neighbourhood;
  const en = document.documentElement.lang === "en";
  // Colour and legend label of each kind, in legend order; other kinds are grey.
  const kinds = {
    IntegratedProject: ["#1f5fa8", "統合プロジェクト", "Integrated project"],
    Program: ["#2e8b57", "事業", "Program"],
    ProgramGroup: ["#6b8e23", "事業群", "Program group"],
    Plan: ["#5d4c9c", "計画", "Plan"],
    Ministry: ["#8b2252", "府省", "Ministry"],
    FundingAgency: ["#8b008b", "資金配分機関", "Funding agency"],
    InHouseResearchInstitution: ["#b0467a", "インハウス研究機関", "In-house institution"],
    DiseaseArea: ["#c62828", "疾患領域", "Disease area"],
    DevelopmentPurpose: ["#e07b00", "開発目的", "Development purpose"],
    Biobank: ["#00838f", "バイオバンク", "Biobank"],
    DataPlatform: ["#00695c", "データ基盤", "Data platform"],
    BudgetAllocation: ["#d9a441", "予算配分", "Budget line"],
    ProgramBudget: ["#c0651a", "事業予算", "Program budget"],
    ProgramShare: ["#c98b4a", "PJ区分額", "Program share"],
    ProjectBudget: ["#a0522d", "プロジェクト予算", "Project budget"],
    DeclaredBudgetTotal: ["#8d5a3b", "総額", "Declared total"],
    SourceLocation: ["#9e9e9e", "出典の行", "Source line"],
    CuratedFact: ["#b0b0b0", "キュレーション事実", "Curated fact"],
  };
  const OTHER = ["#7a7a8c", "その他", "Other"];
  const mainKind = (list) => list.find((k) => k in kinds) || "";

  const cy = cytoscape({
    container: container,
    wheelSensitivity: 0.3,
    minZoom: 0.2,
    maxZoom: 3,
    style: [
      { selector: "node", style: {
        "label": "data(label)", "font-size": 11, "text-wrap": "wrap", "text-max-width": 130,
        "background-color": "data(colour)", "width": "data(size)", "height": "data(size)",
        "color": "#1d2430", "text-valign": "bottom", "text-margin-y": 3, "min-zoomed-font-size": 7,
        "text-background-color": "#ffffff", "text-background-opacity": 0.75, "text-background-padding": 1 } },
      { selector: "node[?centre]", style: { "border-width": 4, "border-color": "#111", "font-weight": "bold" } },
      { selector: "edge", style: {
        "width": 1, "line-color": "#b8c0cc", "curve-style": "bezier", "opacity": 0.8,
        "target-arrow-shape": "triangle", "target-arrow-color": "#b8c0cc", "arrow-scale": 0.7 } },
      { selector: "edge.hover, node.hover", style: { "label": "data(label)", "font-size": 10, "color": "#444",
        "line-color": "#556", "target-arrow-color": "#556", "width": 2, "z-index": 10,
        "text-background-color": "#ffffff", "text-background-opacity": 0.9 } },
    ],
  });

  function size(budget) {
    if (budget === undefined) { return 18; }
    return Math.max(18, Math.min(80, 18 + 14 * (Math.log10(Math.max(budget, 1)) - 8)));
  }

  function decorate(element) {
    if (element.data.source === undefined) {
      const kind = mainKind(element.data.kinds);
      element.data.kind = kind;
      element.data.colour = (kinds[kind] || OTHER)[0];
      element.data.size = size(element.data.budget_yen);
      if (en && element.data.label_en) { element.data.label = element.data.label_en; }
    }
    return element;
  }

  function drawLegend() {
    const present = new Set(cy.nodes().map((n) => n.data("kind")));
    legend.replaceChildren();
    for (const [kind, [colour, ja, english]] of [...Object.entries(kinds), ["", OTHER]]) {
      if (!present.has(kind)) continue;
      const item = document.createElement("li");
      item.dataset.kind = kind || "other";
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.backgroundColor = colour;
      const count = cy.nodes().filter((n) => n.data("kind") === kind).length;
      item.append(swatch, `${en ? english : ja} (${count})`);
      legend.append(item);
    }
  }

  function filters() {
    const params = new URLSearchParams();
    for (const select of form.querySelectorAll("select")) {
      if (select.value) { params.set(select.name, select.value); }
    }
    return params;
  }

  // Rings around the centre by kind (projects and plans nearest, programs outermost) for a fresh view, so each
  // kind is a cluster of its own; a force layout once nodes are added by clicks, keeping what was placed.
  const ring = { IntegratedProject: 6, Plan: 6, ProgramGroup: 5, Ministry: 5, FundingAgency: 5,
    InHouseResearchInstitution: 5, DiseaseArea: 4, DevelopmentPurpose: 4, Program: 2 };
  function layout(fresh) {
    if (fresh) {
      cy.layout({ name: "concentric", animate: false, minNodeSpacing: 46, padding: 20, startAngle: -Math.PI / 2,
        concentric: (node) => (node.data("centre") ? 10 : ring[node.data("kind")] || 1), levelWidth: () => 1 }).run();
    } else {
      cy.layout({ name: "cose", animate: false, randomize: false, nodeRepulsion: () => 60000,
        idealEdgeLength: () => 110, edgeElasticity: () => 80, nodeOverlap: 40, gravity: 0.4,
        componentSpacing: 120, numIter: 1500, padding: 30 }).run();
    }
  }

  async function load(iri, replace) {
    const params = filters();
    params.set("iri", iri);
    status.textContent = en ? "loading…" : "読み込み中…";
    const response = await fetch(endpoint + "?" + params.toString(), { headers: { Accept: "application/json" } });
    if (!response.ok) {
      status.textContent = (en ? "could not load " : "読み込めません: ") + iri + " (" + response.status + ")";
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
    layout(replace);
    drawLegend();
    status.textContent = en ? `${cy.nodes().length} nodes, ${cy.edges().length} links`
      : `節点 ${cy.nodes().length}、リンク ${cy.edges().length}`;
    window.healthkgExplorer.loads += 1;
  }

  cy.on("mouseover", "edge", (event) => event.target.addClass("hover"));
  cy.on("mouseout", "edge", (event) => event.target.removeClass("hover"));
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
