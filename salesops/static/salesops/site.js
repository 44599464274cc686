// Behaviour shared by every page, kept out of the HTML so the content security policy can
// forbid inline scripts: a <select data-submit-on-change> submits its form when changed.
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-submit-on-change]")) {
    event.target.form.submit();
  }
});
