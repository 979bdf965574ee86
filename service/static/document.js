// The document page: read one document, tick its tags (or take the model's), save them with
// If-Match so nobody's edit is overwritten, and see every edit in its history.
import { api, el, fail, formatTime, notify, scoreBars, tagName, taxonomy } from "./ktag.js";

const docId = document.getElementById("document").dataset.docId;
const docPath = `/v1/documents/${encodeURIComponent(docId)}`;
const $ = (id) => document.getElementById(id);
const current = { doc: null, etag: null, tax: null, modelTags: null, choice: null, saving: false };

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

function showDocument(doc) {
  current.doc = doc;
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
  setChosen(doc.tags);
}

// -- the tag checkboxes ------------------------------------------------------------------------------
function buildBoxes() {
  const boxes = $("tag-boxes");
  boxes.querySelectorAll("label").forEach((label) => label.remove());
  for (const tag of current.tax.tags) {
    boxes.append(el("label", { class: "tag-box", title: tag.description || "" },
      el("input", { type: "checkbox", name: "tags", value: tag.id, onchange: showDirty }),
      el("span", {}, tag.name || tag.id), el("small", { class: "muted" }, tag.id)));
  }
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

function sameTags(a, b) {
  return a.length === b.length && a.every((t) => b.includes(t));
}

function showDirty() {
  $("dirty").hidden = !current.doc || sameTags(chosen(), current.doc.tags);
}

// -- saving --------------------------------------------------------------------------------------------
async function save() {
  if (current.saving || !current.doc) return;
  const tags = chosen();
  current.saving = true;
  $("save-button").disabled = true;
  try {
    const response = await api("PATCH", docPath, { body: { tags }, headers: { "If-Match": current.etag } });
    current.etag = response.headers.get("ETag");
    showDocument(response.data);
    $("conflict").hidden = true;
    notify(`저장했습니다: 버전 ${response.data.revision} (saved, revision ${response.data.revision})`);
    loadHistory();
  } catch (error) {
    if (error.status === 412) showConflict(tags);
    else fail(error);
  } finally {
    current.saving = false;
    $("save-button").disabled = false;
  }
}

function showConflict(tags) {
  current.choice = tags;
  $("conflict-choice").replaceChildren(...chips(tags, "chip"));
  $("conflict-reapply").hidden = true;
  $("conflict-after").hidden = true;
  $("conflict").hidden = false;
  $("conflict").focus();  // role=alert: announced, and the notice stays until a save succeeds
}

async function reloadAfterConflict() {
  if (!(await loadDocument())) return;
  $("conflict-reapply").hidden = false;
  $("conflict-after").hidden = false;
  $("conflict-reapply").focus();
  notify("최신 버전을 불러왔습니다 (reloaded the current version)");
}

function reapply() {
  setChosen(current.choice || []);
  $("save-button").focus();
}

// -- the model's suggestions -----------------------------------------------------------------------
async function loadModel() {
  const doc = current.doc;
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
  const describe = (k) => (k === "labelled" ? `${FIELDS[k]}: ${before[k] ? "라벨" : "대기"} → ${after[k] ? "라벨" : "대기"}` : FIELDS[k]);
  return el("small", { class: "muted" }, `바뀐 항목 (also changed): ${changed.map(describe).join(", ")}`);
}

function historyItem(entry) {
  return el("li", { dataset: { seq: String(entry.seq), action: entry.action, who: entry.who } },
    el("div", { class: "who" },
      el("strong", {}, entry.who), " · ", el("time", { datetime: entry.at }, formatTime(entry.at)), " · ",
      el("span", { class: "action" }, ACTIONS[entry.action] || entry.action)),
    tagChange(entry.before, entry.after),
    otherChanges(entry.before, entry.after));
}

async function loadHistory() {
  try {
    const { data } = await api("GET", `${docPath}/history`);
    $("history").replaceChildren(...data.history.slice().reverse().map(historyItem));
  } catch (error) {
    fail(error);
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
$("apply-model").addEventListener("click", applyModel);
$("conflict-reload").addEventListener("click", reloadAfterConflict);
$("conflict-reapply").addEventListener("click", reapply);
document.addEventListener("keydown", onKey);
loadDocument();
