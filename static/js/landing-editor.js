// The landing page editor: reload the preview when the blocks change (the server says
// so with an HX-Trigger header), keep open blocks open across list swaps, drag to
// reorder, and the text block's small formatting toolbar. No inline script (the CSP).
(() => {
  // htmx copies a swapped element's old `style` attribute onto its new version while
  // settling; the browser gives form fields an empty one, and setting it breaks the CSP.
  htmx.config.attributesToSettle = ["class", "width", "height"];
  const frame = document.getElementById("landing-preview");
  const csrf = () => document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";

  // A fresh load of the frame (replace: no history entry), at the scroll position it had.
  let scrollY = 0;
  frame?.addEventListener("load", () => {
    try {
      frame.contentWindow.scrollTo(0, scrollY);
    } catch {
      // not readable: nothing to restore
    }
  });
  document.body.addEventListener("landingChanged", () => {
    if (!frame) return;
    try {
      scrollY = frame.contentWindow.scrollY;
      frame.contentWindow.location.replace(frame.src);
    } catch {
      frame.src = frame.getAttribute("src");
    }
  });

  // A swap of the whole list re-renders every block closed: reopen the ones that were
  // open, except after an add (then only the new block is open, ready to edit).
  let openIds = [];
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.requestConfig?.elt?.closest?.("[data-add-form]")) {
      openIds = [];
      return;
    }
    openIds = [...document.querySelectorAll("#block-list details[open]")]
      .map((details) => details.closest("[data-block-id]")?.dataset.blockId)
      .filter(Boolean);
  });
  document.body.addEventListener("htmx:afterSwap", () => {
    openIds.forEach((id) => {
      document.querySelector(`#block-list [data-block-id="${id}"] details`)?.setAttribute("open", "");
    });
    openIds = [];
    const added = document.querySelector("[data-just-added]");
    if (added) {
      added.removeAttribute("data-just-added");
      added.scrollIntoView({ block: "nearest", behavior: "smooth" });
      added.querySelector("details input:not([type=hidden]), details textarea")?.focus({ preventScroll: true });
    }
  });
  // The image upload form starts empty again after each upload, and folds away.
  document.body.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt?.closest?.("[data-reset-after]");
    if (!form || !event.detail.successful) return;
    form.reset();
    const panel = form.closest("[data-upload-panel]");
    if (!panel || !window.bootstrap) return;
    const collapse = window.bootstrap.Collapse.getOrCreateInstance(panel, { toggle: false });
    if (panel.classList.contains("collapsing")) {
      // Still opening (a quick upload): fold it once it is open.
      panel.addEventListener("shown.bs.collapse", () => collapse.hide(), { once: true });
    } else {
      collapse.hide();
    }
  });

  // Drag a block by its handle; on drop, the server moves it and sends the list back.
  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest?.("#block-list [data-block-id]");
    if (!card || !event.target.classList?.contains("drag-handle")) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.blockId);
    event.dataTransfer.setDragImage(card, 16, 16);
  });
  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const card = event.target.closest?.("#block-list [data-block-id]");
    if (!card) return;
    event.preventDefault();
    if (card === dragged) return;
    const box = card.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    card.parentNode.insertBefore(dragged, after ? card.nextSibling : card);
  });
  document.addEventListener("drop", (event) => {
    if (dragged) event.preventDefault();
  });
  document.addEventListener("dragend", () => {
    if (!dragged) return;
    const card = dragged;
    dragged = null;
    card.classList.remove("dragging");
    const cards = [...document.querySelectorAll("#block-list [data-block-id]")];
    const to = cards.indexOf(card);
    if (to < 0 || to === Number(card.dataset.index)) return;
    htmx.ajax("POST", card.dataset.moveUrl, {
      target: "#block-list",
      swap: "outerHTML",
      values: { to },
      headers: { "X-CSRFToken": csrf() },
    });
  });

  // The text block's toolbar wraps the selection in one of the allowed tags.
  const escapeAttr = (text) => text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-wrap]");
    if (!button) return;
    const area = button.closest("form")?.querySelector("textarea[data-rich-text]");
    if (!area) return;
    const { selectionStart: start, selectionEnd: end, value } = area;
    const selected = value.slice(start, end);
    const tag = button.dataset.wrap;
    let html;
    if (tag === "a") {
      const url = window.prompt(button.dataset.prompt, "https://");
      if (!url) return;
      html = `<a href="${escapeAttr(url.trim())}">${selected || url.trim()}</a>`;
    } else if (tag === "ul") {
      const lines = selected.split("\n").map((line) => line.trim()).filter(Boolean);
      html = `<ul>${(lines.length ? lines : [""]).map((line) => `<li>${line}</li>`).join("")}</ul>`;
    } else {
      html = `<${tag}>${selected}</${tag}>`;
    }
    area.setRangeText(html, start, end, selected ? "end" : "select");
    if (!selected && tag !== "a") {
      const caret = start + tag.length + 2 + (tag === "ul" ? 4 : 0);
      area.setSelectionRange(caret, caret);
    }
    area.focus();
  });
})();
