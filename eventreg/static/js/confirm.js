// Destructive actions ask first: a form with data-confirm="question" is sent only once the
// question is answered with the confirm button of a modal <dialog>.
//
//   <form method="post" data-confirm="Cancel the registration of Li Na?"
//         data-confirm-button="Cancel the registration">
//
// data-confirm-button labels the confirm button ("Confirm" without it), data-confirm-cancel
// the button that keeps things as they are ("Cancel"). With data-confirm-unchecked="active"
// the question is asked only when that checkbox, checked when the page loaded, is now
// unchecked (an account being deactivated, not every save of its form).
// Without JavaScript the form is simply sent: the server never relies on this script.
// Load it without defer: its listener must be in place before the first button can be
// pressed, or a quick click while the page is still loading sends the form unasked.
(function () {
  "use strict";
  if (window.eventregConfirm) {
    return; // loaded twice (a page and its layout): one listener is enough
  }
  window.eventregConfirm = true;

  var WORDS = {
    zh: { Cancel: "取消", Confirm: "确认" },
    it: { Cancel: "Annulla", Confirm: "Conferma" },
  };

  function word(text) {
    var lang = (document.documentElement.lang || "en").toLowerCase().split("-")[0];
    return (WORDS[lang] && WORDS[lang][text]) || text;
  }

  var dialog = null;
  var question = null;
  var keepButton = null;
  var confirmButton = null;
  var pending = null; // {form, submitter} while the dialog is open

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.id = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-question");
    question = document.createElement("p");
    question.id = "confirm-dialog-question";
    var actions = document.createElement("p");
    actions.className = "actions";
    keepButton = document.createElement("button");
    keepButton.type = "button";
    keepButton.className = "secondary";
    keepButton.id = "confirm-dialog-cancel";
    confirmButton = document.createElement("button");
    confirmButton.type = "button";
    confirmButton.className = "danger";
    confirmButton.id = "confirm-dialog-confirm";
    actions.appendChild(keepButton);
    actions.appendChild(confirmButton);
    dialog.appendChild(question);
    dialog.appendChild(actions);
    document.body.appendChild(dialog);

    keepButton.addEventListener("click", function () {
      dialog.close("cancel");
    });
    confirmButton.addEventListener("click", function () {
      dialog.close("confirm");
    });
    // Escape closes the dialog as "cancel" (the browser fires "cancel", then "close").
    dialog.addEventListener("close", function () {
      var asked = pending;
      pending = null;
      if (!asked) {
        return;
      }
      if (dialog.returnValue === "confirm") {
        asked.form.dataset.confirmed = "yes";
        if (asked.submitter && typeof asked.form.requestSubmit === "function") {
          asked.form.requestSubmit(asked.submitter);
        } else if (typeof asked.form.requestSubmit === "function") {
          asked.form.requestSubmit();
        } else {
          asked.form.submit();
        }
      } else if (asked.submitter) {
        asked.submitter.focus();
      }
    });
  }

  function needsAsking(form) {
    var name = form.getAttribute("data-confirm-unchecked");
    if (!name) {
      return true;
    }
    var box = form.elements.namedItem(name);
    return Boolean(box && box.defaultChecked && !box.checked);
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) {
        return;
      }
      if (form.dataset.confirmed === "yes") {
        delete form.dataset.confirmed; // asked once for this submission only
        return;
      }
      if (!needsAsking(form) || typeof HTMLDialogElement !== "function") {
        return; // nothing to ask, or a browser without <dialog>: send as without script
      }
      event.preventDefault();
      if (!dialog) {
        build();
      }
      pending = { form: form, submitter: event.submitter || null };
      question.textContent = form.getAttribute("data-confirm");
      keepButton.textContent = form.getAttribute("data-confirm-cancel") || word("Cancel");
      confirmButton.textContent = form.getAttribute("data-confirm-button") || word("Confirm");
      dialog.returnValue = "";
      dialog.showModal();
      keepButton.focus(); // the safe choice first
    },
    true
  );
})();
