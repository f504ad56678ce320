// Beside a weight in pounds or a height in inches, the kilograms or centimetres the record will
// store (the server converts the same way: intake/units.py).
(function () {
  var factors = { "lb-kg": 1 / 2.20462, "in-cm": 2.54 };
  var units = { "lb-kg": "kg", "in-cm": "cm" };
  document.querySelectorAll("output[data-convert]").forEach(function (output) {
    var kind = output.getAttribute("data-convert");
    var input = document.getElementById(output.htmlFor.value);
    if (!input || !factors[kind]) return;
    function update() {
      var value = parseFloat(input.value);
      output.textContent =
        isNaN(value) || value <= 0
          ? ""
          : "= " + (value * factors[kind]).toFixed(1) + " " + units[kind];
    }
    input.addEventListener("input", update);
    update();
  });
})();
