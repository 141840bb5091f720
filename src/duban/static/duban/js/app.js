// duban: small progressive enhancements. No inline scripts (CSP script-src 'self').
document.addEventListener("click", (event) => {
  const el = event.target.closest("[data-confirm]");
  if (el && !window.confirm(el.dataset.confirm)) {
    event.preventDefault();
    event.stopPropagation();
  }
});

// "Back" on the error pages: shown only when there is a page to go back to.
document.querySelectorAll("[data-history-back]").forEach((el) => {
  if (window.history.length > 1 && document.referrer) {
    el.classList.remove("d-none");
    el.addEventListener("click", (event) => { event.preventDefault(); window.history.back(); });
  }
});
