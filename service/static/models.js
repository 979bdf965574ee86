// The training and models page: start a retrain and watch its job; list the model versions with
// their cross-validation metrics and a per-tag chart; activate one (roll back or forward).
import { ApiError, api, el, fail, formatTime, notify, tagName, taxonomy } from "./ktag.js";

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
    const [{ data }, tax] = await Promise.all([api("GET", "/v1/models"), taxonomy()]);
    renderModels(data, tax);
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
    modelRow(model, currentIndex >= 0 && i > currentIndex),
    chartRow(model, tax, i === 0),
  ]);
  $("model-rows").replaceChildren(...(rows.length ? rows
    : [el("tr", {}, el("td", { colspan: 7, class: "muted" }, "저장된 모델이 없습니다 (no model versions)"))]));
}

function modelRow(model, older) {
  const broken = model.problem ? el("span", { class: "chip broken", title: model.problem }, "손상됨 (broken)") : "";
  const action = model.current || model.problem ? "" : el("button", {
    type: "button", class: "activate", "aria-label": `${model.version} ${older ? "되돌리기 (roll back)" : "적용 (activate)"}`,
    onclick: (event) => activate(model.version, event.currentTarget),
  }, older ? "되돌리기 (roll back)" : "적용 (activate)");
  return el("tr", { class: model.current ? "model current" : "model", dataset: { version: model.version } },
    el("th", { scope: "row" }, el("code", {}, model.version)),
    el("td", {}, formatTime(model.saved)),
    el("td", { class: "num" }, model.documents ?? "—"),
    el("td", { class: "num micro" }, f1(model.metrics, "micro")),
    el("td", { class: "num macro" }, f1(model.metrics, "macro")),
    el("td", {}, model.current ? el("span", { class: "chip current" }, "현재 (current)") : "", broken),
    el("td", {}, model.problem ? el("small", { class: "error" }, model.problem) : action));
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
  Object.assign(box.dataset, { state: job.state, job: job.id });
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
  const list = await loadModels();
  const current = list && list.current === job.version;
  $("job").dataset.version = job.version;
  $("job-result").replaceChildren("새 버전 (new version) ", el("code", {}, job.version),
    ` · micro F1 ${f1(job.metrics, "micro")} · macro F1 ${f1(job.metrics, "macro")} · `,
    current ? el("strong", {}, "현재 모델로 적용됨 (now current)")
      : el("span", {}, "적용하지 않았습니다: 아래 표에서 적용하세요 (not activated: activate it below)"));
  notify(`학습을 마쳤습니다 (training done): ${job.version}`);
}

async function follow(jobId) {
  const { data } = await api("GET", `/v1/jobs/${encodeURIComponent(jobId)}`);
  await watch(data);
}

// A 409 names the job that runs (error.job): say so and follow that one instead.
async function startTraining() {
  $("job-note").hidden = true;
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
