// The review queue, one document at a time. Two views: the pool (documents waiting for labels,
// the model's least certain first) and suspect labels (labelled documents whose stored tags the
// model confidently contradicts). Each tag in question is accepted (Y: the document has it) or
// rejected (N) with one key; when all are decided the labels are saved and the next comes up.
import { ApiError, api, el, fail, notify, scoreBars, tagName, taxonomy } from "./ktag.js";

const BATCH = 20;
const NEAR = 0.25;  // a tag this close to its threshold is worth a person's look
const SUSPECT = new URLSearchParams(location.search).get("view") === "suspect";
const state = { queue: [], reviewed: 0, current: null, tax: null, skipped: new Set() };

function suggestedTags(item, thresholds) {
  const distance = (t) => Math.abs(item.scores[t] - thresholds[t]);
  const closest = Math.min(...Object.keys(item.scores).map(distance));
  return Object.keys(item.scores)
    .filter((t) => item.scores[t] >= thresholds[t] || distance(t) <= Math.max(NEAR, closest))
    .sort((a, b) => item.scores[b] - item.scores[a]);
}

async function loadQueue() {
  const scope = SUSPECT ? "&scope=suspect" : "";
  const { data } = await api("GET", `/v1/suggestions?n=${Math.min(100, BATCH + state.skipped.size)}${scope}`);
  state.queue = data.items.filter((item) => !state.skipped.has(item.id))
    .map((item) => ({ item, thresholds: item.thresholds ?? data.thresholds }));
  state.pool = data.total;
}

// A suspect's tags start as stored; the contradicted ones are the questions, in the order found.
function suspectDecisions(item) {
  const decisions = new Map(state.tax.tags.map((t) => [t.id, item.stored_tags.includes(t.id) ? "accepted" : "rejected"]));
  const pending = item.issues.map((issue) => issue.tag).filter((t) => decisions.has(t));
  for (const t of pending) decisions.set(t, "pending");
  return { decisions, pending };
}

async function next() {
  if (!state.queue.length) await loadQueue();
  const entry = state.queue.shift();
  if (!entry) return showEmpty();
  const response = await api("GET", `/v1/documents/${encodeURIComponent(entry.item.id)}`);
  let decisions, pending;
  if (SUSPECT) ({ decisions, pending } = suspectDecisions(entry.item));
  else {
    decisions = new Map(state.tax.tags.map((t) => [t.id, "rejected"]));
    pending = suggestedTags(entry.item, entry.thresholds);
    for (const t of pending) decisions.set(t, "pending");
  }
  state.current = { ...entry, doc: response.data, etag: response.headers.get("ETag"), decisions, pending, history: [] };
  render();
}

function skip() {
  if (state.current) state.skipped.add(state.current.doc.id);
  next().catch(fail);
}

function showEmpty() {
  state.current = null;
  document.getElementById("item").hidden = true;
  document.getElementById("empty").hidden = false;
  document.getElementById("empty-pool").hidden = SUSPECT;
  document.getElementById("empty-suspect").hidden = !SUSPECT;
  updateCounter();
}

function updateCounter() {
  const left = state.current ? state.queue.length + 1 : 0;
  const total = SUSPECT ? `의심 라벨 전체 (suspects in all) ${state.pool ?? 0}` : `대기 중 전체 (waiting in the pool) ${state.pool ?? 0}`;
  document.getElementById("queue-state").textContent =
    `검토함 (reviewed) ${state.reviewed} · 이번 묶음에 남음 (left in this batch) ${left} · ${total}`;
}

function cursorTag() {
  const { pending, decisions } = state.current;
  return pending.find((t) => decisions.get(t) === "pending") ?? null;
}

function render() {
  const { doc, item, thresholds, decisions } = state.current;
  document.getElementById("empty").hidden = true;
  document.getElementById("item").hidden = false;
  document.getElementById("item-title").textContent = doc.title || doc.id;
  document.getElementById("item-meta").textContent = SUSPECT
    ? `${doc.id} · 저장된 태그 (stored): ${doc.tags.map((t) => tagName(state.tax, t)).join(", ") || "없음 (none)"} · rev ${doc.revision}`
    : `${doc.id} · 확신도 (certainty) ${item.certainty.toFixed(2)} · rev ${doc.revision}`;
  document.getElementById("item-text").textContent = doc.text;
  document.getElementById("item-scores").replaceChildren(scoreBars(item.scores, thresholds, state.tax));
  const cursor = cursorTag();
  const labels = { pending: "?", accepted: "✓ 수락", rejected: "–" };
  const issue = (tag) => (item.issues ?? []).find((i) => i.tag === tag);
  const modelSays = (tag) => {
    const doubt = issue(tag);
    if (doubt) return doubt.stored ? " (저장됨·모델 ✗)" : " (없음·모델 ✓)";  // stored, the model says no / missing, it says yes
    return item.scores[tag] >= thresholds[tag] ? " (모델 ✓)" : " (모델 ✗)";
  };
  const rows = state.tax.tags.map((tag, i) =>
    el("li", { dataset: { tag: tag.id, state: decisions.get(tag.id) }, class: tag.id === cursor ? "current" : "", "aria-current": tag.id === cursor ? "true" : null },
      el("kbd", { class: "key" }, String(i + 1)),
      el("span", { class: "name" }, tagName(state.tax, tag.id), el("small", { class: "muted" }, `${item.scores[tag.id].toFixed(2)}`)),
      el("span", { class: "state" }, labels[decisions.get(tag.id)] + (decisions.get(tag.id) === "pending" ? modelSays(tag.id) : ""))));
  document.getElementById("decisions").replaceChildren(...rows);
  document.getElementById("accept").disabled = cursor === null;
  document.getElementById("reject").disabled = cursor === null;
  document.getElementById("undo").disabled = !state.current.history.length;
  updateCounter();
}

function decide(verdict) {
  const tag = cursorTag();
  if (!state.current || tag === null) return;
  state.current.decisions.set(tag, verdict);
  state.current.history.push(tag);
  if (cursorTag() === null) save().catch(fail);
  else render();
}

function undo() {
  const tag = state.current?.history.pop();
  if (tag === undefined) return;
  state.current.decisions.set(tag, "pending");
  render();
}

function toggle(index) {
  const tag = state.tax.tags[index];
  if (!state.current || !tag) return;
  const now = state.current.decisions.get(tag.id);
  state.current.decisions.set(tag.id, now === "accepted" ? "rejected" : "accepted");
  render();
}

// Saves the accepted tags and moves on. A pending tag counts as the model has it in the pool,
// and as stored for a suspect. A suspect whose tags stay as stored is confirmed: a person checked
// them, so it leaves the suspect labels.
async function save() {
  const { doc, item, thresholds, decisions, etag } = state.current;
  const tags = state.tax.tags.map((t) => t.id).filter((t) => {
    const verdict = decisions.get(t);
    if (verdict === "pending") return SUSPECT ? doc.tags.includes(t) : item.scores[t] >= thresholds[t];
    return verdict === "accepted";
  });
  const unchanged = tags.length === doc.tags.length && tags.every((t) => doc.tags.includes(t));
  const path = `/v1/documents/${encodeURIComponent(doc.id)}`;
  try {
    if (SUSPECT && unchanged) await api("POST", `${path}/confirm`, { headers: { "If-Match": etag } });
    else await api("PATCH", path, { body: { tags }, headers: { "If-Match": etag } });
  } catch (error) {
    if (error instanceof ApiError && error.status === 412) return conflict(doc.id);
    throw error;
  }
  state.reviewed += 1;
  state.pool = Math.max(0, (state.pool ?? 1) - 1);
  document.getElementById("conflict").hidden = true;
  notify(`저장함 (saved): ${doc.title || doc.id} → ${tags.map((t) => tagName(state.tax, t)).join(", ") || "태그 없음 (none)"}`);
  await next();
}

function conflict(docId) {
  const box = document.getElementById("conflict");
  box.replaceChildren(
    "다른 사람이 이 문서를 먼저 바꿨습니다. 저장하지 않았습니다. ",
    el("small", {}, "Someone else changed this document first; nothing was saved. "),
    el("button", { type: "button", onclick: () => reload(docId).catch(fail) }, "다시 불러오기 (reload)"));
  box.hidden = false;
  box.querySelector("button").focus();
}

async function reload(docId) {
  const response = await api("GET", `/v1/documents/${encodeURIComponent(docId)}`);
  document.getElementById("conflict").hidden = true;
  if (!SUSPECT && response.data.labelled) {
    notify("이미 라벨이 붙었습니다: 다음 문서로 (already labelled: next)");
    return next();
  }
  Object.assign(state.current, { doc: response.data, etag: response.headers.get("ETag") });
  render();
}

function onKey(event) {
  if (!state.current || event.ctrlKey || event.metaKey || event.altKey) return;
  if (document.querySelector("dialog[open]") || event.target.closest("input, textarea, select")) return;
  const key = event.key.toLowerCase();
  const actions = {
    y: () => decide("accepted"), a: () => decide("accepted"),
    n: () => decide("rejected"), r: () => decide("rejected"),
    s: skip, arrowright: skip,
    backspace: undo,
    enter: () => save().catch(fail),
  };
  if (event.key >= "1" && event.key <= "9") actions[key] = () => toggle(Number(event.key) - 1);
  if (key === "enter" && event.target.closest("button")) return;  // a focused button handles Enter itself
  const action = actions[key];
  if (!action) return;
  event.preventDefault();
  action();
}

document.getElementById("accept").addEventListener("click", () => decide("accepted"));
document.getElementById("reject").addEventListener("click", () => decide("rejected"));
document.getElementById("undo").addEventListener("click", undo);
document.getElementById("save").addEventListener("click", () => save().catch(fail));
document.getElementById("skip").addEventListener("click", skip);
document.addEventListener("keydown", onKey);

document.getElementById(SUSPECT ? "view-suspect" : "view-pool").setAttribute("aria-current", "page");
taxonomy().then((tax) => { state.tax = tax; return next(); }).catch(fail);
