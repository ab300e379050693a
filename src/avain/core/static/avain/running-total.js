// The plan editor's running total: as the client types amounts, the "In your plan now" and "Not yet planned"
// figures follow, and a message says when the plan goes over the budget. Only a help while typing: the server
// checks the amounts again on save, and the page works without this script.
(function () {
  "use strict";
  var cards = document.querySelector("[data-running-total]");
  if (!cards) return;
  var firstAmount = document.querySelector("input[name$='-amount']");
  if (!firstAmount) return;
  var form = firstAmount.form;
  var over = document.querySelector("[data-over]");
  var money = new Intl.NumberFormat(document.documentElement.lang || "fi", { style: "currency", currency: "EUR" });

  // Amounts in cents, so that adding them up is exact. Accepts "1 234,50", "1234.5" and "1,234.50".
  function cents(text) {
    var value = String(text).replace(/[\s\u00a0\u202f€]/g, "");
    if (!value) return 0;
    var decimal = Math.max(value.lastIndexOf(","), value.lastIndexOf("."));
    var whole = decimal < 0 ? value : value.slice(0, decimal);
    var fraction = decimal < 0 ? "" : value.slice(decimal + 1);
    whole = whole.replace(/[.,]/g, "");
    if (!/^\d*$/.test(whole) || !/^\d{0,2}$/.test(fraction)) return NaN;
    return Number(whole || "0") * 100 + Number((fraction + "00").slice(0, 2));
  }

  function update() {
    var total = 0;
    var inputs = form.querySelectorAll("input[name$='-amount']");
    for (var i = 0; i < inputs.length; i++) {
      var remove = form.querySelector("input[name='" + inputs[i].name.replace(/amount$/, "DELETE") + "']");
      if (remove && remove.checked) continue;
      var amount = cents(inputs[i].value);
      if (!isNaN(amount)) total += amount;
    }
    var left = cents(cards.dataset.budget) - total;
    cards.querySelector("[data-total]").textContent = money.format(total / 100);
    cards.querySelector("[data-left]").textContent = money.format(left / 100);
    over.textContent = left < 0 ? cards.dataset.overText : "";
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
})();
