// Table rows as cards on a phone (ktag.css `table.cards`): each body cell is labelled with its
// column's heading, which a narrow screen shows above the cell (td::before) in place of the header.
function heading(th) {
  const english = th.querySelector("small");
  const korean = [...th.childNodes].filter((node) => node !== english).map((node) => node.textContent).join("").trim();
  return english ? `${korean} (${english.textContent.trim()})` : korean;
}

export function labelCells(table) {
  const names = [...table.tHead.rows[0].cells].map(heading);
  for (const row of table.tBodies[0].rows) {
    if (row.cells.length !== names.length) continue;  // a row across the table: a chart, a note, "loading"
    [...row.cells].forEach((cell, i) => { cell.dataset.label = names[i]; });
  }
}
