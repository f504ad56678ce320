// Crisis resources beside PHQ-9 item 9: shown as soon as it is answered above "Not at all",
// hidden again if the answer goes back to "Not at all". The server draws the box beside the
// question in the same state from the saved answer (and alerts a clinician when the step is
// saved), so without this script the patient sees it after Save.
(function () {
  var box = document.getElementById("crisis-resources");
  if (!box) return;
  var radios = document.querySelectorAll('input[name="phq9_9"]');
  function follow(radio) {
    if (!radio.checked) return;
    var appearing = box.hidden && radio.value !== "0";
    box.hidden = radio.value === "0";
    // On a phone the question may sit at the bottom of the screen: bring the whole box into
    // view so the patient sees it the moment they answer.
    if (appearing) box.scrollIntoView({ block: "nearest" });
  }
  radios.forEach(function (radio) {
    radio.addEventListener("change", function () {
      follow(radio);
    });
    // On a slow connection this script may arrive after the answer was ticked.
    follow(radio);
  });
})();
