// The provider's invoice form: choosing an agreement on a line fills in the agreed price per unit, unless the
// provider already typed a price there. Only a help: an empty price is the agreed price on the server too, and the
// page works without this script.
(function () {
  "use strict";
  var form = document.querySelector("[data-agreement-lines]");
  var data = document.getElementById("agreed-prices");
  if (!form || !data) return;
  var prices = JSON.parse(data.textContent);

  function priceInput(select) {
    return form.querySelector("input[name='" + select.name.replace(/agreement$/, "unit_price") + "']");
  }

  form.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[name$='-agreement']")) return;
    var input = priceInput(select);
    if (!input) return;
    // Replace only a price this script filled in itself, never one the provider typed.
    if (input.value && input.dataset.filled !== input.value) return;
    var price = prices[select.value] || "";
    input.value = price;
    input.dataset.filled = price;
  });
})();
