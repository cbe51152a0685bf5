// The owner's tools on the annotation page: Move, Skeleton and Brush, Undo and Redo, and the keyboard shortcuts.
// Skeleton edits go through a SkeletonEditor (skeleton_tools.js), brush strokes through the volume layers
// (volume_tools.js); both put an entry on one undo stack, and an undo is saved like any edit, so the server's
// history shows it. A save refused because the annotation changed elsewhere reloads it and empties the stack.

import { bindShortcuts } from "./shortcuts.js";
import { SkeletonEditor, SkeletonSaver } from "./skeleton_tools.js";
import { UndoStack } from "./undo.js";
import { brushControls, brushOutline } from "./volume_tools.js";
import { el } from "/static/common.js";

const TOOLS = ["move", "skeleton", "brush"];

/** Buttons of which one is pressed: the tool that takes clicks and drags on the planes. */
function toolPicker(onChange) {
  const picker = {
    current: null,
    buttons: new Map(),
    add(name, button) {
      picker.buttons.set(name, button);
      button.addEventListener("click", () => picker.set(name));
    },
    set(name) {
      picker.current = name;
      for (const [other, button] of picker.buttons) button.setAttribute("aria-pressed", String(other === name));
      onChange(name);
    },
    /** W / Shift+W: the next (previous) tool the page has. */
    cycle(step) {
      const names = TOOLS.filter((n) => picker.buttons.has(n));
      const i = names.indexOf(picker.current);
      picker.set(names[(i + step + names.length) % names.length]);
    },
  };
  return picker;
}

function saveStatus(page) {
  const status = el("span", { className: "vx-save", id: "save-status", role: "status" });
  // "All changes saved" from one saver while another still has work to send would be a lie.
  return [status, (text, kind) => {
    if (kind === "ok" && page.savers().some((s) => s.pending)) return;
    status.textContent = text;
    status.dataset.kind = kind;
    page.viewer.statusText.dataset.saving = kind;
  }];
}

function button(id, text, title) {
  return el("button", { type: "button", className: "vx-button", id, title }, text);
}

/** Undo and Redo buttons, enabled while the stack has something to give. */
function undoButtons(page) {
  const undo = button("undo", "Undo", "Undo the last edit (Ctrl+Z)");
  const redo = button("redo", "Redo", "Redo what was undone (Ctrl+Shift+Z or Ctrl+Y)");
  const run = (how) => page.undo[how]().catch((error) => page.setState(`Could not ${how}: ${error.message}`, "error"));
  undo.addEventListener("click", () => run("undo"));
  redo.addEventListener("click", () => run("redo"));
  const reflect = () => {
    undo.disabled = !page.undo.canUndo;
    redo.disabled = !page.undo.canRedo;
    undo.title = page.undo.done.length ? `Undo ${page.undo.done.at(-1).label} (Ctrl+Z)` : "Nothing to undo";
  };
  page.undo.addEventListener("change", reflect);
  reflect();
  return [undo, redo, run];
}

export function setUpEditing(page, { onRecover, helpToggle }) {
  const { viewer, api, info, skeleton } = page;
  const [status, setState] = saveStatus(page);
  page.setState = setState;
  page.undo = new UndoStack();
  const saver = new SkeletonSaver(api, info.id, page.turns, { onState: setState, onFailure: (e) => onRecover(e) });
  const editor = new SkeletonEditor({ skeleton, saver, undo: page.undo, viewer, onChange: () => page.refreshTrees(true) });
  page.editor = editor;
  const moveButton = button("tool-move", "Move", "Move tool: click sets the position");
  const skeletonButton = button("tool-skeleton", "Skeleton", "Skeleton tool: click adds a node, or selects the node under it");
  const newTree = button("new-tree", "New tree", "Start a new tree (C)");
  const deleteNode = button("delete-node", "Delete node", "Delete the active node (Delete)");
  const [undoButton, redoButton, runUndo] = undoButtons(page);
  const tools = toolPicker((name) => page.onTool(name));
  page.tools = tools;
  tools.add("move", moveButton);
  tools.add("skeleton", skeletonButton);
  tools.set("skeleton");
  newTree.addEventListener("click", () => editor.createTree());
  deleteNode.addEventListener("click", () => editor.deleteActiveNode());
  viewer.onVoxelClick = (voxel, plane) => {
    if (tools.current !== "skeleton") return false;
    editor.click(voxel, plane);
    return true;
  };
  viewer.toolSlot.append(moveButton, skeletonButton, newTree, deleteNode, undoButton, redoButton, status);
  page.skeletonSaver = saver;
  const brush = setUpVolumeEditing(page, status);
  bindShortcuts({
    undo: () => runUndo("undo"),
    redo: () => runUndo("redo"),
    help: helpToggle,
    nextTool: () => tools.cycle(1),
    previousTool: () => tools.cycle(-1),
    create: () => (tools.current === "brush" ? brush.newSegment() : editor.createTree()),
    deleteNode: () => editor.deleteActiveNode(),
    branchPoint: () => editor.setBranchPoint(),
    jumpBranchPoint: () => editor.jumpToBranchPoint(),
    centreNode: () => editor.centreActiveNode(),
    moveNode: (event) => editor.moveActiveNode(event.key, viewer.activePlane),
    save: () => saveNow(page),
    nextNode: () => editor.stepNode(1),
    previousNode: () => editor.stepNode(-1),
    nextComment: () => editor.stepComment(1),
    previousComment: () => editor.stepComment(-1),
    toggleTrees: () => editor.toggleAllTrees(),
    toggleInactiveTrees: () => editor.toggleInactiveTrees(),
  });
  return saver;
}

/** Ctrl+S: paint waiting for its short delay is sent at once (skeleton edits never wait). */
function saveNow(page) {
  for (const entry of page.volumes.entries) if (entry.saver) entry.saver.flush();
  if (!page.savers().some((s) => s.pending)) page.setState("All changes saved", "ok");
}

/** The brush (once there is a volume layer to paint into) or else the button that adds one. */
function setUpVolumeEditing(page, status) {
  const { viewer, volumes } = page;
  const brush = brushControls(volumes);
  const brushButton = button("tool-brush", "Brush", "Brush tool: drag paints the segment in the plane");
  const addVolume = button("add-volume", "Add volume layer", "Add a volume layer to paint segments into");
  page.onTool = (name) => {
    brush.element.hidden = name !== "brush";
    viewer.planeOverlay = name === "brush" ? brushOutline(brush) : null;
    viewer.requestRender();
  };
  const enableBrush = () => {
    addVolume.remove();
    page.tools.add("brush", brushButton);
    status.before(brushButton, brush.element);
  };
  addVolume.addEventListener("click", async () => {
    addVolume.disabled = true;
    try {
      const json = await page.api.postJson(`/api/annotations/${encodeURIComponent(page.info.id)}/volumes`, { name: "Volume" });
      volumes.add(json);
      enableBrush();
      page.tools.set("brush");
    } catch (error) {
      addVolume.disabled = false;
      page.setState(`Could not add a volume layer: ${error.message}`, "error");
    }
  });
  viewer.onVoxelDrag = brushStroke(page, brush);
  page.onTool(page.tools.current);
  if (volumes.active) enableBrush();
  else status.before(addVolume);
  return brush;
}

/** Drags with the brush: each move paints the stretch from the last position, so fast drags leave no gaps; the
 * whole drag is one undo entry. */
function brushStroke(page, brush) {
  let last = null;
  return (phase, voxel, plane) => {
    if (page.tools.current !== "brush") return false;
    if (phase === "start") {
      page.volumes.beginStroke();
      if (!page.volumes.paint(voxel, voxel, plane, brush.radius, brush.erase, voxel)) {
        page.volumes.endStroke();
        return false;
      }
      last = voxel;
    } else if (phase === "move" && last) {
      page.volumes.paint(last, voxel, plane, brush.radius, brush.erase);
      last = voxel;
    } else if (phase === "end") {
      last = null;
      page.volumes.endStroke().then((entry) => {
        if (entry) page.undo.record(entry);
      });
    }
    return true;
  };
}
