// Behaviour shared by every page: copy buttons. No inline scripts (the CSP forbids them).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  navigator.clipboard.writeText(button.dataset.copy).then(() => {
    const label = button.innerHTML;
    button.textContent = button.dataset.copiedLabel || "✓";
    setTimeout(() => { button.innerHTML = label; }, 1500);
  });
});
