import { api } from "/static/api.js";
import { localTarget, withFragment } from "/static/common.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await api("POST", "/api/auth/login", { email: form.email.value.trim(), password: form.password.value });
    window.location.assign(localTarget(withFragment(form.dataset.next, window.location.hash)));
  } catch (e) {
    error.textContent = e.message || "Login failed.";
    error.hidden = false;
    form.password.select();
  } finally {
    button.disabled = false;
  }
});
