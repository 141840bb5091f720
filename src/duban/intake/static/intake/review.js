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
