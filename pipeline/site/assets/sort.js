/* Sortable tables (ours, no library): every <table class="sortable"> gets a button in each header cell,
 * so sorting works from the keyboard (Tab to a header, Enter); aria-sort says the order. Without
 * JavaScript the tables read as they were built. A cell's data-sort holds its value when the text differs. */
document.querySelectorAll("table.sortable").forEach((table) => {
  const heads = [...table.tHead.rows[0].cells];
  heads.forEach((th, column) => {
    const button = document.createElement("button");
    button.type = "button";
    button.append(...th.childNodes);
    th.append(button);
    button.addEventListener("click", () => {
      const descending = th.getAttribute("aria-sort") === "ascending";
      heads.forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      const value = (row) => { const c = row.cells[column]; return c.dataset.sort ?? c.textContent.trim(); };
      const rows = [...table.tBodies[0].rows];
      const numeric = rows.every((r) => value(r) === "" || !isNaN(Number(value(r))));
      rows.sort((a, b) => {
        const x = value(a), y = value(b);
        const order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
        return descending ? -order : order;
      });
      table.tBodies[0].append(...rows);
    });
  });
});
