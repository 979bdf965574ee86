// The header on a phone: under 600 px (ktag.css) only the brand and the menu button show; the
// button opens and closes the navigation and the header's other buttons. Escape closes it.
const button = document.getElementById("nav-toggle");

function isOpen() {
  return button.getAttribute("aria-expanded") === "true";
}

function setOpen(open) {
  button.setAttribute("aria-expanded", String(open));
}

if (button) {
  const header = button.closest("header");
  button.addEventListener("click", () => setOpen(!isOpen()));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !isOpen() || document.querySelector("dialog[open]")) return;
    const inside = header.contains(document.activeElement);
    setOpen(false);
    if (inside) button.focus();  // the focused link was just hidden
  });
}
