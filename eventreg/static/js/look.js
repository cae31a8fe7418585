// The accent colour's picker and its text field show the same colour; the text is sent.
"use strict";
const COLOUR = /^#[0-9a-f]{6}$/i;
for (const picker of document.querySelectorAll("input[data-color-text]")) {
  const text = document.getElementById(picker.dataset.colorText);
  if (!text) continue;
  picker.closest("[hidden]")?.removeAttribute("hidden");
  if (COLOUR.test(text.value.trim())) picker.value = text.value.trim();
  picker.addEventListener("input", () => { text.value = picker.value; });
  text.addEventListener("input", () => {
    if (COLOUR.test(text.value.trim())) picker.value = text.value.trim();
  });
}
