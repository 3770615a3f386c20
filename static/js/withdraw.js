// The withdrawal form, improved when scripts run (without them every field is shown and
// the server checks everything): only the chosen method's details are shown, and the
// IBAN's shape and mod-97 check digits are checked as it is typed. The server's check
// stays the rule.
(function () {
  "use strict";
  var form = document.querySelector('form[action="/wallet/withdraw/"]');
  if (!form) return;

  function chosenMethod() {
    var checked = form.querySelector('input[name="method"]:checked');
    return checked ? checked.value : "bank_transfer";
  }

  function showChosen() {
    var method = chosenMethod();
    form.querySelectorAll("fieldset[data-method]").forEach(function (fieldset) {
      fieldset.hidden = fieldset.getAttribute("data-method") !== method;
    });
  }

  // ISO 13616: move the first four characters to the end, letters become 10..35, mod 97 == 1.
  function ibanProblem(raw) {
    var iban = raw.replace(/\s+/g, "").toUpperCase();
    if (!iban) return "";
    if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(iban)) {
      return "An IBAN is a country code, two check digits and up to 30 letters or digits.";
    }
    var moved = iban.slice(4) + iban.slice(0, 4);
    var remainder = 0;
    for (var i = 0; i < moved.length; i++) {
      var code = moved.charCodeAt(i);
      var digits = code >= 65 ? String(code - 55) : moved[i];
      for (var j = 0; j < digits.length; j++) {
        remainder = (remainder * 10 + Number(digits[j])) % 97;
      }
    }
    return remainder === 1 ? "" : "The IBAN check digits are wrong: please check it.";
  }

  var iban = form.querySelector("#id_iban");
  var live = form.querySelector("#iban-live");
  if (iban && live) {
    iban.addEventListener("input", function () {
      var problem = ibanProblem(iban.value);
      live.textContent = problem;
      iban.setAttribute("aria-invalid", problem ? "true" : "false");
    });
  }
  form.querySelectorAll('input[name="method"]').forEach(function (radio) {
    radio.addEventListener("change", showChosen);
  });
  showChosen();
})();
