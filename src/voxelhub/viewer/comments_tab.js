// The sidebar's comments, as webKnossos' "Comments" tab: a field for the active node's comment (Enter saves,
// empty removes it) and every comment of the skeleton; a click on one makes its node active and moves the view
// there. N and P step through them (shortcuts.js). Without an editor (read only) the list only jumps.

import { el } from "/static/common.js";

/** Sets up the comments section after `anchor`; answers `refresh()`. */
export function commentsTab(anchor, skeleton, viewer, editor = null) {
  if (!anchor) return () => {};
  const list = el("ul", { className: "vx-comments", id: "comment-list" });
  const input = el("input", { type: "text", className: "vx-comment-input", id: "comment-input", maxLength: 4000,
    placeholder: "Comment on the active node", "aria-label": "Comment on the active node" });
  const field = el("div", { className: "vx-comment-field" }, input);
  const section = el("section", { className: "vx-comments-tab", id: "comments-tab" },
    el("h2", {}, "Comments"), editor ? field : null, list);
  anchor.after(section);
  let shownFor = undefined;

  if (editor) {
    const save = () => editor.setComment(input.value);
    input.addEventListener("keydown", (e) => {
      e.stopPropagation(); // typing "c" or "b" here is text, not a shortcut
      if (e.key === "Enter") {
        save();
        input.blur();
      } else if (e.key === "Escape") {
        input.value = skeleton.commentOf(skeleton.activeNodeId) ?? "";
        input.blur();
      }
    });
    input.addEventListener("change", save);
  }
  list.addEventListener("click", (e) => {
    const row = e.target.closest("[data-node-id]");
    if (!row) return;
    const id = Number(row.dataset.nodeId);
    if (editor) editor.selectNode(id, { centre: true });
    else if (skeleton.nodes.has(id)) viewer.setPosition(skeleton.nodes.get(id).position);
  });

  let frame = null;
  const render = () => {
    frame = null;
    const comments = [];
    for (const tree of skeleton.trees.values()) for (const c of tree.comments) comments.push({ ...c, tree });
    comments.sort((a, b) => a.nodeId - b.nodeId);
    list.replaceChildren(...(comments.length ? comments.map((c) => el("li", {
      className: c.nodeId === skeleton.activeNodeId ? "active" : "", dataset: { nodeId: String(c.nodeId) } },
    el("button", { type: "button", className: "vx-link", title: `Go to node ${c.nodeId} (${c.tree.name})` }, `Node ${c.nodeId}`),
    el("span", { className: "vx-comment-text" }, c.content))) : [el("li", { className: "muted" }, "No comments.")]));
    const active = skeleton.activeNodeId;
    input.disabled = !skeleton.nodes.has(active);
    input.placeholder = input.disabled ? "Select a node to comment on it" : `Comment on node ${active}`;
    // The field follows the active node, but never overwrites what is being typed.
    if (shownFor !== active || document.activeElement !== input) {
      input.value = skeleton.commentOf(active) ?? "";
      shownFor = active;
    }
  };
  render();
  return () => {
    if (frame === null) frame = requestAnimationFrame(render);
  };
}
