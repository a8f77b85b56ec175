// The day sheets' "Print" button. Kept out of the page so the Content-Security-Policy can
// forbid inline scripts.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print-page]")) {
    button.addEventListener("click", () => window.print());
  }
});
