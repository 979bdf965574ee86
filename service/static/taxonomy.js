// The taxonomy page: list the tags; add, edit (id, name, description, keyword rules), merge and
// delete them through /v1/tags. Every action reloads the list; API errors show where they happened.
import { ApiError, api, el, fail, notify, taxonomy } from "./ktag.js";
import { noticeFor } from "./retrain.js";
import { labelCells } from "./cards.js";

const $ = (id) => document.getElementById(id);
let tags = [];
let focusNext = null; // where the keyboard focus goes after the list is rebuilt

// -- the list ------------------------------------------------------------------------------------
async function load() {
  try {
    const tax = await taxonomy(true);
    tags = tax.tags;
    const notice = noticeFor(tax.retrain); // after an edit, the served model no longer matches
    $("retrain-slot").replaceChildren(...(notice ? [notice] : []));
    $("tax-mode").textContent = tax.exclusive ? "· 단일 태그 (exclusive: one tag per document)" : "· 여러 태그 가능 (multi-label)";
    $("tag-rows").replaceChildren(...(tags.length ? tags.map(row) : [emptyRow()]));
    labelCells($("tag-table"));
    if (focusNext && document.activeElement === document.body) document.querySelector(focusNext)?.focus();
    focusNext = null;
  } catch (error) {
    fail(error);
  }
}

function emptyRow() {
  return el("tr", {}, el("td", { colspan: 5, class: "muted" }, "태그가 없습니다 (no tags yet)"));
}

function row(tag) {
  const label = tag.name || tag.id;
  const actions = [
    el("button", { type: "button", class: "edit", "aria-label": `${label} 편집 (edit)`, onclick: () => openEdit(tag) }, "편집 (edit)"),
    el("button", { type: "button", class: "merge", "aria-label": `${label} 합치기 (merge)`, disabled: tags.length < 2, onclick: () => openMerge(tag) }, "합치기 (merge)"),
    el("button", { type: "button", class: "delete danger", "aria-label": `${label} 삭제 (delete)`, onclick: () => openDelete(tag) }, "삭제 (delete)"),
  ];
  return el("tr", { dataset: { tag: tag.id } },
    el("th", { scope: "row" }, el("span", { class: "tag-name" }, tag.name || "—"), el("code", { class: "tag-id" }, tag.id)),
    el("td", { class: "description" }, tag.description || el("span", { class: "muted" }, "—")),
    el("td", { class: "rules" }, rules(tag.keywords)),
    el("td", { class: "num count" }, el("a", { href: `/documents?tag=${encodeURIComponent(tag.id)}` }, String(tag.documents))),
    el("td", { class: "row-actions" }, actions));
}

function rules(keywords) {
  if (!keywords.length) return el("span", { class: "muted" }, "없음 (none)");
  return el("details", {},
    el("summary", {}, `규칙 ${keywords.length}개 (${keywords.length} rules)`),
    el("ul", {}, keywords.map((k) => el("li", {}, el("code", {}, k)))));
}

// -- shared by the forms -------------------------------------------------------------------------
function describe(error) {
  return error instanceof ApiError ? `${error.message} (${error.status} ${error.code})` : String(error);
}

function showError(form, error) {
  const box = form.querySelector(".error");
  box.hidden = !error;
  box.textContent = error ? describe(error) : "";
  if (error) fail(error);
}

// Run one write; on success close its dialog, say what happened and reload the list.
// Returns the error, or null.
async function submit(form, action) {
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const message = await action();
    showError(form, null);
    form.closest("dialog")?.close();
    notify(message);
    await load();
    return null;
  } catch (error) {
    showError(form, error);
    return error;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

function ruleLines(text) {
  return text.split("\n").map((line) => line.trim()).filter(Boolean);
}

function fillOthers(select, exclude) {
  select.replaceChildren(...tags.filter((t) => t.id !== exclude).map((t) =>
    el("option", { value: t.id }, t.name ? `${t.name} (${t.id})` : t.id)));
}

function openDialog(id, form) {
  showError(form, null);
  $(id).showModal();
}

const quote = (tag) => `「${tag.name || tag.id}」`;
const path = (id) => `/v1/tags/${encodeURIComponent(id)}`;

// -- add -----------------------------------------------------------------------------------------
$("add-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const body = {
    id: $("add-id").value.trim(),
    name: $("add-name").value.trim(),
    description: $("add-description").value.trim(),
    keywords: ruleLines($("add-keywords").value),
  };
  const error = await submit(form, async () => {
    await api("POST", "/v1/tags", { body });
    return `태그 ${body.id} 을(를) 추가했습니다 (tag added)`;
  });
  if (!error) form.reset();
});

// -- edit ----------------------------------------------------------------------------------------
let editing = null;

function openEdit(tag) {
  editing = tag;
  $("edit-id").value = tag.id;
  $("edit-name").value = tag.name;
  $("edit-description").value = tag.description;
  $("edit-keywords").value = tag.keywords.join("\n");
  $("edit-share").value = tag.share ?? "";
  openDialog("edit-dialog", $("edit-form"));
  $("edit-name").focus();
}

function changes(tag) {
  const body = {};
  const id = $("edit-id").value.trim();
  if (id !== tag.id) body.id = id;
  for (const field of ["name", "description"]) {
    const value = $(`edit-${field}`).value.trim();
    if (value !== tag[field].trim()) body[field] = value;
  }
  const keywords = ruleLines($("edit-keywords").value);
  if (keywords.join("\n") !== tag.keywords.join("\n")) body.keywords = keywords;
  const share = $("edit-share").value.trim();
  const stated = share === "" ? null : Number(share);
  if (stated !== (tag.share ?? null)) body.share = Number.isNaN(stated) ? share : stated;  // the API explains a bad value
  return body;
}

$("edit-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const tag = editing;
  const body = changes(tag);
  submit(event.currentTarget, async () => {
    if (!Object.keys(body).length) return "바뀐 것이 없습니다 (nothing changed)";
    const { data } = await api("PATCH", path(tag.id), { body });
    focusNext = `#tag-rows tr[data-tag="${CSS.escape(data.id)}"] button.edit`;
    const renamed = data.id !== tag.id ? ` · ID ${tag.id} → ${data.id}, 문서 ${data.documents}개 (documents followed)` : "";
    return `태그 ${quote(data)} 을(를) 저장했습니다 (saved)${renamed}`;
  });
});

// -- merge ---------------------------------------------------------------------------------------
let merging = null;

function mergeConsequence() {
  const into = tags.find((t) => t.id === $("merge-into").value);
  if (!into || !merging) return;
  $("merge-dialog").querySelector(".consequence").textContent =
    `문서 ${merging.documents}개가 ${quote(into)}(으)로 옮겨지고 ${quote(merging)} 태그는 삭제됩니다. ` +
    `(${merging.documents} document(s) move to ${into.id}; ${merging.id} is deleted.)`;
}

function openMerge(tag) {
  merging = tag;
  $("merge-dialog").querySelector(".lead").textContent = `${quote(tag)} (${tag.id}) 을(를) 다른 태그에 합칩니다 (merge into another tag).`;
  fillOthers($("merge-into"), tag.id);
  mergeConsequence();
  openDialog("merge-dialog", $("merge-form"));
  $("merge-into").focus();
}

$("merge-into").addEventListener("change", mergeConsequence);

$("merge-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const source = merging;
  const into = $("merge-into").value;
  submit(event.currentTarget, async () => {
    const { data } = await api("POST", `${path(source.id)}/merge`, { body: { into } });
    focusNext = `#tag-rows tr[data-tag="${CSS.escape(into)}"] button.merge`;
    return `${source.id} → ${data.into}: 문서 ${data.documents}개를 옮기고 태그를 합쳤습니다 (merged)`;
  });
});

// -- delete --------------------------------------------------------------------------------------
let deleting = null;

function deleteOptions(tag) {
  const used = tag.documents > 0;
  const lead = `${quote(tag)} (${tag.id}) 태그를 삭제합니다. 되돌릴 수 없습니다 (delete this tag: this cannot be undone).`;
  $("delete-dialog").querySelector(".lead").textContent =
    used ? lead : `${lead} 이 태그를 쓰는 문서가 없습니다 (no document uses it).`;
  $("delete-options").hidden = !used;
  $("delete-options").querySelector("legend").textContent = `이 태그를 쓰는 문서 ${tag.documents}개 (${tag.documents} document(s) use it):`;
  fillOthers($("delete-into"), tag.id);
  const alone = tags.length < 2; // no other tag to move the documents to
  $("delete-form").querySelector("input[value=migrate]").disabled = alone;
  $("delete-into").disabled = alone;
  $("delete-form").querySelector(`input[value=${alone ? "drop" : "migrate"}]`).checked = true;
}

function openDelete(tag) {
  deleting = tag;
  deleteOptions(tag);
  openDialog("delete-dialog", $("delete-form"));
  $("delete-form").querySelector(tag.documents > 0 ? "input[name=mode]:checked" : "button[type=submit]").focus();
}

$("delete-into").addEventListener("change", () => { $("delete-form").querySelector("input[value=migrate]").checked = true; });

function deleteQuery() {
  if ($("delete-options").hidden) return "";
  const mode = $("delete-form").querySelector("input[name=mode]:checked").value;
  return mode === "drop" ? "?drop=true" : `?migrate_to=${encodeURIComponent($("delete-into").value)}`;
}

$("delete-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const tag = deleting;
  const error = await submit(form, async () => {
    const { data } = await api("DELETE", path(tag.id) + deleteQuery());
    focusNext = "#tags-title";
    const where = data.migrate_to ? ` → ${data.migrate_to}` : data.dropped ? " (removed from them)" : "";
    return `태그 ${tag.id} 을(를) 삭제했습니다 (deleted) · 문서 ${data.documents}개${where}`;
  });
  if (error instanceof ApiError && error.code === "tag_in_use") {
    await load(); // the count on the page was stale: offer the choices with the current count
    const fresh = tags.find((t) => t.id === tag.id);
    if (fresh) { deleting = fresh; deleteOptions(fresh); }
  }
});

// -- keyboard ------------------------------------------------------------------------------------
for (const dialog of document.querySelectorAll("main dialog")) {
  dialog.querySelector("button.close").addEventListener("click", () => dialog.close());
}
document.querySelector("main").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.form) {
    event.preventDefault();
    event.target.form.requestSubmit();
  }
});

load();
