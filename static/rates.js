// Reads a chosen CSV file into the rates box, so that a file exported
// from a bank or a spreadsheet needs no copy and paste. The server checks
// the text exactly as if it had been pasted; without JavaScript the file
// picker stays hidden and pasting still works.
(function () {
  "use strict";
  var input = document.getElementById("rates-file");
  var label = document.getElementById("rates-file-label");
  var box = document.querySelector("textarea.csv-input");
  if (!input || !label || !box || !window.FileReader) {
    return;
  }
  label.hidden = false;
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file) {
      return;
    }
    var reader = new FileReader();
    reader.onload = function () {
      box.value = String(reader.result || "");
      box.focus();
    };
    reader.readAsText(file);
  });
})();
