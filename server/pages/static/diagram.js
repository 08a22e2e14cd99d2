// Ontology diagram: the TBox as drawn from /ontology/diagram.json (generated, not drawn by hand). Opens at a
// zoom where the labels can be read, centred on the class with the most links; classes with no link to
// another are set out in a row under the rest rather than piled in a corner; a class's datatype
// properties show when it is clicked.
(function () {
  "use strict";
  const container = document.getElementById("diagram");
  const details = document.getElementById("diagram-details");
  const en = document.documentElement.lang === "en";
  window.healthkgDiagram = { cy: null, ready: false };
  const local = (iri) => iri.slice(iri.lastIndexOf("#") + 1);
  fetch(container.dataset.source, { headers: { Accept: "application/json" } })
    .then((response) => response.json())
    .then((data) => {
      for (const node of data.elements.nodes) {
        const name = local(node.data.id);
        node.data.text = en || !node.data.label_ja ? name : `${node.data.label_ja}\n${name}`;
      }
      const cy = cytoscape({
        container: container,
        elements: data.elements,
        wheelSensitivity: 0.3,
        minZoom: 0.15,
        maxZoom: 2.5,
        style: [
          { selector: "node", style: {
            "shape": "round-rectangle", "label": "data(text)", "text-wrap": "wrap", "font-size": 12,
            "text-valign": "center", "background-color": "#eef3fb", "border-color": "#1f5fa8", "border-width": 1,
            "width": "label", "height": "label", "padding": 7, "color": "#1d2430" } },
          { selector: "node:selected", style: { "border-width": 3, "background-color": "#fff4c2" } },
          { selector: "edge", style: {
            "label": "data(label)", "font-size": 9, "curve-style": "bezier", "target-arrow-shape": "triangle",
            "line-color": "#8899aa", "target-arrow-color": "#8899aa", "color": "#445", "width": 1.2,
            "text-background-color": "#fcfcfe", "text-background-opacity": 0.85, "text-rotation": "autorotate" } },
          { selector: "edge[kind = 'subclass']", style: {
            "line-style": "dashed", "target-arrow-shape": "triangle-backcurve", "label": "", "line-color": "#a9b3c1" } },
        ],
      });
      const linked = cy.nodes().filter((n) => n.degree(false) > 0);
      const alone = cy.nodes().filter((n) => n.degree(false) === 0);
      linked.union(linked.connectedEdges()).layout({ name: "cose", animate: false, randomize: true,
        nodeDimensionsIncludeLabels: true, nodeRepulsion: () => 900000, idealEdgeLength: () => 150,
        edgeElasticity: () => 60, gravity: 0.25, numIter: 2500, componentSpacing: 160, padding: 30 }).run();
      const box = linked.boundingBox();
      let x = box.x1;
      let y = box.y2 + 120;
      alone.forEach((node) => {
        const width = node.outerWidth() + 30;
        if (x + width > box.x2 && x > box.x1) { x = box.x1; y += 70; }
        node.position({ x: x + width / 2, y: y });
        x += width;
      });
      const hub = linked.max((n) => n.degree(false)).ele;
      cy.zoom(0.85);
      cy.center(hub);
      cy.on("tap", "node", (event) => {
        const node = event.target;
        details.replaceChildren();
        const title = document.createElement("strong");
        title.textContent = node.data("label") + (node.data("label_ja") ? ` ${node.data("label_ja")}` : "");
        const list = document.createElement("ul");
        for (const attribute of node.data("attributes")) {
          const item = document.createElement("li");
          item.textContent = attribute;
          list.append(item);
        }
        const link = document.createElement("a");
        link.href = container.dataset.ontology + "#" + local(node.id());
        link.textContent = en ? "documentation" : "説明";
        details.append(title, " ", link, list);
      });
      document.getElementById("diagram-fit").addEventListener("click", () => cy.fit(undefined, 30));
      window.healthkgDiagram = { cy: cy, ready: true };
    });
})();
