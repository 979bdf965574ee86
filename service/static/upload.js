// The documents page's upload: many documents at once from .txt files (one document each, titled
// by the file name) or JSONL (one object per line, the fields of POST /v1/documents). Each goes
// through the API on its own, so each is validated as any other; the page lists every document's
// outcome (saved, refused with the API's reason, or not sent), counts while it runs and sums up.
import { api, describe, el, tagBox, taxonomy } from "./ktag.js";
import { safeId } from "./docid.js";

const $ = (id) => document.getElementById(id);
const STOPS = new Set([0, 401, 403, 503]);  // no answer, no token, the store is down: the rest cannot go either
const JSONL = /\.(jsonl|ndjson)$/i;
const TEXT = /\.txt$/i;
const run = { active: false, stop: null };  // stop: why the rest is not sent

// -- reading the files ---------------------------------------------------------------------------------
// UTF-8, or EUC-KR (still common for Korean text files); null when it is neither.
async function decode(file) {
  const bytes = await file.arrayBuffer();
  for (const encoding of ["utf-8", "euc-kr"]) {
    try {
      return new TextDecoder(encoding, { fatal: true }).decode(bytes);
    } catch {
      // try the next encoding
    }
  }
  return null;
}

// One item per document to send: {name, line?, body} or {name, line?, problem}.
function fromText(file, text, mode) {
  const title = file.name.replace(/\.[^.]+$/, "");
  const id = safeId(title);
  return [{ name: file.name, body: { ...(id ? { id } : {}), title, text, ...mode.defaults(false) } }];
}

function fromJsonl(file, text, mode) {
  const items = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (!line.trim()) return;
    const where = { name: file.name, line: index + 1 };
    let record;
    try {
      record = JSON.parse(line);
    } catch (error) {
      items.push({ ...where, problem: `JSON으로 읽을 수 없습니다 (invalid JSON: ${error.message})` });
      return;
    }
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      items.push({ ...where, problem: "JSON 객체가 아닙니다 (not a JSON object)" });
      return;
    }
    if (Number.isInteger(record.id)) record.id = String(record.id);  // as `ktag import` reads the same file
    items.push({ ...where, body: { ...mode.defaults("tags" in record, record.labelled), ...record } });
  });
  return items;
}

async function read(file, mode) {
  if (!TEXT.test(file.name) && !JSONL.test(file.name)) {
    return [{ name: file.name, problem: ".txt 또는 .jsonl 파일만 올릴 수 있습니다 (only .txt and .jsonl files)" }];
  }
  const text = await decode(file);
  if (text === null) return [{ name: file.name, problem: "UTF-8도 EUC-KR도 아닌 파일입니다 (neither UTF-8 nor EUC-KR)" }];
  return JSONL.test(file.name) ? fromJsonl(file, text, mode) : fromText(file, text, mode);
}

// The chosen mode: the pool (labelled: false) or labelled, with the ticked tags for documents
// that bring none. A JSONL line's own fields win.
function chosenMode() {
  const labelled = document.querySelector("input[name=upload-mode]:checked").value === "labelled";
  const tags = Array.from($("upload-tags").querySelectorAll("input:checked"), (box) => box.value);
  return {
    labelled,
    defaults: (hasTags, stated = labelled) => ({ labelled, ...(stated === true && !hasTags ? { tags } : {}) }),
  };
}

// -- showing ----------------------------------------------------------------------------------------
const STATES = {
  waiting: "대기 (waiting)", saved: "저장됨 (saved)", refused: "거절됨 (refused)", skipped: "보내지 않음 (not sent)",
};

function where(item) {
  return item.line ? `${item.name} · ${item.line}번째 줄 (line ${item.line})` : item.name;
}

function setState(item, state, ...detail) {
  item.state = state;
  item.row.dataset.state = state;
  item.row.replaceChildren(
    el("span", { class: "where" }, where(item)),
    el("span", { class: "state" }, STATES[state]),
    el("span", { class: "detail" }, ...detail));
}

function showProgress(items) {
  const done = items.filter((i) => i.state !== "waiting").length;
  const bar = $("upload-bar");
  bar.hidden = false;
  bar.firstElementChild.style.width = `${items.length ? (done / items.length) * 100 : 100}%`;
  $("upload-progress").textContent = run.active
    ? `보내는 중: ${done} / ${items.length} (sent ${done} of ${items.length})`
    : `끝: ${done} / ${items.length} 처리 (done: ${done} of ${items.length})`;
}

function showSummary(items, mode) {
  const count = (state) => items.filter((i) => i.state === state).length;
  const [saved, refused, skipped] = ["saved", "refused", "skipped"].map(count);
  const summary = $("upload-summary");
  summary.className = refused || skipped ? "upload-summary partial" : "upload-summary complete";
  summary.replaceChildren(el("span", {},
    el("strong", {}, `저장 ${saved} · 거절 ${refused} · 보내지 않음 ${skipped}`),
    el("small", {}, ` (saved ${saved}, refused ${refused}, not sent ${skipped})`),
    refused || skipped ? el("span", {}, " — 거절되거나 보내지 않은 문서는 저장되지 않았습니다. 고쳐서 그것만 다시 올리세요. ",
      el("small", {}, "Refused and unsent documents were not stored; fix them and upload just those again.")) : null,
    saved ? el("span", { class: "next" }, " ",
      el("a", { href: mode.labelled ? "/documents?scope=labelled" : "/documents?scope=pool" }, "목록에서 보기 (see them in the list)"),
      mode.labelled ? null : [" · ", el("a", { href: "/review" }, "검토 대기열로 (to the review queue)")]) : null));
}

// -- sending ------------------------------------------------------------------------------------------
async function send(items) {
  for (const item of items) {
    if (item.state !== "waiting") continue;
    if (run.stop) {
      setState(item, "skipped", run.stop);
    } else {
      try {
        const { data } = await api("POST", "/v1/documents", { body: item.body });
        setState(item, "saved", el("a", { href: `/documents/${encodeURIComponent(data.id)}` }, data.id));
      } catch (error) {
        setState(item, STOPS.has(error.status) ? "skipped" : "refused", describe(error));
        if (STOPS.has(error.status)) run.stop = `앞 문서에서 멈췄습니다 (stopped at an earlier document): ${describe(error)}`;
      }
    }
    showProgress(items);
  }
}

async function upload(event) {
  event.preventDefault();
  if (run.active) return;
  const files = Array.from($("upload-files").files);
  if (!files.length) {
    $("upload-progress").textContent = "올릴 파일을 고르세요 (choose files first)";
    return;
  }
  const mode = chosenMode();
  Object.assign(run, { active: true, stop: null });
  $("upload-button").disabled = true;
  $("upload-stop").hidden = false;
  $("upload-summary").replaceChildren();
  $("upload-results").replaceChildren();  // nothing of an earlier upload is taken for this one
  $("upload-progress").textContent = "파일을 읽는 중… (reading the files)";
  try {
    const items = (await Promise.all(files.map((f) => read(f, mode)))).flat();
    for (const item of items) item.row = el("li", { dataset: { file: item.name, ...(item.line ? { line: String(item.line) } : {}) } });
    $("upload-results").replaceChildren(...items.map((item) => item.row));
    for (const item of items) {
      if (item.problem) setState(item, "refused", item.problem);
      else setState(item, "waiting");
    }
    showProgress(items);
    await send(items);
    run.active = false;
    showProgress(items);
    showSummary(items, mode);
    $("upload-summary").focus();
    window.dispatchEvent(new CustomEvent("ktag:documents-added", { detail: { saved: items.filter((i) => i.state === "saved").length } }));
  } finally {
    run.active = false;
    $("upload-button").disabled = false;
    $("upload-stop").hidden = true;
  }
}

// -- start --------------------------------------------------------------------------------------------
async function fillTags() {
  const tax = await taxonomy();
  $("upload-tags").append(...tax.tags.map((t) => tagBox(t, { name: "upload-tags" })));
}

function showMode() {
  $("upload-tags").hidden = !chosenMode().labelled;
}

function openOnHash() {
  if (location.hash === "#upload") {
    $("upload").open = true;
    $("upload-files").focus();
  }
}

$("upload-form").addEventListener("submit", upload);
$("upload-stop").addEventListener("click", () => { run.stop = "멈추기를 눌렀습니다 (stopped by you)"; });
for (const radio of document.querySelectorAll("input[name=upload-mode]")) radio.addEventListener("change", showMode);
window.addEventListener("hashchange", openOnHash);
window.addEventListener("beforeunload", (event) => {
  if (!run.active) return;
  event.preventDefault();  // leaving now would leave the rest unsent
  event.returnValue = "";
});
fillTags().catch((error) => $("upload-tags").append(el("p", { class: "error" }, describe(error))));
showMode();
openOnHash();
