// Pre-fills the "show times in my time zone" form with the browser's own IANA zone,
// so that one click shows the conference's times on the viewer's clock as well.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) {
    return;
  }
  document.querySelectorAll("form[data-local-zone] input[name=tz]").forEach(function (input) {
    if (!input.value) {
      input.value = zone;
    }
  });
})();
