// The review pages' behaviour, a static file so the content security policy can forbid inline
// scripts: a recomputation's progress (members done / members), polled until it is done; and a
// rejection that asks for its reason before the form is sent (the server insists as well).
(function () {
  function poll(box) {
    fetch(box.dataset.progressUrl, { credentials: "same-origin" })
      .then((response) => response.json())
      .then((state) => {
        box.querySelector("[data-done]").textContent = state.done;
        box.querySelector("[data-total]").textContent = state.total;
        const bar = box.querySelector("progress");
        bar.max = state.total;
        bar.value = state.done;
        if (state.finished) {
          window.location.reload();
        } else {
          window.setTimeout(() => poll(box), 1000);
        }
      })
      .catch(() => window.setTimeout(() => poll(box), 3000));
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-progress-url]").forEach((box) => poll(box));
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-needs-reason]");
    if (!button) {
      return;
    }
    const reason = button.form.querySelector("textarea[name=comment]");
    if (!reason.value.trim()) {
      event.preventDefault();
      reason.setCustomValidity(reason.dataset.message || "A rejection needs a reason.");
      reason.reportValidity();
      reason.addEventListener("input", () => reason.setCustomValidity(""), { once: true });
    }
  });
})();
