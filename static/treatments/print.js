// The "Print" buttons of the printable pages (the CSP refuses inline handlers).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
