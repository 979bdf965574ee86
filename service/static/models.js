// The training and models page: start a retrain and watch its job; list the model versions with
// their cross-validation metrics and a per-tag chart; activate one (roll back or forward). A
// version the activation check held back says why (macro-F1 before and after, tags without
// examples), and activating it anyway asks for a confirmation that states the drop.
import { ApiError, api, el, fail, formatTime, notify, tagName, taxonomy } from "./ktag.js";
import { noticeFor } from "./retrain.js";
import { labelCells } from "./cards.js";

const $ = (id) => document.getElementById(id);
const JOB_KEY = "ktag-train-job";
const POLL_MS = 500;
const FINAL = ["succeeded", "failed"];
const STATES = { queued: "대기 중 (queued)", running: "학습 중 (running)", succeeded: "완료 (succeeded)", failed: "실패 (failed)" };
const opened = new Map(); // version -> whether the user opened or closed its chart
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function f1(metrics, average) {
  return metrics && metrics[average] ? metrics[average].f1.toFixed(3) : "—";
}

// -- model versions ------------------------------------------------------------------------------
async function loadModels() {
  try {
    const [{ data }, tax] = await Promise.all([api("GET", "/v1/models"), taxonomy(true)]);
    renderModels(data, tax);
    const notice = noticeFor(data.retrain);
    $("retrain-slot").replaceChildren(...(notice ? [notice] : []));
    return data;
  } catch (error) {
    fail(error);
    return null;
  }
}

function renderModels(list, tax) {
  const served = list.served && list.served !== "(given)" ? list.served : list.current;
  $("current-line").replaceChildren(served
    ? el("span", {}, "지금 쓰는 모델 (serving): ", el("code", {}, served))
    : el("span", { class: "error" }, "적용된 모델이 없습니다 (no current model)"),
  list.warning ? el("p", { class: "error", id: "model-warning" }, `주의 (warning): ${list.warning}`) : "");
  const currentIndex = list.models.findIndex((m) => m.current);
  const rows = list.models.flatMap((model, i) => [
    modelRow(model, currentIndex >= 0 && i > currentIndex, tax),
    model.held_back ? heldRow(model, tax) : null,
    chartRow(model, tax, i === 0),
  ].filter(Boolean));
  $("model-rows").replaceChildren(...(rows.length ? rows
    : [el("tr", {}, el("td", { colspan: 7, class: "muted" }, "저장된 모델이 없습니다 (no model versions)"))]));
  labelCells($("model-table"));
}

function modelRow(model, older, tax) {
  const broken = model.problem ? el("span", { class: "chip broken", title: model.problem }, "손상됨 (broken)") : "";
  const held = model.held_back ? el("span", { class: "chip held", title: model.held_back.message }, "보류됨 (held back)") : "";
  const label = model.held_back ? "그래도 적용 (activate anyway)" : older ? "되돌리기 (roll back)" : "적용 (activate)";
  const action = model.current || model.problem ? "" : el("button", {
    type: "button", class: "activate", "aria-label": `${model.version} ${label}`,
    onclick: (event) => (model.held_back ? confirmActivate(model, tax, event.currentTarget) : activate(model.version, event.currentTarget)),
  }, label);
  return el("tr", { class: model.current ? "model current" : "model", dataset: { version: model.version } },
    el("th", { scope: "row" }, el("code", {}, model.version)),
    el("td", {}, formatTime(model.saved)),
    el("td", { class: "num" }, model.documents ?? "—"),
    el("td", { class: "num micro" }, f1(model.metrics, "micro")),
    el("td", { class: "num macro" }, f1(model.metrics, "macro")),
    el("td", {}, model.current ? el("span", { class: "chip current" }, "현재 (current)") : "", held, broken),
    el("td", {}, model.problem ? el("small", { class: "error" }, model.problem) : action));
}

// -- held back -------------------------------------------------------------------------------------
const fixed = (value) => (typeof value === "number" ? value.toFixed(3) : "—");

// Why a version was held back (the API's held_back object): Korean lines, the API's English in small text.
function heldBackView(held, tax) {
  const lines = [];
  const before = held.macro_f1_before, after = held.macro_f1_after;
  if (typeof before === "number" && typeof after === "number") {
    const drop = before - after;
    lines.push(el("li", { class: "f1-change", dataset: { before: fixed(before), after: fixed(after) } },
      `macro F1 ${fixed(before)} (지금 모델 ${held.compared_with || ""}) → ${fixed(after)} (이 버전): `,
      drop > 0 ? el("strong", {}, `${drop.toFixed(3)} 떨어짐`) : `${(-drop).toFixed(3)} 오름`,
      held.max_drop !== null ? ` · 허용 폭 ${held.max_drop}` : ""));
  }
  const codes = held.reasons.map((r) => r.code);
  if (held.tags_without_examples.length) {
    lines.push(el("li", { class: "empty-tags" }, "학습 예시가 없는 태그: ",
      held.tags_without_examples.map((id) => el("code", { dataset: { tag: id } }, `${tagName(tax, id)} (${id})`)),
      " — 이 태그를 붙인 문서가 하나도 없어 모델이 배울 수 없습니다. 문서에 태그를 붙인 뒤 다시 학습하세요."));
  }
  if (codes.includes("current_changed")) {
    lines.push(el("li", {}, "학습하는 동안 다른 버전이 적용되어 그 선택을 유지했습니다."));
  }
  return el("div", { class: "held-back", dataset: { code: held.code } },
    el("p", {}, el("strong", {}, "보류됨: "), "저장했지만 적용하지 않았습니다."),
    el("ul", {}, lines),
    el("small", { lang: "en", class: "muted" }, `Held back: ${held.message}`));
}

function heldRow(model, tax) {
  const note = model.current
    ? el("p", { class: "muted" }, "보류되었지만 직접 적용한 버전입니다 (held back when trained, activated by hand).")
    : el("p", { class: "muted" }, "보류된 버전도 ‘그래도 적용’ 버튼으로 쓸 수 있습니다 (you can still activate it).");
  return el("tr", { class: "held-row", dataset: { version: model.version } },
    el("td", { colspan: 7 }, heldBackView(model.held_back, tax), note));
}

// The activate button of a held-back version: a confirmation that states the drop first.
function confirmActivate(model, tax, button) {
  const dialog = $("activate-dialog");
  dialog.dataset.version = model.version;
  $("activate-why").replaceChildren(el("p", {}, el("code", {}, model.version)), heldBackView(model.held_back, tax));
  const form = $("activate-form");
  const done = (confirmed) => {
    form.removeEventListener("submit", onSubmit);
    $("activate-cancel").removeEventListener("click", onCancel);
    dialog.removeEventListener("cancel", onCancel);
    if (dialog.open) dialog.close();
    if (confirmed) activate(model.version, button);
    else button.focus();
  };
  const onSubmit = (event) => { event.preventDefault(); done(true); };
  const onCancel = (event) => { event.preventDefault(); done(false); };
  form.addEventListener("submit", onSubmit);
  $("activate-cancel").addEventListener("click", onCancel);
  dialog.addEventListener("cancel", onCancel);
  dialog.showModal();
  $("activate-cancel").focus();
}

function chartRow(model, tax, newest) {
  const perTag = model.metrics && model.metrics.per_tag;
  const open = opened.has(model.version) ? opened.get(model.version) : model.current || newest;
  const details = el("details", { open },
    el("summary", { onclick: () => opened.set(model.version, !details.open) },
      "태그별 성능 ", el("small", { class: "muted" }, `per-tag precision, recall, F1 · ${model.version}`)),
    perTag ? chart(perTag, tax, model.version)
      : el("p", { class: "muted" }, "교차 검증 결과가 없습니다 (no cross-validation metrics)"));
  return el("tr", { class: "chart-row", dataset: { version: model.version } }, el("td", { colspan: 7 }, details));
}

async function activate(version, button) {
  button.disabled = true;
  try {
    await api("POST", `/v1/models/${encodeURIComponent(version)}/activate`);
    notify(`${version} 을(를) 적용했습니다 (now serving this version)`);
    await loadModels();
    $("current-line").focus();
  } catch (error) {
    fail(error);
    button.disabled = false;
  }
}

// -- the per-tag chart (inline SVG) ----------------------------------------------------------------
const SVG_NS = "http://www.w3.org/2000/svg";
const MEASURES = [["precision", "정밀도 (precision)"], ["recall", "재현율 (recall)"], ["f1", "F1"]];
const LABEL_W = 200, BAR_W = 420, BAR_H = 11, GAP = 3, GROUP_GAP = 18, TOP = 44;

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function chart(perTag, tax, version) {
  const ids = Object.keys(perTag);
  const groupH = MEASURES.length * (BAR_H + GAP) + GROUP_GAP;
  const height = TOP + ids.length * groupH;
  const width = LABEL_W + BAR_W + 50;
  const summary = ids.map((id) => `${tagName(tax, id)} F1 ${perTag[id].f1.toFixed(2)}`).join(", ");
  return svg("svg", {
    class: "tag-chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-label": `${version} 태그별 성능 (per-tag): ${summary}`,
  }, legend(), grid(height - GROUP_GAP + 6), ids.map((id, i) => tagBars(id, perTag[id], tax, TOP + i * groupH)));
}

function legend() {
  return svg("g", { class: "legend" }, MEASURES.map(([key, label], i) =>
    svg("g", { transform: `translate(${LABEL_W + i * 140},2)` },
      svg("rect", { class: key, width: 12, height: 12, rx: 2 }),
      svg("text", { x: 18, y: 11 }, label))));
}

function grid(bottom) {
  return svg("g", { class: "grid" }, [0, 0.25, 0.5, 0.75, 1].map((value) => {
    const x = LABEL_W + value * BAR_W;
    return svg("g", {},
      svg("line", { x1: x, x2: x, y1: TOP - 8, y2: bottom }),
      svg("text", { x, y: TOP - 12, "text-anchor": "middle" }, value.toFixed(2)));
  }));
}

function tagBars(id, measures, tax, y) {
  const group = svg("g", { class: "tag", "data-tag": id, transform: `translate(0,${y})` },
    svg("text", { class: "name", x: 0, y: 12 }, tagName(tax, id)),
    svg("text", { class: "support", x: 0, y: 29 }, `${id} · n=${measures.support}`));
  MEASURES.forEach(([key, label], i) => {
    const value = measures[key];
    const top = i * (BAR_H + GAP);
    const width = Math.max(0, Math.min(1, value)) * BAR_W;
    group.append(
      svg("rect", { class: `bar ${key}`, "data-measure": key, x: LABEL_W, y: top, width: width.toFixed(1), height: BAR_H, rx: 2 },
        svg("title", {}, `${tagName(tax, id)} ${label}: ${value.toFixed(3)}`)),
      svg("text", { class: "value", x: LABEL_W + width + 5, y: top + BAR_H - 1 }, value.toFixed(2)));
  });
  return group;
}

// -- training ------------------------------------------------------------------------------------
function showJob(job) {
  const box = $("job");
  box.hidden = false;
  // Set with the state, so that whoever sees "succeeded" sees the version and its fate too.
  Object.assign(box.dataset, { state: job.state, job: job.id, version: job.version || "", activated: String(job.activated) });
  $("job-state").textContent = STATES[job.state] || job.state;
  const percent = Math.round(job.progress * 100);
  $("job-message").textContent = `${job.message} · ${percent}%`;
  $("job-id").textContent = `job ${job.id}`;
  const bar = $("job-progress");
  bar.setAttribute("aria-valuenow", percent);
  bar.setAttribute("aria-valuetext", `${percent}% ${job.message}`);
  bar.classList.toggle("failed", job.state === "failed");
  bar.firstElementChild.style.width = `${percent}%`;
  $("job-error").hidden = job.state !== "failed";
  $("job-error").textContent = job.error ? `학습 실패 (training failed): ${job.error}` : "";
  showWarnings(job.warnings || []);
}

const WARNINGS = {
  tag_without_examples: "학습 예시가 없는 태그가 있습니다. 다른 모델이 쓰이는 동안에는 새 모델을 저장만 하고 적용하지 않습니다(보류).",
};

function showWarnings(warnings) {
  const box = $("job-warnings");
  box.hidden = !warnings.length;
  box.replaceChildren(...warnings.map((w) => el("p", { class: "warning", dataset: { code: w.code } },
    el("strong", {}, "주의: "), WARNINGS[w.code] || "", " ", el("small", { lang: "en" }, w.message))));
}

async function watch(job) {
  sessionStorage.setItem(JOB_KEY, job.id);
  $("job-result").replaceChildren();
  showJob(job);
  while (!FINAL.includes(job.state)) {
    await delay(POLL_MS);
    job = (await api("GET", `/v1/jobs/${encodeURIComponent(job.id)}`)).data;
    showJob(job);
  }
  sessionStorage.removeItem(JOB_KEY);
  if (job.state === "succeeded") await succeeded(job);
  else fail(`학습 실패 (training failed): ${job.error}`);
}

async function succeeded(job) {
  const [list, tax] = await Promise.all([loadModels(), taxonomy()]);
  const current = list && list.current === job.version;
  let outcome;
  if (current) outcome = el("strong", {}, "현재 모델로 적용됨 (now current)");
  else if (job.held_back) outcome = el("span", { class: "held" }, "보류됨: 적용하지 않았습니다. 이유는 아래와 같고, 표에서 그래도 적용할 수 있습니다 (held back: not activated)");
  else outcome = el("span", {}, "적용하지 않았습니다: 아래 표에서 적용하세요 (not activated: activate it below)");
  $("job-result").replaceChildren("새 버전 (new version) ", el("code", {}, job.version),
    ` · micro F1 ${f1(job.metrics, "micro")} · macro F1 ${f1(job.metrics, "macro")} · `, outcome,
    job.held_back && !current ? heldBackView(job.held_back, tax) : "");
  notify(job.held_back && !current ? `학습을 마쳤지만 보류했습니다 (trained, held back): ${job.version}` : `학습을 마쳤습니다 (training done): ${job.version}`);
}

async function follow(jobId) {
  const { data } = await api("GET", `/v1/jobs/${encodeURIComponent(jobId)}`);
  await watch(data);
}

// A 409 names the job that runs (error.job): say so and follow that one instead.
async function startTraining() {
  $("job-note").hidden = true;
  showWarnings([]);
  try {
    const { data } = await api("POST", "/v1/train", { body: { activate: $("train-activate").checked } });
    await watch(data);
  } catch (error) {
    fail(error);
    const running = error instanceof ApiError && error.code === "job_running" && error.data?.error?.job;
    if (!running) return;
    $("job-note").hidden = false;
    $("job-note").textContent = `이미 학습이 진행 중이라 그 작업을 보여 줍니다 (${error.message}; ${error.status} ${error.code})`;
    await follow(running).catch(fail);
  }
}

async function busy(action) {
  const button = $("train-button");
  button.disabled = true;
  try {
    await action();
  } finally {
    button.disabled = false;
  }
}

$("train-button").addEventListener("click", () => busy(startTraining));
$("current-line").setAttribute("tabindex", "-1");
loadModels();
const unfinished = sessionStorage.getItem(JOB_KEY); // a reload while a job ran: keep watching it
if (unfinished) {
  busy(() => follow(unfinished).catch((error) => { sessionStorage.removeItem(JOB_KEY); fail(error); }));
}
