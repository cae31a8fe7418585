// The message preview: load the HTML version of the e-mail into its frame at once
// (without scripts, the form's own button does it).
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    form.submit();
  }
});
