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

// A double tap submits a form once: the second submit of the same form is dropped while the
// first is on its way (the page that answers replaces this one). The submitter keeps its
// name=value because the buttons are only marked busy, not disabled, until the next tick.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || (form.method || "").toLowerCase() !== "post" || form.hasAttribute("hx-post")) return;
  if (form.dataset.submitting) {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "1";
  setTimeout(() => form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]").forEach((b) => {
    b.disabled = true;
    b.classList.add("is-busy");
  }), 0);
  // A download (export) leaves the page in place: let the form be used again.
  setTimeout(() => {
    delete form.dataset.submitting;
    form.querySelectorAll(".is-busy").forEach((b) => { b.disabled = false; b.classList.remove("is-busy"); });
  }, 8000);
});
window.addEventListener("pageshow", (event) => {
  if (event.persisted) document.querySelectorAll("form[data-submitting]").forEach((f) => delete f.dataset.submitting);
});

// Evidence from a phone: offer the camera and the photo library beside files, for the file inputs
// written by hand or without the evidence widget (tasks.forms.MultipleFileInput sets the same
// list server-side, from tasks/evidence.py's ACCEPT: keep the two equal). The server checks every
// file's content; listing image/jpeg and image/png makes iPhones send their HEIC photos as JPEG.
const EVIDENCE_ACCEPT = "image/*,image/jpeg,image/png,.jpg,.jpeg,.png,.heic,.heif,.pdf,.docx,.xlsx,.pptx,.ofd";
document.querySelectorAll("input[type=file]:not([accept])").forEach((input) => {
  if (input.closest("[data-import]") || /import|xlsx/.test(input.name)) return;
  input.setAttribute("accept", EVIDENCE_ACCEPT);
});
