// The registration form, enhanced: the questions of one category show only while that
// category is chosen, and "Add a colleague" adds rows up to the form's maximum. Without
// JavaScript every question shows (each saying whom it is for) and three colleague rows
// are offered; the server judges the form the same either way.
(function () {
  "use strict";

  function showCategoryQuestions(form) {
    var radios = form.querySelectorAll('input[type="radio"][name="category_id"]');
    if (!radios.length) {
      return; // the category is fixed (a code, an invitation) or there is none to choose
    }
    var questions = form.querySelectorAll(".category-question[data-category]");
    function update() {
      var chosen = form.querySelector('input[name="category_id"]:checked');
      var value = chosen ? chosen.value : null;
      questions.forEach(function (question) {
        question.hidden = question.getAttribute("data-category") !== value;
      });
      // A group of questions all hidden is not shown either.
      var group = form.querySelector(".organizer-questions");
      if (group) {
        group.hidden = !group.querySelector(":scope > .field, .category-question:not([hidden])");
      }
    }
    radios.forEach(function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  }

  function addColleagueRows(form) {
    var rows = form.querySelector(".colleague-rows");
    var template = form.querySelector("#colleague-row-template");
    var button = form.querySelector(".add-colleague");
    if (!rows || !template || !button) {
      return;
    }
    var max = parseInt(rows.getAttribute("data-max"), 10) || 0;
    function count() {
      return rows.querySelectorAll(".colleague-row").length;
    }
    function update() {
      button.hidden = count() >= max;
    }
    button.addEventListener("click", function () {
      var index = count();
      if (index >= max) {
        return;
      }
      var html = template.innerHTML
        .split("__index__").join(String(index))
        .split("__number__").join(String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      var added = rows.lastElementChild.querySelector("input");
      if (added) {
        added.focus();
      }
      update();
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.stacked-form").forEach(function (form) {
      showCategoryQuestions(form);
      addColleagueRows(form);
    });
  });
})();
