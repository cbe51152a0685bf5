// Small pieces shared by the viewer pages: the collapsible sidebar and plain messages in place of the viewer.

export function showMessage(root, text, kind = "error") {
  const box = document.createElement("div");
  box.className = `vx-message ${kind}`;
  box.textContent = text;
  root.replaceChildren(box);
  root.dataset.state = "message";
}

/** The sidebar's toggle button; the choice is remembered for the next page. */
export function setUpSidebar() {
  const layout = document.querySelector(".vx-layout");
  const button = document.getElementById("sidebar-toggle");
  if (!layout || !button) return;
  const apply = (collapsed) => {
    layout.classList.toggle("sidebar-collapsed", collapsed);
    button.setAttribute("aria-expanded", String(!collapsed));
    button.textContent = collapsed ? "Show details" : "Hide details";
  };
  let collapsed = false;
  try { collapsed = localStorage.getItem("voxelhub.sidebar") === "collapsed"; } catch { collapsed = false; }
  apply(collapsed);
  button.addEventListener("click", () => {
    collapsed = !collapsed;
    apply(collapsed);
    try { localStorage.setItem("voxelhub.sidebar", collapsed ? "collapsed" : "open"); } catch { /* private mode */ }
    window.dispatchEvent(new Event("resize"));
  });
}
