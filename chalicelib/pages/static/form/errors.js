// Errors next to their fields (`[data-error-for]`, already named by each control's
// aria-describedby), the summary in the alert, and focus on the first field to fix, so a screen
// reader reads its label and its error at once.

function owner(form, path) {
  // The longest field path that starts the error's path: `answers.days.0` belongs to `answers.days`.
  let best = null;
  for (const slot of form.querySelectorAll("[data-error-for]")) {
    const candidate = slot.dataset.errorFor;
    if ((path === candidate || path.startsWith(`${candidate}.`)) &&
        (!best || candidate.length > best.dataset.errorFor.length)) {
      best = slot;
    }
  }
  return best;
}

function controlsOf(slot) {
  return Array.from(slot.closest("[data-path]").querySelectorAll("input, select, textarea"));
}

export function clearErrors(form, alert) {
  for (const slot of form.querySelectorAll("[data-error-for]")) {
    slot.textContent = "";
    controlsOf(slot).forEach((control) => control.removeAttribute("aria-invalid"));
  }
  alert.textContent = "";
  alert.hidden = true;
}

export function showAlert(alert, text) {
  alert.textContent = text;
  alert.hidden = false;
}

// Place the details; those about no field shown go to the alert after `summary`. Focus moves to
// the first field in the page's order with an error, or to the alert when none has one.
export function showErrors(form, alert, details, summary) {
  const elsewhere = [];
  for (const detail of details) {
    const slot = owner(form, String(detail.field || ""));
    if (!slot || slot.closest("[data-path]").hidden) {
      elsewhere.push(detail.message);
    } else if (!slot.textContent) {
      slot.textContent = detail.message;
      controlsOf(slot).forEach((control) => control.setAttribute("aria-invalid", "true"));
    }
  }
  showAlert(alert, [summary, ...elsewhere].filter(Boolean).join(" "));
  const first = form.querySelector("[aria-invalid=true]:not(:disabled)");
  (first || alert).focus();
}
