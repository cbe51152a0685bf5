// A thumbnail that cannot be loaded gives way to a neutral placeholder instead of a broken image.
function markBroken(img) {
  img.closest(".card-image")?.classList.add("no-thumb");
}

for (const img of document.querySelectorAll("img.thumb")) {
  if (img.complete && img.naturalWidth === 0) markBroken(img);
  else {
    img.addEventListener("error", () => markBroken(img));
    img.addEventListener("load", () => img.closest(".card-image")?.classList.add("has-thumb"));
    if (img.complete) img.closest(".card-image")?.classList.add("has-thumb");
  }
}
for (const box of document.querySelectorAll(".card-image")) {
  if (!box.querySelector("img.thumb")) box.classList.add("no-thumb");
}
