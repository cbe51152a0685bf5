// The "?" overlay: every shortcut of shortcuts.js, by section, in a modal dialog; Escape (or "?", or Close)
// closes it. `editable` false (a read-only page) leaves out the editing sections' commands that need the owner.

import { SECTIONS, SHORTCUTS } from "./shortcuts.js";
import { el } from "/static/common.js";

function table(entries) {
  return el("table", { className: "vx-shortcuts" }, el("tbody", {}, ...entries.map((s) =>
    el("tr", {}, el("th", { scope: "row" }, el("kbd", {}, s.keys)), el("td", {}, s.does)))));
}

/** Builds the (closed) dialog; answers {dialog, toggle()}. */
export function shortcutHelp({ editable = true } = {}) {
  const close = el("button", { type: "button", className: "button small", id: "shortcut-help-close" }, "Close");
  const sections = SECTIONS.filter((s) => editable || s === "General" || s === "Navigation").map((section) => {
    const entries = SHORTCUTS.filter((s) => s.section === section && (editable || !s.id || s.id === "help"));
    return el("section", {}, el("h3", {}, section), table(entries));
  });
  const dialog = el("dialog", { className: "vx-shortcut-help", id: "shortcut-help", "aria-labelledby": "shortcut-help-title" },
    el("div", { className: "vx-shortcut-head" }, el("h2", { id: "shortcut-help-title" }, "Keyboard and mouse shortcuts"), close),
    el("div", { className: "vx-shortcut-body" }, ...sections));
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (e) => { if (e.target === dialog) dialog.close(); });
  document.body.append(dialog);
  const toggle = () => {
    if (dialog.open) dialog.close();
    else dialog.showModal();
  };
  return { dialog, toggle };
}
