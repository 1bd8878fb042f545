// The contacts table: the bulk-action bar shows only when rows are ticked, and the
// header box ticks the whole page. Without JavaScript the bar is always shown and
// the form works the same.
(() => {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const bar = form.querySelector("[data-bulk-bar]");
  const pageBox = form.querySelector("[data-select-page]");
  const allMatching = form.querySelector("[data-all-matching]");
  const rows = () => Array.from(form.querySelectorAll("[data-row-tick]"));

  const refresh = () => {
    const ticked = rows().filter((box) => box.checked).length;
    const any = ticked > 0 || (allMatching && allMatching.checked);
    bar.classList.toggle("d-none", !any);
    if (pageBox) {
      pageBox.checked = ticked > 0 && ticked === rows().length;
      pageBox.indeterminate = ticked > 0 && ticked < rows().length;
    }
  };

  form.addEventListener("change", (event) => {
    const target = event.target;
    if (target === pageBox) {
      rows().forEach((box) => { box.checked = pageBox.checked; });
      if (!pageBox.checked && allMatching) allMatching.checked = false;
    } else if (target === allMatching && allMatching.checked) {
      rows().forEach((box) => { box.checked = true; });
    } else if (target.matches("[data-row-tick]") && !target.checked && allMatching) {
      allMatching.checked = false;
    }
    refresh();
  });

  refresh();
})();
