// The document page: read one document, tick its tags (or take the model's), edit its fields,
// save with If-Match so nobody's edit is overwritten, and see every edit in its history. When
// someone else saved first (412), the person's change is merged into their version and shown
// before it is saved; leaving with unsaved changes asks first.
import { api, describe, el, fail, formatTime, notify, scoreBars, tagBox, tagName, taxonomy } from "./ktag.js";
import { FIELDS as EDITABLE, changeOf, describeChange, fieldValue, isEmpty, merge, shown } from "./merge.js";

const docId = document.getElementById("document").dataset.docId;
const docPath = `/v1/documents/${encodeURIComponent(docId)}`;
const $ = (id) => document.getElementById(id);
// base: the stored version the page's edits start from; merge: a merge shown after a 412.
const current = { base: null, etag: null, tax: null, modelTags: null, merge: null, saving: false };
const INPUTS = { title: "edit-title", source: "edit-source", text: "edit-text" };

// -- loading -------------------------------------------------------------------------------------------
async function loadDocument() {
  let response;
  try {
    [response, current.tax] = await Promise.all([api("GET", docPath), taxonomy()]);
  } catch (error) {
    if (error.status === 404) showMissing(error);
    else fail(error);
    return false;
  }
  current.etag = response.headers.get("ETag");
  buildBoxes();
  showDocument(response.data);
  loadHistory();
  loadModel();
  return true;
}

function showMissing(error) {
  $("doc-title").textContent = "문서를 찾을 수 없습니다 (document not found)";
  $("missing").hidden = false;
  $("missing").replaceChildren(
    el("p", {}, `'${docId}' 문서가 없습니다. 삭제되었거나 주소가 틀렸습니다.`, el("br"),
      el("small", {}, `There is no document '${docId}' (${error.status} ${error.code}).`)),
    el("p", {}, el("a", { href: "/documents" }, "문서 목록으로 (back to the documents)")));
}

// Show a stored version and make it the base: the page holds no edit afterwards.
function showDocument(doc) {
  current.base = doc;
  const firstLine = doc.text.trim().split("\n")[0];
  $("doc-title").textContent = doc.title || (firstLine.length > 80 ? `${firstLine.slice(0, 80)}…` : firstLine);
  $("doc-meta").replaceChildren(
    el("span", { id: "doc-state", class: doc.labelled ? "state labelled" : "state pool" },
      doc.labelled ? "라벨 완료 (labelled)" : "대기 중: 라벨을 기다림 (pool: waiting for labels)"),
    el("span", {}, "버전 (revision) ", el("strong", { id: "doc-revision" }, String(doc.revision))),
    el("span", {}, "출처 (source) ", el("strong", { id: "doc-source" }, doc.source || "-")),
    el("span", {}, "수정 (updated) ", formatTime(doc.updated)),
    el("span", { class: "muted" }, doc.id));
  $("doc-text").textContent = doc.text;
  $("doc-body").hidden = false;
  document.title = `${$("doc-title").textContent} · ktag`;
  setDraft({ tags: doc.tags, ...shown(doc) });
}

// -- the edit on the page: tag checkboxes and the title, source and text fields ------------------------
function buildBoxes() {
  const boxes = $("tag-boxes");
  boxes.querySelectorAll("label").forEach((label) => label.remove());
  boxes.append(...current.tax.tags.map((tag) => tagBox(tag, { name: "tags", onchange: showDirty })));
}

function checkboxes() {
  return Array.from($("tag-boxes").querySelectorAll("input[type=checkbox]"));
}

function chosen() {
  return checkboxes().filter((box) => box.checked).map((box) => box.value);
}

function setChosen(tags) {
  for (const box of checkboxes()) box.checked = tags.includes(box.value);
  showDirty();
}

function draft() {
  const fields = Object.fromEntries(Object.entries(INPUTS).map(([field, id]) => [field, $(id).value]));
  return { tags: chosen(), ...fields };
}

function setDraft(values) {
  for (const [field, id] of Object.entries(INPUTS)) $(id).value = values[field];
  setChosen(values.tags);
}

function unresolved() {
  return current.merge ? current.merge.conflicts.filter((c) => !c.pick) : [];
}

function dirty() {
  return Boolean(current.base) && (!isEmpty(changeOf(current.base, draft())) || unresolved().length > 0);
}

function showDirty() {
  const unsaved = dirty();
  $("dirty").hidden = !unsaved;
  $("discard-button").hidden = !unsaved;
  if (current.merge) showMergeResult();
}

function discard() {
  hideConflict();
  showDocument(current.base);
  notify("변경을 취소했습니다 (changes discarded)");
}

// -- saving --------------------------------------------------------------------------------------------
// The fields that changed, and the tags unless only fields changed (saving the tags as they are
// labels a pool document, as it always has).
function patchBody() {
  const mine = draft();
  const change = changeOf(current.base, mine);
  const body = { ...change.fields };
  if (change.added.length || change.removed.length || !Object.keys(change.fields).length) body.tags = mine.tags;
  return body;
}

async function save() {
  if (current.saving || !current.base) return;
  const open = unresolved();
  if (open.length) {
    notify(`먼저 충돌한 항목을 고르세요: ${open.map((c) => EDITABLE[c.field]).join(", ")} (choose a version of each conflicting field first)`, "error");
    $("merge-conflicts").querySelector("input").focus();
    return;
  }
  const body = patchBody();
  let refused = false;  // 412: someone else saved first
  current.saving = true;
  $("save-button").disabled = true;
  $("merge-save").disabled = true;
  try {
    const response = await api("PATCH", docPath, { body, headers: { "If-Match": current.etag } });
    current.etag = response.headers.get("ETag");
    hideConflict();
    showDocument(response.data);
    notify(`저장했습니다: 버전 ${response.data.revision} (saved, revision ${response.data.revision})`);
    loadHistory();
    if ("text" in body || "title" in body) loadModel();
  } catch (error) {
    if (error.status === 412) refused = true;
    else fail(error);
  } finally {
    current.saving = false;
    $("save-button").disabled = false;
    $("merge-save").disabled = false;
  }
  if (!refused) return;
  current.saving = true;  // no second save while their version is loading
  try {
    await mergeWithTheirs();
  } finally {
    current.saving = false;
  }
}

// -- a conflict: their version, my change on top, shown before saving ---------------------------------------
function hideConflict() {
  current.merge = null;
  $("conflict").hidden = true;
}

async function mergeWithTheirs() {
  const base = current.base;
  const mine = draft();
  $("conflict").hidden = false;
  $("conflict-loading").hidden = false;
  $("conflict-gone").hidden = true;
  $("merge").hidden = true;
  $("conflict").focus();  // role=alert: announced, and it stays until a save succeeds
  let response;
  try {
    response = await api("GET", docPath);
  } catch (error) {
    $("conflict-loading").hidden = true;
    $("conflict-gone").hidden = false;
    $("conflict-gone").textContent = describe(error);
    return;
  }
  const theirs = response.data;
  const result = merge(base, mine, theirs);
  current.etag = response.headers.get("ETag");
  showDocument(theirs);  // the new base ...
  setDraft({ tags: result.tags, ...result.fields });  // ... with my change on top
  current.merge = { ...result, base, theirs };
  $("conflict-loading").hidden = true;
  $("merge").hidden = false;
  const labelled = base.labelled === theirs.labelled ? null
    : `라벨 상태 (labelled): ${base.labelled ? "라벨" : "대기"} → ${theirs.labelled ? "라벨" : "대기"}`;
  $("merge-theirs").replaceChildren(...describeChange(result.theirs, current.tax, labelled));
  $("merge-mine").replaceChildren(...describeChange(result.mine, current.tax));
  $("merge-conflicts").replaceChildren(...result.conflicts.map(conflictChoice));
  showDirty();
  (result.conflicts.length ? $("merge-conflicts").querySelector("input") : $("merge-save")).focus();
  showWho(base.revision, theirs.revision);
}

function conflictChoice(conflict) {
  const pick = (which) => () => {
    conflict.pick = which;
    $(INPUTS[conflict.field]).value = conflict[which];
    showDirty();
  };
  const option = (which, label) => el("label", {},
    el("input", { type: "radio", name: `pick-${conflict.field}`, value: which, onchange: pick(which) }),
    el("span", {}, label, " ", el("span", { class: "value" }, fieldValue(conflict.field, conflict[which]))));
  return el("fieldset", { class: "merge-conflict", dataset: { field: conflict.field } },
    el("legend", {}, `${EDITABLE[conflict.field]}: 둘 다 다르게 바꿨습니다. 저장할 것을 고르세요. `,
      el("small", {}, "Both of you changed this differently: choose the one to keep.")),
    option("mine", "내 것 (mine)"), option("theirs", "그쪽 것 (theirs)"));
}

// The result row follows the page: what a save would store now.
function showMergeResult() {
  const change = changeOf(current.base, draft());
  const open = unresolved();
  $("merge-result").replaceChildren(
    el("span", { class: "result-tags" }, ...chips(chosen(), "chip")),
    ...Object.entries(change.fields).filter(([field]) => !open.some((c) => c.field === field))
      .map(([field, value]) => el("div", { class: "field-change", dataset: { field } }, `${EDITABLE[field]} → ${fieldValue(field, value)}`)),
    ...(open.length ? [el("div", { class: "unresolved" }, `아직 고르지 않음 (not chosen yet): ${open.map((c) => EDITABLE[c.field]).join(", ")}`)] : []));
}

// Who saved the versions after the base (from the history; nothing if it cannot be read).
async function showWho(from, to) {
  const history = await loadHistory();
  const edits = to > from ? (history || []).filter((entry) => entry.action === "update").slice(from - to) : [];
  const names = [...new Set(edits.map((entry) => entry.who))];
  $("merge-who").textContent = names.length ? `· ${names.join(", ")}` : "";
}

// -- the model's suggestions -----------------------------------------------------------------------
async function loadModel() {
  const doc = current.base;
  const body = { text: doc.text, explain: true };
  if (doc.title) body.title = doc.title;
  try {
    const { data } = await api("POST", "/v1/tag", { body, write: false });
    showModel(data);
  } catch (error) {
    $("model-tags").textContent = "모델 제안을 받지 못했습니다 (no suggestions from the model)";
    fail(error);
  }
}

function showModel(result) {
  current.modelTags = result.tags;
  $("model-tags").replaceChildren(result.tags.length
    ? el("span", {}, ...chips(result.tags, "chip model"))
    : el("span", { class: "chip none" }, "기준을 넘은 태그 없음 (no tag passed)"));
  $("model-bars").replaceChildren(scoreBars(result.scores, result.thresholds, current.tax));
  const terms = result.tags.map((t) => `${tagName(current.tax, t)}: ${result.explain[t].up.slice(0, 5).map((u) => u.morpheme).join(", ")}`);
  $("model-terms").textContent = terms.length ? `근거 (morphemes) — ${terms.join(" · ")}` : `모델 (model) ${result.model}`;
  $("apply-model").disabled = false;
}

function applyModel() {
  setChosen(current.modelTags || []);
  notify("모델의 태그를 체크했습니다. 저장하려면 저장을 누르세요 (the model's tags are ticked; save to keep them)");
}

// -- history -------------------------------------------------------------------------------------------
const ACTIONS = { create: "만듦 (created)", import: "가져옴 (imported)", update: "수정 (updated)", delete: "삭제 (deleted)" };
const FIELDS = { title: "제목 (title)", text: "본문 (text)", source: "출처 (source)", labelled: "라벨 상태 (labelled)" };

function chips(tags, className, changed = []) {
  if (!tags.length) return [el("span", { class: "chip none" }, "없음 (none)")];
  return tags.map((t) => el("span", { class: changed.includes(t) ? `${className} changed` : className, dataset: { tag: t }, title: t }, tagName(current.tax, t)));
}

function tagChange(before, after) {
  const old = before ? before.tags : [];
  const now = after ? after.tags : [];
  return el("div", { class: "change" },
    el("span", { class: "before" }, ...(before ? chips(old, "chip", old.filter((t) => !now.includes(t))) : [el("span", { class: "muted" }, "(새 문서 new)")])),
    el("span", { class: "arrow", "aria-label": "→ (became)" }, " → "),
    el("span", { class: "after" }, ...(after ? chips(now, "chip", now.filter((t) => !old.includes(t))) : [el("span", { class: "muted" }, "(삭제됨 deleted)")])));
}

function otherChanges(before, after) {
  if (!before || !after) return null;
  const changed = Object.keys(FIELDS).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  if (!changed.length) return null;
  const say = (k) => (k === "labelled" ? `${FIELDS[k]}: ${before[k] ? "라벨" : "대기"} → ${after[k] ? "라벨" : "대기"}` : FIELDS[k]);
  return el("small", { class: "muted" }, `바뀐 항목 (also changed): ${changed.map(say).join(", ")}`);
}

function historyItem(entry) {
  return el("li", { dataset: { seq: String(entry.seq), action: entry.action, who: entry.who } },
    el("div", { class: "who" },
      el("strong", {}, entry.who), " · ", el("time", { datetime: entry.at }, formatTime(entry.at)), " · ",
      el("span", { class: "action" }, ACTIONS[entry.action] || entry.action)),
    tagChange(entry.before, entry.after),
    otherChanges(entry.before, entry.after));
}

// Shows the history and returns it (null when it could not be read).
async function loadHistory() {
  try {
    const { data } = await api("GET", `${docPath}/history`);
    $("history").replaceChildren(...data.history.slice().reverse().map(historyItem));
    return data.history;
  } catch (error) {
    fail(error);
    return null;
  }
}

// -- start -----------------------------------------------------------------------------------------------
function onKey(event) {
  const mod = event.ctrlKey || event.metaKey;
  if (!mod || (event.key !== "s" && event.key !== "S" && event.key !== "Enter")) return;
  if ($("token-dialog").open) return;
  event.preventDefault();
  save();
}

$("save-button").addEventListener("click", save);
$("merge-save").addEventListener("click", save);
$("discard-button").addEventListener("click", discard);
$("merge-drop").addEventListener("click", discard);
$("apply-model").addEventListener("click", applyModel);
for (const id of Object.values(INPUTS)) $(id).addEventListener("input", showDirty);
document.addEventListener("keydown", onKey);
window.addEventListener("beforeunload", (event) => {
  if (!dirty()) return;
  event.preventDefault();  // the browser asks whether to leave; saved or discarded changes do not
  event.returnValue = "";
});
loadDocument();
