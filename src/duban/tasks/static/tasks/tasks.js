// Task pages: small progressive enhancements; every page works without them (no inline
// scripts: CSP script-src 'self').
(() => {
  // Decomposition: add a blank row in place instead of reloading with ?rows=N (which would lose
  // what has been typed).
  const add = document.getElementById("decompose-add");
  const template = document.getElementById("decompose-empty-row");
  const rows = document.getElementById("decompose-rows");
  if (add && template && rows) {
    add.addEventListener("click", (event) => {
      const prefix = add.dataset.prefix;
      const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
      if (!total) return;
      event.preventDefault();
      const index = parseInt(total.value, 10);
      const html = template.innerHTML.replaceAll("__prefix__", String(index)).replaceAll("__n__", String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      rows.lastElementChild.querySelector("input, select")?.focus();
    });
  }

  // The responsibility list: after htmx swaps in filtered results, point 导出台账 at the same
  // filters (the results carry their query string).
  // 含草稿: drafts are left out of the 台账 unless this box is ticked (the drafts=1 parameter).
  const exportHref = () => {
    const results = document.getElementById("task-results");
    const link = document.getElementById("export-link");
    const drafts = document.getElementById("export-drafts");
    if (!link) return;
    const [base, current] = link.getAttribute("href").split("?");
    const query = new URLSearchParams(results ? results.dataset.exportQuery || "" : current || "");
    query.delete("drafts");
    if (drafts && drafts.checked) query.set("drafts", "1");
    link.setAttribute("href", `${base}?${query.toString()}`);
  };
  document.body.addEventListener("htmx:afterSwap", exportHref);
  const draftsBox = document.getElementById("export-drafts");
  if (draftsBox) draftsBox.addEventListener("change", exportHref);

  // Typed search next to a unit/person filter: its text is not a filter, so its change events
  // must not reach the filter form (which reloads the list on change), and Enter must not
  // submit the search's own empty form.
  document.querySelectorAll(".option-search").forEach((input) => {
    input.addEventListener("change", (event) => event.stopPropagation());
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault();
    });
  });

  // Todo tabs: keep the active tab marked after an htmx switch.
  document.querySelectorAll(".todo-tabs .nav-link").forEach((tab) => {
    tab.addEventListener("click", () => {
      document.querySelectorAll(".todo-tabs .nav-link").forEach((other) => {
        other.classList.toggle("active", other === tab);
        if (other === tab) other.setAttribute("aria-current", "page");
        else other.removeAttribute("aria-current");
      });
    });
  });
})();
