/* The household valuation page.
 *
 * value = quantity × unit price, rounded half up to the fen, filled in as the valuer types.
 * Computed in whole fen with BigInt, never with floating point: 96.00 × 12,345.67 must give
 * exactly what the server computes with Decimal (the server checks it again). Also: running
 * totals of the entry, rows added to the decoration items, the report preview loaded on demand.
 */
(function () {
  "use strict";

  var PLAIN = /^\s*(\d+)(?:\.(\d{0,2}))?\s*$/;

  /* "96.5" → 9650n (fen); null for anything but a plain number with at most two decimals. */
  function fen(text) {
    var m = PLAIN.exec(text || "");
    if (!m) { return null; }
    return BigInt(m[1]) * 100n + BigInt((m[2] || "").padEnd(2, "0"));
  }

  /* quantity and price in fen: their product is in 1/10 000 yuan; half up to the fen. */
  function product(quantity, price) {
    return (quantity * price + 50n) / 100n;
  }

  function plain(amount) {
    var digits = amount.toString().padStart(3, "0");
    return digits.slice(0, -2) + "." + digits.slice(-2);
  }

  function grouped(amount) {
    var text = plain(amount);
    var whole = text.slice(0, -3).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return whole + text.slice(-3);
  }

  function input(row, role) {
    return row.querySelector("input[data-role='" + role + "']");
  }

  function fillValue(row) {
    var quantity = input(row, "quantity");
    var price = input(row, "price");
    var value = input(row, "value");
    if (!quantity || !price || !value) { return; }
    var q = fen(quantity.value);
    var p = fen(price.value);
    if (q === null || p === null) { return; }
    value.value = plain(product(q, p));
  }

  function sumOf(table) {
    var total = 0n;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var removed = row.querySelector("input[type=checkbox][name$='-DELETE']");
      if (removed && removed.checked) { return; }
      var field = input(row, "value") || input(row, "amount");
      var amount = field ? fen(field.value) : null;
      if (amount !== null) { total += amount; }
    });
    return total;
  }

  function updateTotals(form) {
    var all = 0n;
    form.querySelectorAll("table[data-sum]").forEach(function (table) {
      var total = sumOf(table);
      all += total;
      var cell = form.querySelector("[data-sum-total='" + table.dataset.sum + "']");
      if (cell) { cell.textContent = grouped(total); }
    });
    var loss = form.querySelector("input[data-role='loss']");
    var lossFen = loss ? fen(loss.value) : null;
    if (lossFen !== null) { all += lossFen; }
    var cell = form.querySelector("[data-sum-total='all']");
    if (cell) { cell.textContent = grouped(all); }
  }

  function addRow(form, section) {
    var template = document.getElementById(section + "-empty-row");
    var total = form.querySelector("input[name='" + section + "-TOTAL_FORMS']");
    var body = form.querySelector("tbody[data-rows='" + section + "']");
    if (!template || !total || !body) { return; }
    var index = parseInt(total.value, 10);
    body.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
    total.value = String(index + 1);
    var added = body.lastElementChild;
    var first = added && added.querySelector("input[type=text]");
    if (first) { first.focus(); }
  }

  var form = document.querySelector("form[data-testid='entry-form']");
  if (form) {
    form.addEventListener("input", function (event) {
      var target = event.target;
      var row = target.closest("tr[data-product-row]");
      var role = target.dataset ? target.dataset.role : "";
      if (row && (role === "quantity" || role === "price")) { fillValue(row); }
      updateTotals(form);
    });
    form.addEventListener("change", function () { updateTotals(form); });
    form.querySelectorAll("[data-add-row]").forEach(function (button) {
      button.addEventListener("click", function () {
        addRow(form, button.dataset.addRow);
        updateTotals(form);
      });
    });
    updateTotals(form);
  }

  /* A PDF is fetched (and its reading recorded) only when its preview is opened. */
  document.querySelectorAll("details.zq-pdf").forEach(function (details) {
    details.addEventListener("toggle", function () {
      var frame = details.querySelector("iframe");
      if (details.open && frame && !frame.getAttribute("src")) {
        frame.setAttribute("src", frame.dataset.src);
      }
    });
  });
}());
