// The owner's actions on the annotation page, as webKnossos' annotation "Share" modal and name field do them:
// the Share dialog (visibility, shared teams, the sharing link) and Rename (name and description).
// The page renders them for the owner only; the server refuses anyone else anyway.

import { api } from "/static/api.js";
import { copyText, showStatus } from "/static/common.js";
import { currentViewHash, setUpShorten, withView } from "/static/share_links.js";

const $ = (id) => document.getElementById(id);

const LINK_HINTS = {
  Private: "Only you can open this link (and your teams' managers and your organization's admins).",
  Internal: "Every member of your organization can open this link once logged in (the image data shows to those who may read the dataset).",
  Public: "Anyone with this link can open it, without an account.",
};
const TOKEN_HINT = " It carries the dataset's sharing token, so the image data shows too.";
const NO_TOKEN_HINT = " The dataset has no sharing link now, so visitors without access see no image data: Save adds one.";

function annotationUrl(id) {
  return `/api/annotations/${encodeURIComponent(id)}`;
}

function showVisibility(visibility) {
  const badge = $("visibility-badge");
  if (!badge) return;
  badge.textContent = visibility;
  badge.className = `badge ${visibility.toLowerCase()}`;
}

function sameSet(a, b) {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** A public annotation on a private dataset needs the dataset's sharing link in its URL, or nobody without
 * an account sees image data. Reading the info never creates that link (no GET changes anything), so the
 * owner's Save asks for it explicitly. */
async function addDatasetLinkIfMissing(info) {
  if (!info.datasetLinkMissing) return;
  await api("POST", `/api/datasets/${encodeURIComponent(info.datasetId)}/sharingToken`);
}

/** The Share dialog: the owner chooses, then saves; what it shows afterwards is what the server answers. */
function setUpShare() {
  const dialog = $("share-dialog");
  const button = $("share-button");
  if (!dialog || !button) return;
  const base = annotationUrl(dialog.dataset.annotationId);
  const status = $("share-status");
  const save = $("share-save");
  const radios = [...dialog.querySelectorAll("input[name=visibility]")];
  const boxes = [...dialog.querySelectorAll("input[name=team]")];
  const chosen = () => radios.find((r) => r.checked)?.value;
  const ticked = () => boxes.filter((b) => b.checked).map((b) => b.value);
  let saved = { visibility: chosen(), teams: ticked() };
  // The teams chosen last while not Private: making it Private removes them on the server (spec), and going
  // back to Internal or Public in this page ticks them again rather than starting from none.
  let lastTeams = saved.visibility === "Private" ? [] : saved.teams;
  const resetShort = setUpShorten({ button: $("share-shorten"), source: $("share-url"), target: $("share-short-url"),
    row: $("share-short-row"), status });

  const reflectChoice = () => {
    const isPrivate = chosen() === "Private";
    for (const box of boxes) box.disabled = isPrivate;
    $("share-teams-private").hidden = !isPrivate;
  };
  const restoreTeams = () => {
    if (chosen() === "Private" || ticked().length) return;
    for (const box of boxes) box.checked = lastTeams.includes(box.value);
  };
  const show = (info) => {
    const teamIds = info.teams.map((t) => t.id);
    for (const radio of radios) radio.checked = radio.value === info.visibility;
    for (const box of boxes) box.checked = teamIds.includes(box.value);
    // The link carries the view (position, rotation, zoom, active node) as the address bar does.
    const url = info.sharingUrl || "";
    const view = currentViewHash();
    $("share-url").value = withView(url, view);
    $("share-view-hint").hidden = !view;
    resetShort();
    $("share-url-hint").textContent = (LINK_HINTS[info.visibility] || "") + (url.includes("?token=") ? TOKEN_HINT : "")
      + (info.datasetLinkMissing ? NO_TOKEN_HINT : "");
    saved = { visibility: info.visibility, teams: teamIds };
    if (info.visibility !== "Private") lastTeams = teamIds;
    reflectChoice();
    showVisibility(info.visibility);
  };
  const refresh = async () => show(await api("GET", `${base}/info`));

  button.addEventListener("click", async () => {
    showStatus(status, "Loading…", "busy");
    dialog.showModal();
    try {
      await refresh();
      showStatus(status, "", "ok");
    } catch (error) {
      showStatus(status, `Could not load the sharing settings: ${error.message}`, "error");
    }
  });
  $("share-close").addEventListener("click", () => dialog.close());
  // A click on the backdrop (the dialog element itself, outside its content) closes it too.
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
  for (const radio of radios) radio.addEventListener("change", () => { restoreTeams(); reflectChoice(); });

  save.addEventListener("click", async () => {
    const visibility = chosen();
    const teams = ticked();
    save.disabled = true;
    showStatus(status, "Saving…", "busy");
    try {
      if (visibility !== saved.visibility) await api("PATCH", base, { visibility });
      if (visibility !== "Private" && !sameSet(teams, saved.teams)) await api("PATCH", `${base}/sharedTeams`, teams);
      await addDatasetLinkIfMissing(await api("GET", `${base}/info`));
      await refresh();
      showStatus(status, "Saved.", "ok");
    } catch (error) {
      await refresh().catch(() => {});
      showStatus(status, `Not saved: ${error.message}`, "error");
    } finally {
      save.disabled = false;
    }
  });

  $("share-copy").addEventListener("click", async () => {
    const input = $("share-url");
    const ok = await copyText(input.value, input);
    showStatus(status, ok ? "Link copied to the clipboard." : "Copy failed; select the link and copy it by hand.", ok ? "ok" : "error");
  });
}

/** Rename: a panel under the title with the name and description; saving updates the title and the sidebar. */
function setUpRename() {
  const form = $("rename-form");
  const button = $("rename-button");
  if (!form || !button) return;
  const base = annotationUrl(form.dataset.annotationId);
  const name = $("rename-name");
  const description = $("rename-description");
  const status = $("rename-status");
  let saved = { name: name.value, description: description.value };

  const toggle = (open) => {
    form.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) name.focus();
    else button.focus();
  };
  const cancel = () => {
    name.value = saved.name;
    description.value = saved.description;
    showStatus(status, "", "ok");
    toggle(false);
  };
  button.addEventListener("click", () => (form.hidden ? toggle(true) : cancel()));
  $("rename-cancel").addEventListener("click", cancel);
  form.addEventListener("keydown", (event) => { if (event.key === "Escape") cancel(); });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    showStatus(status, "Saving…", "busy");
    try {
      const info = await api("PATCH", base, { name: name.value, description: description.value });
      saved = { name: info.name, description: info.description || "" };
      name.value = saved.name;
      description.value = saved.description;
      showName(info);
      // The new title is the confirmation; the panel closes so the viewer moves back up.
      showStatus(status, "", "ok");
      toggle(false);
    } catch (error) {
      showStatus(status, `Not saved: ${error.message}`, "error");
    } finally {
      submit.disabled = false;
    }
  });
}

function showName(info) {
  const title = info.name || "Unnamed annotation";
  $("annotation-name").textContent = title;
  document.title = `${title} · voxelhub`;
  const paragraph = $("annotation-description");
  if (paragraph) {
    paragraph.textContent = info.description || "";
    paragraph.hidden = !info.description;
  }
}

setUpShare();
setUpRename();
