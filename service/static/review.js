// The review queue, one document at a time. Two views: the pool (documents waiting for labels,
// the model's least certain first) and suspect labels (labelled documents whose stored tags the
// model confidently contradicts). Each tag in question is accepted (Y: the document has it) or
// rejected (N) with one key; when all are decided the labels are saved and the next comes up.
//
// One state machine drives the page; `phase` is the only place the page's state lives, and
// `show()` draws every part of the page from it, so no leftover card or live button can survive a
// change of phase:
//
//   loading  → deciding (a document) | empty (nothing waits) | end (only skipped ones wait) | failed
//   deciding → saving (all tags decided, or Enter) | loading (skip)
//   saving   → loading (saved: the next) | conflict (someone else saved first) | deciding (refused)
//   conflict → reapply (reloaded: their version, with my choices applied on top) | loading (skip)
//   reapply  → saving (Enter: save the merged result) | loading (skip)
//   end      → loading (review the skipped ones again)
//
// Keys act only in `deciding` and `reapply`; in `saving` every key and button waits, so a quick
// Y then Enter sends one save. Every change of a decision (Y, N, 1–9) can be undone (Backspace).
import { ApiError, api, el, fail, loading, notify, scoreBars, tagName, taxonomy } from "./ktag.js";
import { noticeFor } from "./retrain.js";

const $ = (id) => document.getElementById(id);
const PAGE = 20;
const NEAR = 0.25;  // a tag this close to its threshold is worth a person's look
const SUSPECT = new URLSearchParams(location.search).get("view") === "suspect";
const LABELS = { pending: "?", accepted: "✓ 수락", rejected: "–" };

const state = {
  phase: "loading",
  tax: null,
  queue: [],          // entries fetched and not yet shown
  total: null,        // documents in the view, as the server counts them (skipped ones included)
  reviewed: 0,
  skipped: new Set(), // ids skipped in this pass
  done: new Set(),    // ids saved in this pass (they leave the view; the list may lag a moment)
  current: null,      // {item, thresholds, doc, etag, decisions, pending, history, touched, base}
  merge: null,        // in `reapply`: {theirs: {added, removed}, mine: {added, removed}}
  error: null,
};

// -- what the model knows ------------------------------------------------------------------------
// A tag added on /taxonomy after the last retrain has no score yet: it is shown, can be toggled,
// and is never suggested; a tag the model knows but the taxonomy lost is left out.
const known = (item, tag) => typeof item.scores[tag] === "number";

function suggestedTags(item, thresholds, tags) {
  const scored = tags.filter((t) => known(item, t) && typeof thresholds[t] === "number");
  const distance = (t) => Math.abs(item.scores[t] - thresholds[t]);
  const closest = Math.min(...scored.map(distance));
  return scored
    .filter((t) => item.scores[t] >= thresholds[t] || distance(t) <= Math.max(NEAR, closest))
    .sort((a, b) => item.scores[b] - item.scores[a]);
}

// -- loading the queue ---------------------------------------------------------------------------
// Pages through the view until it finds documents neither skipped nor saved in this pass.
async function fill() {
  const scope = SUSPECT ? "&scope=suspect" : "";
  for (let page = 1; ; page++) {
    const { data } = await api("GET", `/v1/suggestions?n=${PAGE}&page=${page}${scope}`);
    state.total = data.total;
    const fresh = data.items.filter((item) => !state.skipped.has(item.id) && !state.done.has(item.id));
    state.queue = fresh.map((item) => ({ item, thresholds: item.thresholds ?? data.thresholds }));
    if (state.queue.length || data.items.length < PAGE || page * PAGE >= data.total) return;
  }
}

async function next() {
  state.current = null;
  state.merge = null;
  go("loading");
  let entry = null;
  try {
    if (!state.queue.length) await loading($("main"), fill());
    entry = state.queue.shift();
    // Nothing fresh left: the pass is over if documents were skipped, else nothing waits at all.
    if (!entry) return go(state.skipped.size ? "end" : "empty");
    const response = await loading($("main"), api("GET", `/v1/documents/${encodeURIComponent(entry.item.id)}`));
    state.current = start(entry, response.data, response.headers.get("ETag"));
    go("deciding");
    // The keyboard starts on the new document's decisions (unless the person is typing elsewhere).
    if (!document.querySelector("dialog[open]") && !document.activeElement?.closest("input, textarea, select")) {
      $("decisions").focus({ preventScroll: true });
    }
  } catch (error) {
    if (entry && error instanceof ApiError && error.status === 404) {  // deleted since the list was made
      state.done.add(entry.item.id);
      return next();
    }
    state.error = error;
    go("failed");
    fail(error);
  }
}

// A document's starting decisions: in the pool every tag is "no" but the suggested ones, which are
// asked; for a suspect the stored tags stand and the contradicted ones are asked.
function start(entry, doc, etag) {
  const tags = state.tax.tags.map((t) => t.id);
  const decisions = new Map();
  let pending;
  if (SUSPECT) {
    for (const t of tags) decisions.set(t, doc.tags.includes(t) ? "accepted" : "rejected");
    pending = entry.item.issues.map((issue) => issue.tag).filter((t) => decisions.has(t));
  } else {
    for (const t of tags) decisions.set(t, "rejected");
    pending = suggestedTags(entry.item, entry.thresholds, tags);
  }
  for (const t of pending) decisions.set(t, "pending");
  return { ...entry, doc, etag, decisions, pending, history: [], touched: new Set(), base: doc.tags.slice() };
}

// -- deciding ------------------------------------------------------------------------------------
function cursorTag() {
  const { pending, decisions } = state.current;
  return pending.find((t) => decisions.get(t) === "pending") ?? null;
}

function change(tag, verdict) {
  const { decisions, history, touched } = state.current;
  history.push({ tag, before: decisions.get(tag), touched: touched.has(tag) });
  decisions.set(tag, verdict);
  touched.add(tag);
}

function decide(verdict) {
  if (!acting()) return;
  const tag = cursorTag();
  if (tag === null) return;
  change(tag, verdict);
  if (state.phase === "deciding" && cursorTag() === null) save();
  else show();
}

function toggle(index) {
  const tag = state.tax.tags[index];
  if (!acting() || !tag) return;
  change(tag.id, state.current.decisions.get(tag.id) === "accepted" ? "rejected" : "accepted");
  show();
}

function undo() {
  if (!acting()) return;
  const last = state.current.history.pop();
  if (!last) return;
  state.current.decisions.set(last.tag, last.before);
  if (!last.touched) state.current.touched.delete(last.tag);
  show();
}

function skip() {
  if (!acting() && state.phase !== "conflict") return;
  state.skipped.add(state.current.doc.id);
  next();
}

const acting = () => (state.phase === "deciding" || state.phase === "reapply") && state.current !== null;

// The tags to save: what was decided; a tag still pending counts as the model has it in the pool,
// and as stored for a suspect.
function chosenTags() {
  const { doc, item, thresholds, decisions } = state.current;
  return state.tax.tags.map((t) => t.id).filter((t) => {
    const verdict = decisions.get(t);
    if (verdict === "pending") return SUSPECT ? doc.tags.includes(t) : known(item, t) && item.scores[t] >= thresholds[t];
    return verdict === "accepted";
  });
}

// -- saving --------------------------------------------------------------------------------------
// A suspect whose tags stay as stored is confirmed: a person checked them, so it leaves the list.
async function save() {
  if (!acting()) return;
  const { doc, etag } = state.current;
  const tags = chosenTags();
  const unchanged = tags.length === doc.tags.length && tags.every((t) => doc.tags.includes(t));
  const path = `/v1/documents/${encodeURIComponent(doc.id)}`;
  go("saving");
  try {
    if (SUSPECT && unchanged) await api("POST", `${path}/confirm`, { headers: { "If-Match": etag } });
    else await api("PATCH", path, { body: { tags }, headers: { "If-Match": etag } });
  } catch (error) {
    if (error instanceof ApiError && error.status === 412) return go("conflict");
    go(state.merge ? "reapply" : "deciding");  // nothing saved: the choices stay for another try
    return fail(error);
  }
  state.reviewed += 1;
  state.done.add(doc.id);
  state.total = Math.max(0, (state.total ?? 1) - 1);
  state.merge = null;
  notify(`저장함 (saved): ${doc.title || doc.id} → ${tags.map((t) => tagName(state.tax, t)).join(", ") || "태그 없음 (none)"}`);
  next();
}

// -- someone else saved first ---------------------------------------------------------------------
// Their version is reloaded and my choices are applied on top of it: a tag I decided or toggled
// takes my verdict, every other tag keeps theirs. Both changes are shown; nothing is saved until
// the person says so (Enter or the save button).
async function reload() {
  if (state.phase !== "conflict") return;
  const { doc } = state.current;
  go("loading");
  let response;
  try {
    response = await loading($("main"), api("GET", `/v1/documents/${encodeURIComponent(doc.id)}`));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      notify("그사이 문서가 지워졌습니다: 다음 문서로 (deleted meanwhile: next)");
      state.done.add(doc.id);
      return next();
    }
    go("conflict");
    return fail(error);
  }
  const theirs = response.data;
  const mine = chosenTags();
  const { touched, base } = state.current;
  const merged = state.tax.tags.map((t) => t.id)
    .filter((t) => (touched.has(t) ? mine.includes(t) : theirs.tags.includes(t)));
  const decisions = new Map(state.tax.tags.map((t) => [t.id, merged.includes(t.id) ? "accepted" : "rejected"]));
  state.merge = {
    theirs: diff(base, theirs.tags, theirs.labelled),
    // Only what I decided myself goes on top of theirs, so only that is "my change".
    mine: diff(base, base.filter((t) => !touched.has(t) || mine.includes(t)).concat(mine.filter((t) => touched.has(t) && !base.includes(t)))),
    result: merged,
  };
  Object.assign(state.current, { doc: theirs, etag: response.headers.get("ETag"), decisions, pending: [], history: [], base: theirs.tags.slice() });
  go("reapply");
}

function diff(before, after, labelled) {
  return {
    added: after.filter((t) => !before.includes(t)),
    removed: before.filter((t) => !after.includes(t)),
    labelled,
  };
}

// -- drawing -------------------------------------------------------------------------------------
function go(phase) {
  state.phase = phase;
  show();
}

function show() {
  const { phase, current } = state;
  document.body.dataset.phase = phase;
  const withDocument = ["deciding", "saving", "conflict", "reapply"].includes(phase) && current !== null;
  $("item").hidden = !withDocument;
  $("empty").hidden = phase !== "empty";
  $("empty-pool").hidden = SUSPECT;
  $("empty-suspect").hidden = !SUSPECT;
  $("end").hidden = phase !== "end";
  $("failed").hidden = phase !== "failed";
  $("conflict").hidden = phase !== "conflict";
  $("reapply").hidden = phase !== "reapply";
  if (phase === "end") $("end-count").textContent = String(state.skipped.size);
  if (phase === "failed") $("failed-text").textContent = state.error ? String(state.error.message) : "";
  if (phase === "reapply") showMerge();
  if (withDocument) drawDocument();
  const live = acting();
  for (const id of ["accept", "reject"]) $(id).disabled = !live || cursorTag() === null;
  $("undo").disabled = !live || !current.history.length;
  $("save").disabled = !live;
  $("skip").disabled = !(live || phase === "conflict");
  $("save-label").textContent = phase === "reapply" ? "합친 결과 저장 (save the merged tags)" : "저장 후 다음 (save, next)";
  $("item").setAttribute("aria-busy", String(phase === "saving"));
  updateCounter();
}

function updateCounter() {
  const total = SUSPECT ? "의심 라벨 (suspects)" : "대기 중 (waiting)";
  const busy = state.phase === "loading" ? " · 불러오는 중… (loading)" : state.phase === "saving" ? " · 저장 중… (saving)" : "";
  $("queue-state").textContent =
    `검토함 (reviewed) ${state.reviewed} · 건너뜀 (skipped) ${state.skipped.size} · ${total} ${state.total ?? "…"}${busy}`;
}

function drawDocument() {
  const { doc, item, thresholds, decisions } = state.current;
  $("item-title").textContent = doc.title || doc.id;
  $("item-meta").textContent = SUSPECT
    ? `${doc.id} · 저장된 태그 (stored): ${doc.tags.map((t) => tagName(state.tax, t)).join(", ") || "없음 (none)"} · rev ${doc.revision}`
    : `${doc.id} · 확신도 (certainty) ${item.certainty.toFixed(2)} · rev ${doc.revision}`;
  $("item-text").textContent = doc.text;
  const scored = Object.keys(item.scores).filter((t) => state.tax.tags.some((tag) => tag.id === t));
  $("item-scores").replaceChildren(scoreBars(item.scores, thresholds, state.tax, { order: scored.sort((a, b) => item.scores[b] - item.scores[a]) }));
  const cursor = cursorTag();
  const unknown = state.tax.tags.filter((t) => !known(item, t.id));
  $("unknown-tags").hidden = !unknown.length;
  $("unknown-list").textContent = unknown.map((t) => t.name || t.id).join(", ");
  const issue = (tag) => (item.issues ?? []).find((i) => i.tag === tag);
  const modelSays = (tag) => {
    const doubt = issue(tag);
    if (doubt) return doubt.stored ? " (저장됨·모델 ✗)" : " (없음·모델 ✓)";  // stored, the model says no / missing, it says yes
    return item.scores[tag] >= thresholds[tag] ? " (모델 ✓)" : " (모델 ✗)";
  };
  const rows = state.tax.tags.map((tag, i) => {
    const verdict = decisions.get(tag.id);
    const score = known(item, tag.id)
      ? el("small", { class: "muted" }, item.scores[tag.id].toFixed(2))
      : el("small", { class: "new-tag" }, "새 태그: 점수 없음 (new: no score until a retrain)");
    return el("li", { dataset: { tag: tag.id, state: verdict }, class: tag.id === cursor ? "current" : "", "aria-current": tag.id === cursor ? "true" : null },
      el("kbd", { class: "key" }, i < 9 ? String(i + 1) : ""),
      el("span", { class: "name" }, tagName(state.tax, tag.id), score),
      el("span", { class: "state" }, LABELS[verdict] + (verdict === "pending" ? modelSays(tag.id) : "")));
  });
  $("decisions").replaceChildren(...rows);
}

function showMerge() {
  const { theirs, mine, result } = state.merge;
  const names = (tags) => tags.map((t) => tagName(state.tax, t)).join(", ") || "없음";
  const change = ({ added, removed }) => `+ ${names(added)} / − ${names(removed)}`;
  $("reapply-theirs").textContent = change(theirs) + (theirs.labelled && !SUSPECT ? " · 라벨 붙음 (labelled)" : "");
  $("reapply-mine").textContent = change(mine);
  $("reapply-result").textContent = names(result);
}

// -- keys and buttons ----------------------------------------------------------------------------
function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (document.querySelector("dialog[open]") || event.target.closest("input, textarea, select")) return;
  const key = event.key.toLowerCase();
  if (key === "enter" && event.target.closest("button, a")) return;  // a focused button or link handles Enter itself
  const actions = {
    y: () => decide("accepted"), a: () => decide("accepted"),
    n: () => decide("rejected"), r: () => decide("rejected"),
    s: skip, arrowright: skip,
    backspace: undo,
    enter: save,
  };
  if (event.key >= "1" && event.key <= "9") actions[key] = () => toggle(Number(event.key) - 1);
  const action = actions[key];
  if (!action) return;
  event.preventDefault();
  if (event.repeat && key === "enter") return;
  action();
}

// A button clicked with the mouse hands the keyboard back to the page, so that Enter means
// "save" afterwards instead of pressing that button again.
function button(id, action) {
  $(id).addEventListener("click", (event) => {
    if (event.detail > 0) $("decisions").focus({ preventScroll: true });
    action();
  });
}

button("accept", () => decide("accepted"));
button("reject", () => decide("rejected"));
button("undo", undo);
button("save", save);
button("skip", skip);
$("conflict-reload").addEventListener("click", () => reload());
$("end-again").addEventListener("click", () => {
  state.skipped.clear();
  next();
});
$("failed-retry").addEventListener("click", () => next());
document.addEventListener("keydown", onKey);
// Decisions made on the document on screen and not saved yet: leaving the page asks first.
window.addEventListener("beforeunload", (event) => {
  const unsaved = state.current && (state.current.history.length || state.phase === "saving" || state.merge);
  if (unsaved && ["deciding", "saving", "conflict", "reapply"].includes(state.phase)) event.preventDefault();
});
// The other view is a new page: say it is loading at once, rather than leave this list standing.
for (const link of document.querySelectorAll(".views a")) {
  link.addEventListener("click", () => {
    if (link.getAttribute("aria-current") === "page") return;
    $("main").setAttribute("aria-busy", "true");
    $("queue-state").textContent = "불러오는 중… (loading)";
  });
}

$(SUSPECT ? "view-suspect" : "view-pool").setAttribute("aria-current", "page");
show();
taxonomy(true).then((tax) => {
  state.tax = tax;
  const notice = noticeFor(tax.retrain);  // tags changed since the model was trained: say so here too
  $("retrain-notice").replaceChildren(...(notice ? [notice] : []));
  return next();
}).catch((error) => { state.error = error; go("failed"); fail(error); });
