// The check-in desk's camera scanner: where the browser has the BarcodeDetector API and a
// camera, a button starts the camera; the first QR code seen fills the code field and
// submits the form. Elsewhere the button stays hidden and staff type, paste (a handheld
// scanner types too) or search by name.
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("code-form");
    var button = document.getElementById("scan-button");
    var video = document.getElementById("scan-video");
    var status = document.getElementById("scan-status");
    var field = document.getElementById("code");
    if (!form || !button || !video || !field) return;
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices ||
        !navigator.mediaDevices.getUserMedia) return;

    var detector;
    try {
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (error) {
      return; // QR codes not supported on this device
    }
    button.hidden = false;
    var stream = null;

    function stop() {
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      video.hidden = true;
    }

    function scan() {
      if (!stream) return;
      detector.detect(video).then(function (codes) {
        if (codes.length && codes[0].rawValue) {
          field.value = codes[0].rawValue;
          stop();
          form.submit();
          return;
        }
        window.setTimeout(scan, 250);
      }).catch(function () { window.setTimeout(scan, 500); });
    }

    button.addEventListener("click", function () {
      if (stream) { stop(); status.textContent = ""; return; }
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          video.hidden = false;
          status.textContent = button.dataset.scanning || "";
          return video.play();
        })
        .then(scan)
        .catch(function () {
          stop();
          status.textContent = button.dataset.denied || "";
        });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
