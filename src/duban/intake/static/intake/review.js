// The intake review page: clicking an item highlights its span in the source text; text selected
// in the source fills the split form of the item being edited. Offsets are code points of the
// stored draft text; the source pane starts at data-base.
(function () {
  "use strict";
  const source = document.getElementById("intake-source");
  if (!source) return;
  const base = parseInt(source.dataset.base || "0", 10);

  // JavaScript strings count UTF-16 units, the engine counts code points: convert.
  function unitsFor(text, codePoints) {
    let units = 0;
    let seen = 0;
    while (seen < codePoints && units < text.length) {
      const code = text.charCodeAt(units);
      units += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
      seen += 1;
    }
    return units;
  }

  function textNodes() {
    const walker = document.createTreeWalker(source, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    return nodes;
  }

  function locate(offset) {
    let remaining = offset;
    const nodes = textNodes();
    for (const node of nodes) {
      if (remaining <= node.data.length) return [node, remaining];
      remaining -= node.data.length;
    }
    const last = nodes[nodes.length - 1];
    return last ? [last, last.data.length] : null;
  }

  function clear() {
    source.querySelectorAll("mark.intake-mark").forEach((mark) => {
      const parent = mark.parentNode;
      while (mark.firstChild) parent.insertBefore(mark.firstChild, mark);
      parent.removeChild(mark);
    });
    source.normalize();
    document.querySelectorAll(".intake-node.intake-active").forEach((n) => n.classList.remove("intake-active"));
  }

  function highlight(nodeEl) {
    clear();
    const full = source.textContent;
    const start = unitsFor(full, Math.max(0, parseInt(nodeEl.dataset.start, 10) - base));
    const end = unitsFor(full, Math.max(0, parseInt(nodeEl.dataset.end, 10) - base));
    if (end <= start) return;
    const from = locate(start);
    const to = locate(end);
    if (!from || !to) return;
    const range = document.createRange();
    range.setStart(from[0], from[1]);
    range.setEnd(to[0], to[1]);
    const mark = document.createElement("mark");
    mark.className = "intake-mark";
    mark.appendChild(range.extractContents());
    range.insertNode(mark);
    nodeEl.classList.add("intake-active");
    scrollPane(mark);
  }

  // Scroll only the source pane: scrollIntoView would also move the window away from the item
  // (or the edit form) the user is looking at.
  function scrollPane(mark) {
    const pane = source.closest(".intake-source-scroll");
    if (!pane || pane.scrollHeight <= pane.clientHeight) return;
    const delta = mark.getBoundingClientRect().top - pane.getBoundingClientRect().top;
    pane.scrollTo({ top: pane.scrollTop + delta - pane.clientHeight / 3, behavior: "smooth" });
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".intake-locate");
    if (!button) return;
    const nodeEl = button.closest(".intake-node");
    if (nodeEl) highlight(nodeEl);
  });

  const selected = document.querySelector(".intake-node.intake-selected");
  if (selected) highlight(selected);

  // Selecting text in the source while an item is being edited proposes it as the split point.
  source.addEventListener("mouseup", () => {
    const field = document.querySelector(".intake-split input[name='split-split_at']");
    const selection = window.getSelection();
    if (!field || !selection || selection.isCollapsed) return;
    const phrase = selection.toString().trim().slice(0, 30);
    if (phrase) {
      field.value = phrase;
      const details = field.closest("details");
      if (details) details.open = true;
    }
  });
})();

// Large outlines: subtrees collapse and expand (a long outline opens with the levels below the
// second collapsed), rows are reachable from the keyboard (↑↓ move, ←→ collapse/expand or go to
// the parent, space checks the row, E opens its edit form, Enter shows it in the source), and
// one action menu is open at a time.
(function () {
  "use strict";
  const outline = document.getElementById("intake-outline");
  if (!outline) return;
  const rows = Array.from(outline.querySelectorAll(".intake-node"));
  const byId = new Map(rows.map((r) => [r.dataset.id, r]));
  const depth = (r) => parseInt(r.dataset.depth || "0", 10);
  const toggleOf = (r) => r.querySelector(":scope > div > .intake-toggle");
  const expanded = (r) => { const t = toggleOf(r); return !t || t.getAttribute("aria-expanded") !== "false"; };

  function visible(r) {
    let parent = byId.get(r.dataset.parent);
    while (parent) {
      if (!expanded(parent)) return false;
      parent = byId.get(parent.dataset.parent);
    }
    return true;
  }
  function refresh() { rows.forEach((r) => r.classList.toggle("intake-hidden", !visible(r))); }
  function setExpanded(r, open) {
    const t = toggleOf(r);
    if (t) t.setAttribute("aria-expanded", open ? "true" : "false");
  }

  const level = parseInt(outline.dataset.collapse || "0", 10);
  if (level) rows.forEach((r) => { if (depth(r) >= level - 1) setExpanded(r, false); });
  // the row being edited (or linked to) stays in view
  const target = outline.querySelector(".intake-selected") || (location.hash && byId.get(location.hash.replace("#node-", "")));
  for (let r = target; r; r = byId.get(r.dataset.parent)) if (r !== target) setExpanded(r, true);
  refresh();

  outline.addEventListener("click", (event) => {
    const t = event.target.closest(".intake-toggle");
    if (!t) return;
    const row = t.closest(".intake-node");
    setExpanded(row, !expanded(row));
    refresh();
  });

  function shown() { return rows.filter((r) => !r.classList.contains("intake-hidden")); }
  function focusRow(r) { if (r) { r.focus(); r.scrollIntoView({ block: "nearest" }); } }
  rows.forEach((r) => r.setAttribute("tabindex", "-1"));
  if (rows.length) rows.find((r) => !r.classList.contains("intake-hidden")).setAttribute("tabindex", "0");

  outline.addEventListener("keydown", (event) => {
    const row = event.target.closest(".intake-node");
    if (!row || event.target !== row) return; // keys inside fields and menus are theirs
    const list = shown();
    const i = list.indexOf(row);
    let handled = true;
    switch (event.key) {
      case "ArrowDown": case "j": focusRow(list[i + 1]); break;
      case "ArrowUp": case "k": focusRow(list[i - 1]); break;
      case "ArrowRight":
        if (toggleOf(row) && !expanded(row)) { setExpanded(row, true); refresh(); } else focusRow(list[i + 1]);
        break;
      case "ArrowLeft":
        if (toggleOf(row) && expanded(row)) { setExpanded(row, false); refresh(); } else focusRow(byId.get(row.dataset.parent));
        break;
      case " ": { const box = row.querySelector("input[name='bulk-nodes']"); if (box) box.checked = !box.checked; break; }
      case "e": case "E": { const edit = row.querySelector(".intake-menu a"); if (edit) location.href = edit.href; break; }
      case "Enter": { const loc = row.querySelector(".intake-locate"); if (loc) loc.click(); break; }
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });
  outline.addEventListener("focusin", (event) => {
    const row = event.target.closest(".intake-node");
    if (!row) return;
    rows.forEach((r) => r.setAttribute("tabindex", r === row ? "0" : "-1"));
  });
  // clicking a row's empty space gives it the keyboard focus
  outline.addEventListener("mousedown", (event) => {
    const row = event.target.closest(".intake-node");
    if (row && event.target === row) row.focus();
  });

  document.addEventListener("toggle", (event) => {
    const d = event.target;
    if (!(d instanceof HTMLDetailsElement) || !d.classList.contains("intake-actions") || !d.open) return;
    document.querySelectorAll("details.intake-actions[open]").forEach((o) => { if (o !== d) o.open = false; });
  }, true);
  document.addEventListener("click", (event) => {
    if (event.target.closest("details.intake-actions")) return;
    document.querySelectorAll("details.intake-actions[open]").forEach((o) => { o.open = false; });
  });
})();
