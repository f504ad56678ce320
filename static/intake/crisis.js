// Show crisis resources as soon as PHQ-9 item 9 is answered above "Not at all".
// The server shows them too (and alerts a clinician) when the step is saved.
(function () {
  var box = document.getElementById("crisis-resources");
  if (!box) return;
  var radios = document.querySelectorAll('input[name="phq9_9"]');
  function show(radio) {
    if (radio.checked && radio.value !== "0") box.hidden = false;
  }
  radios.forEach(function (radio) {
    radio.addEventListener("change", function () {
      show(radio);
    });
    // On a slow connection this script may arrive after the answer was ticked.
    show(radio);
  });
})();
