// Charts fed by the named-query API: each <figure class="chart"> names its query (data-source, JSON) and
// kind; the figure gets the chart (Apache ECharts, served from this server) and a table of the same
// numbers beside it, so nothing is only in the picture. Amounts are drawn in 億円 (1e8 yen).
"use strict";

(function () {
  const en = document.documentElement.lang === "en";
  const OKU = 1e8;
  const word = (ja, english) => (en ? english : ja);
  window.healthkgCharts = {};

  const oku = (yen) => (yen === undefined || yen === null ? null : Math.round((yen / OKU) * 100) / 100);
  const okuText = (value) => (value === null || value === undefined || Number.isNaN(value) ? "—"
    : value.toLocaleString("ja-JP", { maximumFractionDigits: 2 }) + " 億円");

  async function rows(url) {
    const response = await fetch(url, { headers: { Accept: "application/sparql-results+json" } });
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    const data = await response.json();
    return data.results.bindings.map((b) => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v.value])));
  }

  function table(container, head, body) {
    const element = document.createElement("table");
    element.className = "chart-data";
    const headRow = element.createTHead().insertRow();
    head.forEach((text, i) => {
      const th = document.createElement("th");
      th.textContent = text;
      if (i === head.length - 1 && i > 0) th.className = "num";
      headRow.appendChild(th);
    });
    const tbody = element.createTBody();
    for (const cells of body) {
      const row = tbody.insertRow();
      cells.forEach((text, i) => {
        const cell = row.insertCell();
        cell.textContent = text;
        if (i === cells.length - 1 && i > 0) cell.className = "num";
      });
    }
    container.replaceChildren(element);
  }

  // Years on the x axis and one value per year and series: bars stacked by a key, with an optional line.
  function stacked(figure, years, stacks, line, lineName, axisLabel = (y) => `FY${y}`) {
    const keys = Object.keys(stacks).sort();
    const series = keys.map((key) => ({
      name: key, type: "bar", stack: "total", emphasis: { focus: "series" },
      data: years.map((y) => oku(stacks[key][y])),
    }));
    if (line) {
      series.push({ name: lineName, type: "line", symbolSize: 8, connectNulls: false, z: 5,
        data: years.map((y) => oku(line[y])) });
    }
    const chart = echarts.init(figure.querySelector(".chart-canvas"));
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: okuText },
      legend: { type: "scroll", top: 0 },
      grid: { left: 60, right: 16, top: 48, bottom: 28 },
      xAxis: { type: "category", data: years.map(axisLabel),
        axisLabel: { interval: 0, rotate: years.length > 6 && typeof years[0] === "string" ? 25 : 0,
          width: 140, overflow: "truncate" } },
      yAxis: { type: "value", name: "億円", axisLabel: { formatter: (v) => v.toLocaleString("ja-JP") } },
      series,
    });
    // The same numbers as a table, long rather than wide (a program can be in a dozen projects).
    const body = [];
    for (const y of years) {
      if (line && line[y] !== undefined) body.push([axisLabel(y), lineName, okuText(oku(line[y]))]);
      for (const k of keys) if (stacks[k][y] !== undefined) body.push([axisLabel(y), k, okuText(oku(stacks[k][y]))]);
    }
    const first = typeof years[0] === "string" ? word("統合プロジェクト", "Project") : word("年度", "Fiscal year");
    table(figure.querySelector(".chart-table"), [first, word("内訳", "Series"), "億円"], body);
    figure.dataset.points = JSON.stringify(years);
    return chart;
  }

  const add = (target, key, year, amount) => {
    target[key] = target[key] || {};
    target[key][year] = (target[key][year] || 0) + amount;
  };
  const yearsOf = (list) => [...new Set(list.map((r) => Number(r.fiscal_year)))].sort((a, b) => a - b);

  const kinds = {
    // A program: its whole budget as a line, its part in each project (curated share, else document lines) as bars.
    "program-series": (figure, data) => {
      const whole = {};
      const shares = {};
      const lines = {};
      for (const r of data) {
        const year = Number(r.fiscal_year);
        const amount = Number(r.amount_yen);
        if (r.measure === "program") whole[year] = amount;
        else if (r.measure === "share") add(shares, r.project, year, amount);
        else add(lines, r.project, year, amount);
      }
      const stacks = {};
      for (const [project, byYear] of Object.entries(lines)) {
        for (const [year, amount] of Object.entries(byYear)) {
          if (!(shares[project] && shares[project][year] !== undefined)) add(stacks, project, year, amount);
        }
      }
      for (const [project, byYear] of Object.entries(shares)) {
        for (const [year, amount] of Object.entries(byYear)) add(stacks, project, year, amount);
      }
      return stacked(figure, yearsOf(data), stacks, whole, word("事業予算（全体）", "Whole program budget"));
    },
    // A project: the program figures counted in it, stacked by ministry.
    "project-series": (figure, data) => {
      const stacks = {};
      const counted = data.filter((r) => r.amount_yen !== undefined);
      for (const r of counted) add(stacks, r.ministry || word("府省不明", "ministry unknown"), Number(r.fiscal_year), Number(r.amount_yen));
      return stacked(figure, yearsOf(counted), stacks, null, "");
    },
    // A ministry: its programs' figures counted in each project, stacked by project.
    "ministry-series": (figure, data) => {
      const mine = data.filter((r) => r.ministry === figure.dataset.ministry && r.amount_yen !== undefined);
      const stacks = {};
      for (const r of mine) add(stacks, r.project, Number(r.fiscal_year), Number(r.amount_yen));
      return stacked(figure, yearsOf(mine), stacks, null, "");
    },
    // One fiscal year: the program figures counted in each project, stacked by ministry.
    "year-projects": (figure, data) => {
      const counted = data.filter((r) => r.amount_yen !== undefined);
      const stacks = {};
      for (const r of counted) add(stacks, r.ministry || word("府省不明", "ministry unknown"), r.project, Number(r.amount_yen));
      const projects = [...new Set(counted.map((r) => r.project))].sort();
      return stacked(figure, projects, stacks, null, "", (p) => p);
    },
    // Disease areas × projects: programs per cell, budget in the tooltip.
    "coverage": (figure, data) => {
      const areas = [...new Set(data.map((r) => r.area))].sort();
      const projects = [...new Set(data.map((r) => r.project))].sort();
      const cells = data.map((r) => [areas.indexOf(r.area), projects.indexOf(r.project), Number(r.programs),
        Number(r.amount_yen)]);
      const canvas = figure.querySelector(".chart-canvas");
      canvas.style.height = `${Math.max(220, 90 + 30 * projects.length)}px`;
      const chart = echarts.init(canvas);
      chart.setOption({
        animation: false,
        tooltip: { formatter: (p) => `${echarts.format.encodeHTML(projects[p.value[1]])}<br>${echarts.format.encodeHTML(areas[p.value[0]])}: ${p.value[2]} ${word("事業", "programs")}`
          + (p.value[3] ? ` · ${okuText(oku(p.value[3]))}` : "") },
        grid: { left: 260, right: 16, top: 10, bottom: 60 },
        xAxis: { type: "category", data: areas, axisLabel: { interval: 0, rotate: 20 } },
        yAxis: { type: "category", data: projects, axisLabel: { width: 240, overflow: "truncate" } },
        visualMap: { min: 0, max: Math.max(1, ...cells.map((c) => c[2])), calculable: false, orient: "horizontal",
          left: "center", bottom: 0, itemHeight: 120, inRange: { color: ["#eef4fa", "#2f6f8f"] }, show: false },
        series: [{ type: "heatmap", data: cells, label: { show: true, formatter: (p) => p.value[2] } }],
      });
      table(figure.querySelector(".chart-table"), [word("プロジェクト", "Project"), ...areas],
        projects.map((p, y) => [p, ...areas.map((a, x) => {
          const cell = cells.find((c) => c[0] === x && c[1] === y);
          return cell ? String(cell[2]) : "";
        })]));
      figure.dataset.points = JSON.stringify(cells.length);
      return chart;
    },
  };

  async function draw(figure) {
    const kind = kinds[figure.dataset.chart];
    try {
      const data = await rows(figure.dataset.source);
      if (!data.length) {
        figure.classList.add("empty");
        figure.querySelector(".chart-canvas").textContent = word("この図に使える数字がありません。", "No figures to draw.");
        figure.dataset.points = "[]";
      } else {
        window.healthkgCharts[figure.id] = kind(figure, data);
      }
    } catch (error) {
      figure.querySelector(".chart-canvas").textContent = String(error);
      figure.classList.add("failed");
    }
    figure.dataset.drawn = "1";
  }

  document.addEventListener("DOMContentLoaded", () => {
    const figures = document.querySelectorAll("figure.chart");
    if (typeof echarts === "undefined") {
      figures.forEach((f) => { f.querySelector(".chart-canvas").textContent = "ECharts is not installed: run `make vendor`."; f.dataset.drawn = "1"; });
      return;
    }
    figures.forEach(draw);
    window.addEventListener("resize", () => Object.values(window.healthkgCharts).forEach((c) => c.resize()));
  });
})();
