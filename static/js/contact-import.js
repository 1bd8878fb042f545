// The import screens: refuse a file over the limit before uploading it, and disable
// the "Import" button once pressed (the server ignores a second submit anyway).
(() => {
  const upload = document.querySelector("[data-import-upload]");
  if (upload) {
    const input = upload.querySelector("input[type=file]");
    const warning = upload.querySelector("[data-too-big]");
    const limit = Number(input && input.dataset.maxBytes);
    const tooBig = () => Boolean(limit && input.files[0] && input.files[0].size > limit);
    input.addEventListener("change", () => warning.classList.toggle("d-none", !tooBig()));
    upload.addEventListener("submit", (event) => {
      if (tooBig()) {
        event.preventDefault();
        warning.classList.remove("d-none");
      }
    });
  }
  document.querySelectorAll("[data-once]").forEach((button) => {
    button.form.addEventListener("submit", (event) => {
      if (event.submitter === button) {
        setTimeout(() => { button.disabled = true; }, 0);
      }
    });
  });
})();
