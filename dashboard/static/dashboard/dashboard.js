/* The site dashboard: reads the stats layer's JSON and renders cards, the chart and the panels.
 *
 * Everything visitors sent us (paths, referrers, UTM values, event names) is written with
 * textContent or into the chart's canvas, never as HTML. The state lives in the URL
 * (period, date, filters, compare, metric, funnel, with_imported), so a link shows the same view.
 */
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  if (!root) return;
  var dataUrl = root.dataset.dataUrl;
  var siteUrl = root.dataset.siteUrl;
  var article = root.dataset.path; // set on an article's page: every number is about this page
  var PAGE_PROPERTIES = { "event:page": true, "visit:entry_page": true, "visit:exit_page": true, next: true };
  var chart = null;
  var importToggle = document.querySelector("#period [name=imported]");
  var generation = 0; // answers to an older state are dropped

  var PERCENT = { bounce_rate: true, scroll_depth: true, conversion_rate: true };
  var IN_POINTS = { bounce_rate: true, conversion_rate: true }; // rates: their change is in percentage points
  var LOWER_IS_BETTER = { bounce_rate: true };
  // A panel's column headers beyond the metric's own name.
  var COLUMN_NAMES = { conversion_rate: ["CR", "Conversion rate: converting visitors per 100 visitors"] };
  var PERIODS = ["day", "7d", "30d", "month", "6mo", "12mo", "custom"];
  var countryNames = window.Intl && Intl.DisplayNames ? new Intl.DisplayNames([navigator.language || "en"], { type: "region" }) : null;
  var DURATION = { visit_duration: true, engaged_time: true };

  function state() {
    var params = new URLSearchParams(window.location.search);
    if (params.has("period") && PERIODS.indexOf(params.get("period")) < 0) params.delete("period");
    return params;
  }

  function importsOn() {
    return state().get("with_imported") !== "false";
  }

  function go(params) {
    var query = params.toString();
    window.history.pushState(null, "", query ? "?" + query : window.location.pathname);
    render();
  }

  // --- formatting -------------------------------------------------------------------------

  function compact(n) {
    if (n === null || n === undefined) return "–";
    var abs = Math.abs(n);
    if (abs >= 1e6) return (n / 1e6).toFixed(abs >= 1e7 ? 0 : 1).replace(/\.0$/, "") + "M";
    if (abs >= 1e3) return (n / 1e3).toFixed(abs >= 1e4 ? 0 : 1).replace(/\.0$/, "") + "k";
    return String(n);
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    var m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
    if (m >= 60) return Math.floor(m / 60) + "h " + (m % 60) + "m";
    return m ? m + "m " + s + "s" : s + "s";
  }

  function format(metric, value) {
    if (PERCENT[metric]) return value === null || value === undefined ? "–" : value + "%";
    if (DURATION[metric]) return duration(value);
    return compact(value);
  }

  // A country's name in the reader's language.
  function countryName(code) {
    try {
      return (countryNames && countryNames.of(code)) || code;
    } catch (e) {
      return code; // an unknown code stays as sent
    }
  }

  // A country's name with its flag (regional indicator letters, no images).
  function country(code) {
    if (!/^[A-Z]{2}$/.test(code)) return code;
    var flag = String.fromCodePoint.apply(null, code.split("").map(function (c) { return 0x1f1a5 + c.charCodeAt(0); }));
    return flag + " " + countryName(code);
  }

  function shown(property, value) {
    if (value === "") return "(none)";
    return property === "visit:country" ? country(value) : value;
  }

  // --- data -------------------------------------------------------------------------------

  function fetchJson(kind, extra) {
    var params = state();
    params.delete("metric");
    if (article) {
      params.set("path", article);
      params.set("filters", filters().concat(["event:page==" + escapeValue(article)]).join(";"));
    }
    Object.keys(extra || {}).forEach(function (key) { params.set(key, extra[key]); });
    // A site with imports: imported days count unless the reader turned them off (on by default).
    if (importToggle) params.set("with_imported", importsOn() ? "true" : "false");
    return fetch(dataUrl.replace("KIND", kind) + "?" + params.toString(), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
        // The cards and chart say when imports cannot answer this view (goal and property panels never hold them).
        var main = kind === "aggregate" || kind === "timeseries";
        if (main && body.imported_included === false) document.getElementById("imported-note").hidden = false;
        return body;
      });
    });
  }

  function showError(error) {
    var box = document.getElementById("error");
    box.textContent = error ? String(error.message || error) : "";
    box.hidden = !error;
  }

  // --- filters ----------------------------------------------------------------------------

  // A value's own ";", "|" and "\\" are escaped with a backslash, so a visitor's text stays one value.
  function escapeValue(value) {
    return String(value).replace(/[\\;|]/g, "\\$&");
  }

  function unescapeValue(text) {
    return text.replace(/\\([\\;|])/g, "$1");
  }

  function filters() {
    var text = state().get("filters") || "";
    var clauses = [], clause = "";
    for (var i = 0; i < text.length; i++) {
      if (text[i] === "\\" && i + 1 < text.length) {
        clause += text[i] + text[i + 1];
        i++;
      } else if (text[i] === ";") {
        clauses.push(clause);
        clause = "";
      } else {
        clause += text[i];
      }
    }
    clauses.push(clause);
    return clauses.filter(Boolean);
  }

  // Whether a goal filters the page: the conversion rate needs one.
  function goalFiltered() {
    return filters().some(function (clause) { return /^event:goal(==|!=)/.test(clause); });
  }

  function setFilters(list) {
    var params = state();
    if (list.length) params.set("filters", list.join(";"));
    else params.delete("filters");
    go(params);
  }

  function addFilter(property, value) {
    var list = filters().filter(function (f) { return f.indexOf(property + "==") !== 0; });
    list.push(property + "==" + escapeValue(value));
    setFilters(list);
  }

  function renderChips() {
    var box = document.getElementById("filters");
    box.replaceChildren();
    filters().forEach(function (clause, index) {
      var chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.title = "Remove this filter";
      var at = clause.indexOf("==");
      var property = at < 0 ? clause : clause.slice(0, at);
      var text = at < 0 ? clause : property.replace(/^(event|visit):/, "") + " is " + shown(property, unescapeValue(clause.slice(at + 2)));
      chip.textContent = text + " ×";
      chip.addEventListener("click", function () {
        setFilters(filters().filter(function (_, i) { return i !== index; }));
      });
      box.appendChild(chip);
    });
  }

  // --- cards and chart --------------------------------------------------------------------

  function chartMetric() {
    var metric = state().get("metric") || "visitors";
    return metric === "conversion_rate" && !goalFiltered() ? "visitors" : metric;
  }

  function renderCards(results) {
    root.querySelectorAll(".metric").forEach(function (card) {
      var metric = card.dataset.metric;
      var result = results[metric] || {};
      card.querySelector(".value").textContent = format(metric, result.value);
      var change = card.querySelector(".change");
      if (result.change === undefined) {
        change.textContent = "";
      } else if (result.change === null) {
        change.textContent = "—";  // nothing to compare with: no change to speak of
        change.title = "Nothing to compare with in the previous period";
        change.className = "change";
      } else {
        var better = LOWER_IS_BETTER[metric] ? result.change < 0 : result.change > 0;
        change.textContent = (result.change > 0 ? "↑ " : result.change < 0 ? "↓ " : "") +
          Math.abs(result.change) + (IN_POINTS[metric] ? " pts" : "%");
        change.className = "change " + (result.change === 0 ? "" : better ? "up" : "down");
      }
      card.classList.toggle("active", metric === chartMetric());
    });
  }

  function label(date) {
    return String(date).replace("T", " ").replace(/:00$/, "");
  }

  function renderChart(data) {
    var metric = chartMetric();
    var canvas = document.getElementById("chart");
    if (!window.Chart || !canvas) return;
    // The bucket in progress is drawn dashed, and the ones after it (later today, this month) not at all.
    var current = data.results.findIndex(function (row) { return String(row.date) === data.current; });
    var datasets = [{
      label: metric.replace(/_/g, " "),
      data: data.results.map(function (row, i) { return current >= 0 && i > current ? null : row[metric]; }),
      borderColor: getComputedStyle(root).getPropertyValue("--accent") || "#4f46e5",
      cubicInterpolationMode: "monotone",
      segment: { borderDash: function (ctx) { return current >= 0 && ctx.p1DataIndex === current ? [5, 4] : undefined; } },
      fill: false,
    }];
    if (data.comparison) {
      datasets.push({
        label: "previous period",
        data: data.comparison.map(function (row) { return row[metric]; }),
        borderColor: "#9aa3b2",
        borderDash: [4, 4],
        cubicInterpolationMode: "monotone",
        fill: false,
      });
    }
    var labels = data.results.map(function (row) { return label(row.date); });
    var precision = metric === "views_per_visit" ? 2 : metric === "conversion_rate" ? 1 : 0;
    if (chart) {
      chart.data.labels = labels;
      chart.data.datasets = datasets;
      chart.options.scales.y.ticks.precision = precision;
      chart.update();
      return;
    }
    chart = new window.Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, ticks: { precision: precision } } },
        plugins: { legend: { display: !!data.comparison } },
      },
    });
  }

  // --- panels -----------------------------------------------------------------------------

  function articleLink(path) {
    var link = document.createElement("a");
    link.className = "article-link";
    link.href = siteUrl + "pages/?" + new URLSearchParams({ path: path }).toString();
    link.textContent = "↗";
    link.title = "This page as an article";
    return link;
  }

  // The header cells of the columns after the visitors: one per metric of the tab.
  function renderColumns(panel, columns) {
    var head = panel.querySelector("thead tr");
    head.querySelectorAll("th.second").forEach(function (cell) { cell.remove(); });
    columns.forEach(function (metric) {
      var cell = document.createElement("th");
      cell.className = "num second";
      var named = COLUMN_NAMES[metric];
      cell.textContent = named ? named[0] : metric.charAt(0).toUpperCase() + metric.slice(1);
      if (named) cell.title = named[1];
      head.appendChild(cell);
    });
  }

  function renderPanel(panel, limit) {
    var tab = panel.querySelector(".tabs .active");
    var property = tab.dataset.property;
    var columns = tab.dataset.metrics.split(",");
    renderColumns(panel, columns);
    var mine = generation;
    var request = property === "next"
      ? fetchJson("next", { limit: limit || 10 })
      : fetchJson("breakdown", { property: property, metrics: ["visitors"].concat(columns).join(","), limit: limit || 10 });
    return request
      .then(function (data) {
        if (mine !== generation) return;
        var name = property === "next" ? "page" : property.split(":").pop();
        var rows = data.results.filter(function (row) {
          return property !== "event:name" || (row.name !== "pageview" && row.name !== "engagement");
        });
        var body = panel.querySelector("tbody");
        body.replaceChildren();
        var top = rows.reduce(function (m, row) { return Math.max(m, row.visitors); }, 0) || 1;
        rows.forEach(function (row) {
          var value = row[name];
          var tr = document.createElement("tr");
          var cell = document.createElement("td");
          cell.className = "name";
          var bar = document.createElement("span");
          bar.className = "bar";
          bar.style.width = Math.round((100 * row.visitors) / top) + "%";
          var link = document.createElement("button");
          link.type = "button";
          link.className = "value";
          link.textContent = shown(property, value);
          link.title = shown(property, value) + " (click to filter by it)";
          if (property === "next") {
            link.title = "This page as an article";
            link.addEventListener("click", function () { window.location.href = articleLink(value).href; });
          } else {
            link.addEventListener("click", function () { addFilter(property, value); });
          }
          cell.append(bar, link);
          if (PAGE_PROPERTIES[property] && property !== "next" && value) cell.appendChild(articleLink(value));
          tr.appendChild(cell);
          ["visitors"].concat(columns).forEach(function (metric) {
            var number = document.createElement("td");
            number.className = "num";
            number.textContent = format(metric, row[metric]);
            tr.appendChild(number);
          });
          body.appendChild(tr);
        });
        panel.querySelector(".empty").hidden = rows.length > 0;
        var more = panel.querySelector(".more");
        more.hidden = !data.more;
        more.onclick = function () { renderPanel(panel, 100); };
        // Not returned: the page counts as loaded without the map, which comes after.
        renderMap(panel, property, rows, data.more, mine);
      });
  }

  // --- the world map beside the countries -------------------------------------------------
  //
  // The map's plugin (chartjs-chart-geo, which bundles d3-geo and topojson-client), the world's
  // topology and the alpha-2 -> numeric code table are served from our static files and together
  // weigh more than the rest of the page: they are fetched only once a Countries panel has shown its
  // rows and is on screen, and only once per page.

  var ANTARCTICA = "010"; // left off: a sixth of the map's height for next to no visitors
  var mapAssets = null;   // the promise of the features and codes, kept for the page's life

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(script);
    });
  }

  function staticJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("could not load " + url);
      return response.json();
    });
  }

  function loadMap(box) {
    if (mapAssets) return mapAssets;
    var files = [loadScript(box.dataset.script), staticJson(box.dataset.topology), staticJson(box.dataset.codes)];
    mapAssets = Promise.all(files)
      .then(function (loaded) {
        var topology = loaded[1], numeric = loaded[2], alpha2 = {};
        Object.keys(numeric).forEach(function (code) { alpha2[numeric[code]] = code; });
        var features = window.ChartGeo.topojson.feature(topology, topology.objects.countries).features
          .filter(function (feature) { return feature.id !== ANTARCTICA; });
        return { features: features, alpha2: alpha2 };
      });
    mapAssets.catch(function () { mapAssets = null; }); // the next render may try again
    return mapAssets;
  }

  // Resolves once the element is near the viewport (a phone scrolls down to the map); never if a newer
  // render has taken over meanwhile.
  function whenOnScreen(element, mine) {
    if (!window.IntersectionObserver) return Promise.resolve();
    return new Promise(function (resolve) {
      var observer = new IntersectionObserver(function (entries) {
        if (mine !== generation) observer.disconnect();
        else if (entries.some(function (entry) { return entry.isIntersecting; })) {
          observer.disconnect();
          resolve();
        }
      }, { rootMargin: "200px" });
      observer.observe(element);
    });
  }

  function renderMap(panel, property, rows, more, mine) {
    var box = panel.querySelector(".map");
    if (!box) return;
    box.hidden = property !== box.dataset.mapProperty || !window.Chart;
    if (box.hidden) return;
    whenOnScreen(box, mine)
      .then(function () {
        // Ten rows may leave countries out: the map then asks for all of them.
        var all = more
          ? fetchJson("breakdown", { property: property, metrics: "visitors", limit: 300 })
          : { results: rows };
        return Promise.all([loadMap(box), all]);
      })
      .then(function (loaded) {
        if (mine === generation && !box.hidden) drawMap(box, loaded[0], loaded[1].results);
      })
      .catch(function () { box.hidden = true; }); // the table says it all without the map
  }

  // A CSS colour as "r, g, b", to draw the accent lighter with an alpha; a canvas normalises any colour.
  function rgb(color, fallback) {
    var context = document.createElement("canvas").getContext("2d");
    context.fillStyle = fallback;
    context.fillStyle = color.trim() || fallback;
    var hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(context.fillStyle);
    return hex ? [1, 2, 3].map(function (i) { return parseInt(hex[i], 16); }).join(", ") : "79, 70, 229";
  }

  function mapColours() {
    var style = getComputedStyle(root);
    return {
      accent: rgb(style.getPropertyValue("--accent"), "#4f46e5"),
      muted: rgb(style.getPropertyValue("--muted"), "#667085"),
      card: style.getPropertyValue("--card").trim() || "#fff",
    };
  }

  // The country under the pointer, if it has visitors (the chart's current data: a later render replaced it).
  function clickable(chart, elements) {
    var point = elements.length ? chart.data.datasets[0].data[elements[0].index] : null;
    return point && point.code && point.value ? point : null;
  }

  function drawMap(box, assets, rows) {
    var canvas = box.querySelector("canvas");
    var visitors = {};
    rows.forEach(function (row) { visitors[row.country] = row.visitors; });
    var points = assets.features.map(function (feature) {
      // A shape without a numeric code (Kosovo, say) has no code of ours, and no share of the unknown country "".
      var code = assets.alpha2[feature.id] || "";
      return { feature: feature, code: code, value: (code && visitors[code]) || 0 };
    });
    var top = points.reduce(function (m, point) { return Math.max(m, point.value); }, 0) || 1;
    var colours = mapColours();
    var dataset = {
      label: "Visitors",
      data: points,
      outline: assets.features, // the map is fitted to the countries drawn, not the whole sphere
      // Lighter for fewer: the square root keeps a country of one visitor visible beside one of thousands.
      backgroundColor: function (context) {
        var value = context.raw ? context.raw.value : 0;
        if (!value) return "rgba(" + colours.muted + ", 0.18)";
        return "rgba(" + colours.accent + ", " + (0.3 + 0.7 * Math.sqrt(value / top)).toFixed(3) + ")";
      },
      borderColor: colours.card,
      borderWidth: 0.5,
    };
    var chart = window.Chart.getChart(canvas);
    if (chart) {
      chart.data.datasets = [dataset];
      chart.update();
    } else {
      chart = new window.Chart(canvas, {
        type: "choropleth",
        data: { labels: [], datasets: [dataset] },
        options: {
          animation: false,
          maintainAspectRatio: false,
          plugins: {
            legend: { display: false },
            tooltip: {
              callbacks: {
                title: function () { return ""; },
                label: function (item) {
                  var point = item.raw;
                  var name = point.code ? countryName(point.code) : point.feature.properties.name;
                  return name + ": " + compact(point.value) + " visitor" + (point.value === 1 ? "" : "s");
                },
              },
            },
          },
          scales: {
            projection: { axis: "x", projection: "equalEarth", padding: 2 },
            color: { axis: "x", display: false },
          },
          // As a row of the table does: a click on a country with visitors filters the dashboard by it.
          onClick: function (event, elements) {
            var point = clickable(chart, elements);
            if (point) addFilter("visit:country", point.code);
          },
          onHover: function (event, elements) {
            canvas.style.cursor = clickable(chart, elements) ? "pointer" : "";
          },
        },
      });
    }
    box.dataset.drawn = "true";
  }

  function addPropertyTabs(mine) {
    // Custom events' properties get a tab each in the events panel.
    var tabs = root.querySelector("[data-panel] .tabs button[data-property='event:name']");
    if (!tabs) return Promise.resolve();
    var nav = tabs.parentNode;
    return fetchJson("props").then(function (data) {
      if (mine !== generation) return;
      var keys = data.results.slice(0, 8);
      nav.querySelectorAll("button[data-prop-tab]").forEach(function (b) {
        if (keys.indexOf(b.textContent) < 0 && !b.classList.contains("active")) b.remove();
      });
      keys.forEach(function (key) {
        if (nav.querySelector("button[data-prop-tab][data-property='event:props:" + CSS.escape(key) + "']")) return;
        var tab = document.createElement("button");
        tab.type = "button";
        tab.dataset.property = "event:props:" + key;
        tab.dataset.metrics = "events";
        tab.dataset.propTab = "true";
        tab.textContent = key;
        tab.title = "Values of the custom property " + key;
        tab.addEventListener("click", function () { selectTab(tab); });
        nav.appendChild(tab);
      });
    });
  }

  function selectTab(tab) {
    var panel = tab.closest("[data-panel]");
    panel.querySelectorAll(".tabs button").forEach(function (b) { b.classList.toggle("active", b === tab); });
    renderPanel(panel).catch(showError);
  }

  // --- the Funnels panel -------------------------------------------------------------------
  //
  // A funnel is counted from raw events, which can take seconds over a long period: the panel asks for it
  // only once the rest of the page is in and the panel is near the screen, says that it is being computed
  // meanwhile, and does not hold up the page's "loaded" mark. The chosen funnel lives in the URL (funnel=<id>).

  var funnelPanel = root.querySelector("[data-funnel-panel]");
  var funnelTurn = 0; // answers to an older choice of funnel, period or filters are dropped
  var funnelChart = null;

  function chosenFunnel() {
    var picker = document.getElementById("funnel-picker");
    var wanted = state().get("funnel");
    var known = Array.prototype.some.call(picker.options, function (option) { return option.value === wanted; });
    picker.value = known ? wanted : picker.options[0].value; // a funnel deleted since the link was made: the first
    return picker.value;
  }

  function funnelState(name, message) {
    funnelPanel.dataset.state = name;
    funnelPanel.setAttribute("aria-busy", String(name === "waiting" || name === "loading"));
    funnelPanel.querySelector(".funnel-status").hidden = name !== "waiting" && name !== "loading";
    var error = funnelPanel.querySelector(".funnel-error");
    error.hidden = name !== "error";
    error.querySelector("span").textContent = message ? "The funnel could not be computed: " + message : "";
    funnelPanel.querySelector(".funnel-body").classList.toggle("stale", name !== "loaded");
  }

  function shortLabel(text) {
    return text.length > 24 ? text.slice(0, 23) + "…" : text;
  }

  function drawFunnelChart(data) {
    var canvas = funnelPanel.querySelector("canvas");
    if (!window.Chart) return;
    var colours = mapColours();
    var names = data.steps.map(function (step) { return step.goal; });
    var datasets = [
      { label: "Reached", data: data.steps.map(function (step) { return step.visitors; }),
        backgroundColor: "rgb(" + colours.accent + ")", stack: "period" },
      { label: "Dropped off", data: data.steps.map(function (step) { return step.dropoff; }),
        backgroundColor: "rgba(" + colours.muted + ", 0.25)", stack: "period" },
    ];
    if (data.comparison) {
      datasets.push({ label: "Reached, previous period", data: data.comparison.steps.map(function (step) { return step.visitors; }),
        backgroundColor: "rgba(" + colours.muted + ", 0.6)", stack: "previous" });
    }
    if (funnelChart) {
      funnelChart.data.labels = names;
      funnelChart.data.datasets = datasets;
      funnelChart.update();
      return;
    }
    funnelChart = new window.Chart(canvas, {
      type: "bar",
      data: { labels: names, datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          // Goal names are drawn on the canvas, as text; long ones are cut on the axis and whole in the tooltip.
          x: { stacked: true, ticks: { callback: function (value) { return shortLabel(String(this.getLabelForValue(value))); } } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
        plugins: { legend: { display: true } },
      },
    });
  }

  // A table cell: the figure, and below it the comparison period's when there is one.
  function funnelCell(text, previous) {
    var cell = document.createElement("td");
    cell.className = "num";
    cell.textContent = text;
    if (previous !== undefined) {
      var before = document.createElement("span");
      before.className = "previous";
      before.title = "In the previous period";
      before.textContent = "was " + previous;
      cell.appendChild(before);
    }
    return cell;
  }

  function renderFunnelTable(data) {
    var body = funnelPanel.querySelector("tbody");
    body.replaceChildren();
    var before = data.comparison ? data.comparison.steps : null;
    data.steps.forEach(function (step, index) {
      var was = before ? before[index] : null;
      var tr = document.createElement("tr");
      var name = document.createElement("td");
      name.className = "step-name";
      name.textContent = (index + 1) + ". " + step.goal;
      tr.append(
        name,
        funnelCell(compact(step.visitors), was ? compact(was.visitors) : undefined),
        funnelCell(step.conversion_rate + "%", was ? was.conversion_rate + "%" : undefined),
        funnelCell(index ? step.conversion_rate_step + "%" : "–", was && index ? was.conversion_rate_step + "%" : undefined),
        funnelCell(index ? compact(step.dropoff) + " (" + step.dropoff_rate + "%)" : "–",
          was && index ? compact(was.dropoff) + " (" + was.dropoff_rate + "%)" : undefined)
      );
      body.appendChild(tr);
    });
    var last = data.steps[data.steps.length - 1];
    funnelPanel.querySelector(".funnel-summary").textContent =
      compact(data.entering_visitors) + " of " + compact(data.all_visitors) + " visitors entered the funnel; " +
      compact(last.visitors) + " (" + last.conversion_rate + "%) went through every step.";
  }

  function renderFunnel() {
    funnelTurn += 1;
    var turn = funnelTurn;
    funnelState("loading");
    return fetchJson("funnel", { funnel: chosenFunnel() }).then(function (data) {
      if (turn !== funnelTurn) return;
      renderFunnelTable(data);
      drawFunnelChart(data);
      funnelState("loaded");
    }, function (error) {
      if (turn === funnelTurn) funnelState("error", String(error.message || error));
    });
  }

  // On each render of the page: the figures shown are stale at once; new ones come once the page is in.
  function funnelWaits() {
    if (!funnelPanel) return;
    funnelTurn += 1;
    chosenFunnel();
    funnelState("waiting");
  }

  function funnelAfterPage(mine) {
    if (!funnelPanel || mine !== generation) return;
    whenOnScreen(funnelPanel, mine).then(function () { if (mine === generation) renderFunnel(); });
  }

  if (funnelPanel) {
    document.getElementById("funnel-picker").addEventListener("change", function (event) {
      var params = state();
      params.set("funnel", event.currentTarget.value);
      window.history.pushState(null, "", "?" + params.toString());
      renderFunnel();
    });
    funnelPanel.querySelector(".retry").addEventListener("click", renderFunnel);
  }

  // --- the whole page ---------------------------------------------------------------------

  function syncForm() {
    var params = state();
    var form = document.getElementById("period");
    form.period.value = params.get("period") || "30d";
    form.compare.checked = params.get("compare") === "previous_period";
    if (importToggle) {
      importToggle.checked = importsOn();
      document.getElementById("imported-note").hidden = true;
    }
    var custom = form.querySelector(".custom");
    custom.hidden = form.period.value !== "custom";
    var dates = (params.get("date") || "").split(",");
    if (dates.length === 2) {
      form.from.value = dates[0];
      form.to.value = dates[1];
    }
  }

  function render() {
    generation += 1;
    var mine = generation;
    syncForm();
    renderChips();
    showError(null);
    // The conversion rate's card shows while a goal filters the page; it has nothing to say otherwise.
    root.querySelectorAll(".metric[data-metric=conversion_rate]").forEach(function (card) {
      card.hidden = !goalFiltered();
    });
    var metrics = Array.prototype.map.call(root.querySelectorAll(".metric:not([hidden])"), function (card) {
      return card.dataset.metric;
    });
    var cards = fetchJson("aggregate", { metrics: metrics.join(","), compare: "previous_period" })
      .then(function (data) { if (mine === generation) renderCards(data.results); });
    var series = fetchJson("timeseries", { metrics: chartMetric() })
      .then(function (data) { if (mine === generation) renderChart(data); });
    var panels = Array.prototype.map.call(root.querySelectorAll("[data-panel]"), function (panel) {
      return renderPanel(panel);
    });
    if (article) panels.push(renderScroll(mine));
    panels.push(addPropertyTabs(mine));
    funnelWaits();
    Promise.all([cards, series].concat(panels)).then(function () {
      if (mine === generation) root.dataset.loaded = "true";
    }, showError).then(function () { funnelAfterPage(mine); });
  }

  function renderScroll(mine) {
    var entries = fetchJson("aggregate", {
      metrics: "visits",
      filters: filters().concat(["visit:entry_page==" + escapeValue(article)]).join(";"),
    }).then(function (data) {
      if (mine === generation) document.getElementById("entries").textContent = compact(data.results.visits.value);
    });
    var depths = fetchJson("scroll").then(function (data) {
      if (mine !== generation) return;
      var body = document.querySelector("#scroll tbody");
      body.replaceChildren();
      data.results.forEach(function (band) {
        var tr = document.createElement("tr");
        var name = document.createElement("td");
        name.textContent = band.from + "–" + band.to + "%";
        var reads = document.createElement("td");
        reads.className = "num";
        reads.textContent = compact(band.reads);
        tr.append(name, reads);
        body.appendChild(tr);
      });
    });
    return Promise.all([entries, depths]);
  }

  function refreshRealtime() {
    if (!document.getElementById("realtime")) return;
    fetchJson("realtime").then(function (data) {
      document.querySelector("#realtime b").textContent = compact(data.visitors);
    }, function () {});
  }

  document.getElementById("period").addEventListener("change", function (event) {
    var form = event.currentTarget;
    var params = state();
    params.set("period", form.period.value);
    if (form.period.value === "custom") {
      form.querySelector(".custom").hidden = false;
      if (!form.from.value || !form.to.value) return;
      params.set("date", form.from.value + "," + form.to.value);
    } else {
      params.delete("date");
    }
    if (form.compare.checked) params.set("compare", "previous_period");
    else params.delete("compare");
    if (importToggle && importToggle.checked) params.delete("with_imported");
    else if (importToggle) params.set("with_imported", "false");
    go(params);
  });

  root.querySelectorAll(".metric").forEach(function (card) {
    card.addEventListener("click", function () {
      var params = state();
      params.set("metric", card.dataset.metric);
      go(params);
    });
  });

  root.querySelectorAll("[data-panel] .tabs button").forEach(function (tab) {
    tab.addEventListener("click", function () { selectTab(tab); });
  });

  window.addEventListener("popstate", render);
  // The script is deferred: the page is parsed, so the data requests start at once, beside Chart.js.
  render();
  refreshRealtime();
  window.setInterval(refreshRealtime, 30000);
})();
