// The helper's dashboard: playground, event counts and the rule catalogue.
// Talks only to its own origin (the helper). Every piece of text goes into the page through
// textContent, never innerHTML: replies and rule examples are data, not markup.
"use strict";

(function () {
  const TYPING_PAUSE_MS = 300; // analyse when the agent pauses, not on every key stroke
  const COUNTS_REFRESH_MS = 5000;
  const EVENT_TYPES = [
    ["warning-shown", "warnings shown"],
    ["post-held", "posts held"],
    ["rewrite-used", "rewrites used"],
    ["posted-anyway", "posted anyway"],
  ];
  const SVG = "http://www.w3.org/2000/svg";

  const $ = (id) => document.getElementById(id);

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svgElement(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function fetchJson(path, body) {
    const options = body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body.payload),
      signal: body.signal,
    };
    const response = await fetch(path, options);
    const data = await response.json();
    if (!response.ok) throw new Error(data.error ? data.error.message : `HTTP ${response.status}`);
    return data;
  }

  // --- playground --------------------------------------------------------------------------

  let typingTimer = null;
  let pendingCheck = null;

  function checkRequest() {
    const payload = { text: $("reply").value, lang: $("lang").value };
    const comment = $("comment").value.trim();
    const author = $("author").value.trim();
    if (comment || author) payload.context = { comment: comment || null, author: author || null };
    return payload;
  }

  function scheduleCheck() {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(runCheck, TYPING_PAUSE_MS);
  }

  async function runCheck() {
    // A newer keystroke makes the previous answer useless: cancel it rather than race it.
    if (pendingCheck) pendingCheck.abort();
    const controller = new AbortController();
    pendingCheck = controller;
    const payload = checkRequest();
    if (!payload.text.trim()) {
      showEmpty();
      return;
    }
    try {
      const [analysis, rewrite] = await Promise.all([
        fetchJson("/v1/analyze", { payload, signal: controller.signal }),
        fetchJson("/v1/rewrite", { payload, signal: controller.signal }),
      ]);
      showAnalysis(payload.text, analysis);
      showRewrite(rewrite);
    } catch (error) {
      if (error.name === "AbortError") return;
      showError(error.message);
    }
  }

  function setVerdict(verdict, label) {
    $("verdict").dataset.verdict = verdict;
    $("verdict").textContent = label;
  }

  function showEmpty() {
    setVerdict("none", "—");
    $("score").textContent = "";
    $("highlighted").replaceChildren();
    $("findings").replaceChildren();
    $("rewrite").replaceChildren();
    $("rewrite").dataset.verdict = "none";
    $("rewrite-changes").replaceChildren();
    $("copy-rewrite").disabled = true;
  }

  function showError(message) {
    setVerdict("error", "error");
    $("score").textContent = message;
  }

  // Offsets are UTF-16 code units, exactly what JavaScript string indices count.
  function highlightedReply(text, findings) {
    const spans = findings
      .filter((finding) => finding.end > finding.start)
      .sort((a, b) => a.start - b.start || b.end - a.end);
    const fragment = document.createDocumentFragment();
    let position = 0;
    for (const finding of spans) {
      if (finding.start < position) continue; // overlaps the mark before it; listed below anyway
      fragment.append(text.slice(position, finding.start));
      const mark = element("mark", {
        "data-start": finding.start,
        "data-end": finding.end,
        "data-rule": finding.rule,
        "data-category": finding.category,
        "data-severity": finding.severity,
        title: finding.message,
      }, text.slice(finding.start, finding.end));
      fragment.append(mark);
      position = finding.end;
    }
    fragment.append(text.slice(position));
    return fragment;
  }

  function showAnalysis(text, analysis) {
    setVerdict(analysis.verdict, analysis.verdict);
    $("score").textContent = `score ${analysis.score} · ${analysis.lang}`;
    $("highlighted").replaceChildren(highlightedReply(text, analysis.findings));
    // What escalates first, then what is merely missing; in reading order within each.
    const ordered = [...analysis.findings].sort(
      (a, b) => (a.severity === "warn" ? 0 : 1) - (b.severity === "warn" ? 0 : 1) || a.start - b.start);
    const items = ordered.map((finding) => {
      const item = element("li", {
        "data-finding": "",
        "data-rule": finding.rule,
        "data-category": finding.category,
        "data-severity": finding.severity,
      });
      const quoted = finding.end > finding.start ? `“${text.slice(finding.start, finding.end)}” — ` : "";
      item.append(element("span", { class: "message" }, quoted + finding.message), " ");
      item.append(element("span", { class: "category" }, `${finding.category} · ${finding.rule}`));
      if (finding.replacements && finding.replacements.length) {
        item.append(element("div", { class: "category" }, `try: ${finding.replacements.join(" / ")}`));
      }
      return item;
    });
    $("findings").replaceChildren(...items);
  }

  function showRewrite(rewrite) {
    $("rewrite").textContent = rewrite.text;
    $("rewrite").dataset.verdict = rewrite.verdict;
    $("rewrite-changes").replaceChildren(...rewrite.changes.map((change) => element("li", {}, change)));
    $("copy-rewrite").disabled = !rewrite.text;
  }

  async function copyRewrite() {
    try {
      await navigator.clipboard.writeText($("rewrite").textContent);
      $("copy-rewrite").textContent = "Copied";
    } catch (error) {
      $("copy-rewrite").textContent = "Select the text to copy it";
    }
    setTimeout(() => { $("copy-rewrite").textContent = "Copy the rewrite"; }, 1500);
  }

  // --- counts --------------------------------------------------------------------------------

  function legend(entries) {
    const paragraph = element("p", { class: "legend" });
    for (const [type, label] of entries) {
      paragraph.append(element("span", { class: "key", "data-type": type }), label);
    }
    return paragraph;
  }

  function dayChart(days) {
    const columnWidth = Math.max(6, Math.min(56, Math.floor(900 / days.length) - 4));
    const gap = 4, chartHeight = 150, top = 12, left = 34, bottom = 34;
    const largest = Math.max(1, ...days.map((day) => EVENT_TYPES.reduce((sum, [type]) => sum + day[type], 0)));
    const width = left + days.length * (columnWidth + gap) + gap;
    const svg = svgElement("svg", {
      viewBox: `0 0 ${width} ${top + chartHeight + bottom}`,
      width, height: top + chartHeight + bottom, role: "img", "aria-label": "events per day",
    });
    svg.append(svgElement("text", { x: 0, y: top + 4 }, String(largest)));
    svg.append(svgElement("text", { x: 0, y: top + chartHeight }, "0"));
    svg.append(svgElement("line", { class: "axis", x1: left - 4, x2: width, y1: top + chartHeight, y2: top + chartHeight }));
    const labelEvery = Math.max(1, Math.ceil(44 / (columnWidth + gap))); // a label is about 40 px wide
    days.forEach((day, index) => {
      const x = left + gap + index * (columnWidth + gap);
      let base = top + chartHeight;
      for (const [type, label] of EVENT_TYPES) {
        const height = Math.round((day[type] / largest) * chartHeight);
        if (!height) continue;
        base -= height;
        const bar = svgElement("rect", { x, y: base, width: columnWidth, height, "data-type": type });
        bar.append(svgElement("title", {}, `${day.day}: ${day[type]} ${label}`));
        svg.append(bar);
      }
      if (index % labelEvery === 0 || index === days.length - 1) {
        svg.append(svgElement("text", { x, y: top + chartHeight + 14 }, day.day.slice(5)));
      }
    });
    return svg;
  }

  function categoryChart(categories) {
    const names = Object.keys(categories);
    if (!names.length) return element("p", { class: "muted" }, "No events yet in this period.");
    const labelWidth = 170, barWidth = 420, rowHeight = 22;
    const totals = names.map((name) => EVENT_TYPES.reduce((sum, [type]) => sum + categories[name][type], 0));
    const largest = Math.max(1, ...totals);
    const svg = svgElement("svg", {
      viewBox: `0 0 ${labelWidth + barWidth + 50} ${names.length * rowHeight + 4}`,
      width: labelWidth + barWidth + 50, height: names.length * rowHeight + 4,
      role: "img", "aria-label": "events per category",
    });
    names.forEach((name, row) => {
      const y = row * rowHeight + 2;
      svg.append(svgElement("text", { x: labelWidth - 8, y: y + 14, "text-anchor": "end" }, name === "none" ? "(no category)" : name));
      let x = labelWidth;
      for (const [type, label] of EVENT_TYPES) {
        const width = (categories[name][type] / largest) * barWidth;
        if (!width) continue;
        const bar = svgElement("rect", { x, y: y + 3, width, height: rowHeight - 8, "data-type": type });
        bar.append(svgElement("title", {}, `${name}: ${categories[name][type]} ${label}`));
        svg.append(bar);
        x += width;
      }
      svg.append(svgElement("text", { x: x + 6, y: y + 14 }, String(totals[row])));
    });
    return svg;
  }

  async function refreshCounts() {
    try {
      const stats = await fetchJson(`/v1/stats?days=${$("days").value}`);
      for (const [type] of EVENT_TYPES) {
        const number = $(`count-${type}`);
        number.textContent = stats.totals[type].toLocaleString();
        number.dataset.count = stats.totals[type];
      }
      $("chart-days").replaceChildren(legend(EVENT_TYPES), dayChart(stats.days));
      $("chart-categories").replaceChildren(categoryChart(stats.categories));
    } catch (error) {
      $("chart-days").replaceChildren(element("p", { class: "muted" }, `Counts unavailable: ${error.message}`));
    }
  }

  // --- rule catalogue ------------------------------------------------------------------------

  let allRules = [];

  // The first replies a rule must flag (GET /v1/rules: examples.must_fire, each {text, context}).
  function ruleExamples(rule) {
    const examples = (rule.examples && rule.examples.must_fire) || [];
    return examples.slice(0, 2).map((example) => example.text);
  }

  function ruleSearchText(rule) {
    return [rule.id, rule.category, rule.severity, rule.message, rule.description, ...ruleExamples(rule)]
      .filter(Boolean).join(" ").toLowerCase();
  }

  function showRules() {
    const words = $("rule-search").value.toLowerCase().split(/\s+/).filter(Boolean);
    const lang = $("rule-lang").value;
    const shown = allRules.filter((rule) =>
      (!lang || rule.language === lang) && words.every((word) => rule.searchText.includes(word)));
    const rows = shown.map((rule) => {
      const row = element("tr", { "data-rule": rule.id, "data-category": rule.category });
      const idCell = element("td");
      idCell.append(element("code", {}, rule.id));
      if (rule.id.startsWith("house-")) idCell.append(element("span", { class: "house" }, "house rule"));
      row.append(idCell);
      row.append(element("td", { class: "category" }, rule.category));
      row.append(element("td", { class: `severity-${rule.severity}` }, rule.severity));
      const about = element("td", {}, rule.description || rule.message || "");
      for (const example of ruleExamples(rule)) about.append(element("span", { class: "example" }, `e.g. “${example}”`));
      row.append(about);
      return row;
    });
    $("rule-list").replaceChildren(...rows);
    $("rule-count").textContent = `${shown.length} of ${allRules.length} rules`;
  }

  async function loadRules() {
    try {
      const data = await fetchJson("/v1/rules");
      allRules = data.rules.map((rule) => Object.assign({}, rule, { searchText: ruleSearchText(rule) }));
      showRules();
    } catch (error) {
      $("rule-count").textContent = `Rules unavailable: ${error.message}`;
    }
  }

  // --- helper and house-rules status ---------------------------------------------------------

  async function loadStatus() {
    try {
      const health = await fetchJson("/v1/health");
      $("helper-status").textContent = `helper ${health.version} running (${health.languages.join(", ")})`;
    } catch (error) {
      $("helper-status").textContent = "helper not answering";
      $("helper-status").className = "error";
    }
    try {
      const house = await fetchJson("/v1/house-rules");
      const status = $("house-rules-status");
      if (!house.path) {
        status.textContent = "house rules: none (serve --house-rules FILE)";
      } else if (house.error) {
        const fallback = house.loaded_at ? `still using the version loaded at ${house.loaded_at}` : "no house rules in use";
        status.textContent = `house rules: ${house.error} (${fallback})`;
        status.className = "error";
      } else {
        status.textContent = `house rules: ${house.path} (${house.rules} rules)`;
        status.className = "";
      }
    } catch (error) {
      $("house-rules-status").textContent = "house rules: unknown";
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const id of ["reply", "comment", "author"]) $(id).addEventListener("input", scheduleCheck);
    $("lang").addEventListener("change", runCheck);
    $("copy-rewrite").addEventListener("click", copyRewrite);
    $("rule-search").addEventListener("input", showRules);
    $("rule-lang").addEventListener("change", showRules);
    $("days").addEventListener("change", refreshCounts);
    loadStatus();
    loadRules();
    refreshCounts();
    // Counts keep rising while the page is open; polling stops when the tab is hidden.
    setInterval(() => {
      if (document.visibilityState === "visible") {
        refreshCounts();
        loadStatus();
      }
    }, COUNTS_REFRESH_MS);
  });
})();
