// The API keys screen: copy the new secret (shown once), and submit the create form once.
(() => {
  document.querySelectorAll("[data-copy-secret]").forEach((button) => {
    const input = document.getElementById(button.dataset.copySecret);
    const label = button.querySelector("span");
    const icon = button.querySelector("i");
    button.addEventListener("click", () => {
      // Selected either way: where the clipboard API is refused, Ctrl+C still works.
      input.select();
      navigator.clipboard?.writeText(input.value).then(() => {
        if (label) label.textContent = button.dataset.copiedLabel;
        icon?.classList.replace("bi-clipboard", "bi-clipboard-check");
      });
    });
  });
  document.querySelectorAll("[data-once]").forEach((button) => {
    button.form.addEventListener("submit", (event) => {
      if (event.submitter === button) {
        setTimeout(() => { button.disabled = true; }, 0);
      }
    });
  });
})();
