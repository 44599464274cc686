// The review pages' behaviour, a static file so the content security policy can forbid inline
// scripts: a recomputation's progress (members done / members), polled until it is done; and a
// rejection that asks for its reason before the form is sent (the server insists as well).
(function () {
  // A computation under way, or one just asked for (data-waiting): the numbers follow it, and
  // the page is drawn again once it is done. A request that found nobody to redo ends with the
  // run as it was: after a few looks the page is drawn again all the same.
  function poll(box, looks) {
    fetch(box.dataset.progressUrl, { credentials: "same-origin" })
      .then((response) => response.json())
      .then((state) => {
        box.querySelector("[data-done]").textContent = state.done;
        box.querySelector("[data-total]").textContent = state.total;
        const bar = box.querySelector("progress");
        bar.max = state.total;
        bar.value = state.done;
        const started = state.generation !== Number(box.dataset.generation) || !state.finished;
        if (state.status === "draft" && box.dataset.computing) {
          box.querySelector("[data-state]").textContent = box.dataset.computing;
        }
        const waiting = "waiting" in box.dataset && !started && looks < 5;
        if (state.finished && !waiting) {
          const url = new URL(window.location.href);
          url.searchParams.delete("recomputing");
          url.hash = "";
          window.location.replace(url.toString());
        } else {
          window.setTimeout(() => poll(box, looks + 1), 1000);
        }
      })
      .catch(() => window.setTimeout(() => poll(box, looks + 1), 3000));
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-progress-url]").forEach((box) => poll(box, 0));
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-needs-reason]");
    if (!button) {
      return;
    }
    const reason = button.form.querySelector("textarea[name=comment]");
    if (!reason.value.trim()) {
      event.preventDefault();
      reason.setCustomValidity(reason.dataset.message);
      reason.reportValidity();
      reason.addEventListener("input", () => reason.setCustomValidity(""), { once: true });
    }
  });
})();
