// The short links tab: copy buttons, and the header box ticks the whole page.
(() => {
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", () => {
      navigator.clipboard?.writeText(button.dataset.copy);
      button.querySelector("i")?.classList.replace("bi-clipboard", "bi-clipboard-check");
    });
  });
  const form = document.getElementById("bulk-form");
  const pageBox = form?.querySelector("[data-select-page]");
  pageBox?.addEventListener("change", () => {
    form.querySelectorAll("[data-row-tick]").forEach((box) => { box.checked = pageBox.checked; });
  });
})();
