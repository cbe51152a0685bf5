// Every keyboard and mouse shortcut of the viewer, in one list: the "?" overlay (shortcut_help.js) shows it, and
// `bindShortcuts` dispatches the annotation page's own keys from it. Keys and meanings follow webKnossos' defaults
// (docs/ui/keyboard_shortcuts.md there) where voxelhub has the tool; the navigation entries (handled by
// navigation.js and viewer_input.js) are listed here so the overlay is complete.
//
// An entry: {keys: text shown, does: what it does, section, id?: the command it runs, match?: the key presses}.
// `match` items are {key, ctrl?, shift?, alt?} (ctrl means Ctrl or ⌘); entries without `id` are documentation only.

export const SECTIONS = ["General", "Navigation", "Skeleton", "Volume"];

export const SHORTCUTS = [
  { section: "General", keys: "Ctrl + Z", does: "Undo", id: "undo", match: [{ key: "z", ctrl: true }] },
  { section: "General", keys: "Ctrl + Shift + Z or Ctrl + Y", does: "Redo", id: "redo",
    match: [{ key: "z", ctrl: true, shift: true }, { key: "y", ctrl: true }] },
  { section: "General", keys: "Ctrl + S", does: "Save now (edits are saved as they are made)", id: "save", match: [{ key: "s", ctrl: true }] },
  { section: "General", keys: "?", does: "Show or hide this list of shortcuts", id: "help", match: [{ key: "?", shift: null }] },
  { section: "General", keys: "Escape", does: "Close this list" },
  { section: "General", keys: "W / Shift + W", does: "Next / previous tool (Move, Skeleton, Brush)", id: "nextTool",
    match: [{ key: "w" }, { key: "W", shift: true, id: "previousTool" }] },

  { section: "Navigation", keys: "Mouse wheel or F / D", does: "Next / previous slice" },
  { section: "Navigation", keys: "Shift + F / Shift + D", does: "Ten slices forward / back" },
  { section: "Navigation", keys: "Ctrl or Alt + mouse wheel, I / O", does: "Zoom in / out" },
  { section: "Navigation", keys: "Left drag or arrow keys", does: "Move in the plane" },
  { section: "Navigation", keys: "Click (Move tool)", does: "Set the position" },
  { section: "Navigation", keys: "Drag / wheel / double click in the 3D view", does: "Rotate / zoom / reset the 3D view" },

  { section: "Skeleton", keys: "Click (Skeleton tool)", does: "Add a node to the active tree, linked to the active node" },
  { section: "Skeleton", keys: "Click on a node", does: "Make it the active node" },
  { section: "Skeleton", keys: "C", does: "New tree (Brush tool: new segment)", id: "create", match: [{ key: "c" }] },
  { section: "Skeleton", keys: "Delete", does: "Delete the active node", id: "deleteNode", match: [{ key: "Delete" }, { key: "Backspace" }] },
  { section: "Skeleton", keys: "B", does: "Mark the active node as a branchpoint", id: "branchPoint", match: [{ key: "b" }] },
  { section: "Skeleton", keys: "J", does: "Jump to the last branchpoint (and use it up)", id: "jumpBranchPoint", match: [{ key: "j" }] },
  { section: "Skeleton", keys: "S", does: "Centre the view on the active node", id: "centreNode", match: [{ key: "s" }] },
  { section: "Skeleton", keys: "Ctrl + . / Ctrl + ,", does: "Next / previous node of the active tree", id: "nextNode",
    match: [{ key: ".", ctrl: true }, { key: ",", ctrl: true, id: "previousNode" }] },
  { section: "Skeleton", keys: "Ctrl + arrow keys", does: "Move the active node in the plane", id: "moveNode",
    match: ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"].map((key) => ({ key, ctrl: true })) },
  { section: "Skeleton", keys: "N / P", does: "Next / previous comment", id: "nextComment",
    match: [{ key: "n" }, { key: "p", id: "previousComment" }] },
  { section: "Skeleton", keys: "1", does: "Show or hide all trees", id: "toggleTrees", match: [{ key: "1" }] },
  { section: "Skeleton", keys: "2", does: "Show or hide the trees other than the active one", id: "toggleInactiveTrees", match: [{ key: "2" }] },

  { section: "Volume", keys: "Drag (Brush tool)", does: "Paint the active segment" },
  { section: "Volume", keys: "C (Brush tool)", does: "New segment (an id not used yet)" },
];

/** The command `event` asks for, or null: [{id, …}] entries are matched on key and modifiers. */
export function commandFor(event, shortcuts = SHORTCUTS) {
  const ctrl = event.ctrlKey || event.metaKey;
  for (const entry of shortcuts) {
    for (const m of entry.match || []) {
      const key = m.key.length === 1 ? event.key.toLowerCase() === m.key.toLowerCase() : event.key === m.key;
      if (!key || Boolean(m.ctrl) !== ctrl || Boolean(m.alt) !== event.altKey) continue;
      if (m.shift !== null && Boolean(m.shift) !== event.shiftKey) continue; // null: either ("?" needs Shift on most layouts)
      return m.id || entry.id;
    }
  }
  return null;
}

function typingIn(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

/** Runs `handlers[command]()` for the page's shortcuts (not while typing in a field); answers an unbind function. */
export function bindShortcuts(handlers, target = window) {
  const onKey = (event) => {
    if (typingIn(event.target)) return;
    const command = commandFor(event);
    if (!command || !handlers[command]) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    handlers[command](event);
  };
  target.addEventListener("keydown", onKey);
  return () => target.removeEventListener("keydown", onKey);
}
