// The documents page: a searchable, paged list of the store, or the documents the model is least
// sure about first. The filters live in the URL query string, so reload and back keep them.
import { api, el, fail, formatTime, loading as busy, tagName, taxonomy } from "./ktag.js";
import { labelCells } from "./cards.js";

const PER_PAGE = 20;
const LABELLED = { labelled: "true", pool: "false", all: "" };
const ORIGINS = ["own", "shipped", "all"];  // own (people's documents) is the default view
const form = document.getElementById("filters");
const controls = {
  view: document.getElementById("view"),
  scope: document.getElementById("scope"),
  origin: document.getElementById("origin"),
  q: document.getElementById("q"),
  tag: document.getElementById("tag"),
  untagged: document.getElementById("untagged"),
};
let state = readState();
let loading = 0;  // the latest request; older answers are dropped
let typing = null;

// -- the filter state <-> the URL and the controls ---------------------------------------------------
function readState() {
  const p = new URLSearchParams(location.search);
  const page = parseInt(p.get("page"), 10);
  return {
    view: p.get("view") === "uncertain" ? "uncertain" : "list",
    scope: LABELLED[p.get("scope")] === undefined ? "all" : p.get("scope"),
    origin: ORIGINS.includes(p.get("origin")) ? p.get("origin") : "own",
    q: p.get("q") || "",
    tag: p.get("tag") || "",
    untagged: p.get("untagged") === "1",
    page: page > 0 ? page : 1,
  };
}

function writeState() {
  const p = new URLSearchParams();
  if (state.view !== "list") p.set("view", state.view);
  if (state.scope !== "all") p.set("scope", state.scope);
  if (state.origin !== "own") p.set("origin", state.origin);
  if (state.q) p.set("q", state.q);
  if (state.tag) p.set("tag", state.tag);
  if (state.untagged) p.set("untagged", "1");
  if (state.page > 1) p.set("page", String(state.page));
  const query = p.toString();
  history.replaceState(null, "", location.pathname + (query ? `?${query}` : "") + location.hash);  // #upload stays
}

function showState() {
  controls.view.value = state.view;
  controls.scope.value = state.scope;
  controls.origin.value = state.origin;
  controls.q.value = state.q;
  controls.tag.value = state.tag;
  controls.untagged.checked = state.untagged;
  const uncertain = state.view === "uncertain";
  controls.q.disabled = uncertain;
  controls.untagged.disabled = uncertain;
  controls.tag.disabled = uncertain || state.untagged;
  document.getElementById("view-note").hidden = !uncertain;
}

function stateFromControls() {
  const untagged = controls.untagged.checked;
  return {
    view: controls.view.value,
    scope: controls.scope.value,
    origin: controls.origin.value,
    q: controls.q.value.trim(),
    tag: untagged ? "" : controls.tag.value,
    untagged,
    page: 1,
  };
}

// -- fetching ------------------------------------------------------------------------------------------
function listPath() {
  const p = new URLSearchParams({ page: state.page, per_page: PER_PAGE, origin: state.origin });
  if (state.q) p.set("q", state.q);
  if (state.tag) p.set("tag", state.tag);
  if (state.untagged) p.set("untagged", "true");
  if (LABELLED[state.scope]) p.set("labelled", LABELLED[state.scope]);
  return `/v1/documents?${p}`;
}

function suggestionsPath() {
  return `/v1/suggestions?${new URLSearchParams({ scope: state.scope, origin: state.origin, n: PER_PAGE, page: state.page })}`;
}

async function load() {
  const ticket = ++loading;
  showState();
  writeState();
  try {
    const uncertain = state.view === "uncertain";
    // The old rows stay dimmed under a busy bar until the new ones come (a view switch can take
    // seconds: the model scores every document of the view).
    document.getElementById("summary").textContent = "불러오는 중… (loading)";
    const [{ data }, tax] = await busy(document.getElementById("doc-table"),
      Promise.all([api("GET", uncertain ? suggestionsPath() : listPath()), taxonomy()]));
    if (ticket !== loading) return;
    if (uncertain) showUncertain(data, tax);
    else showList(data, tax);
    showPager(data.total);
  } catch (error) {
    if (ticket !== loading) return;
    document.getElementById("summary").textContent = "목록을 불러오지 못했습니다 (the list could not be loaded)";
    document.getElementById("doc-rows").replaceChildren();
    showPager(0);
    fail(error);
  }
}

// -- showing -------------------------------------------------------------------------------------------
// Tag chips in the taxonomy's order (so stored and model tags line up); `marked` ones differ.
function chips(tags, tax, marked = []) {
  if (!tags.length) return el("span", { class: "chip none" }, "없음 (none)");
  const rank = (t) => tax.tags.findIndex((d) => d.id === t);
  return tags.slice().sort((a, b) => rank(a) - rank(b)).map((t) => marked.includes(t)
    ? el("span", { class: "chip differs", dataset: { tag: t }, title: `${t}: 저장된 태그와 모델이 다름 (stored and model differ)` }, tagName(tax, t))
    : el("span", { class: "chip", dataset: { tag: t }, title: t }, tagName(tax, t)));
}

function titleCell(item) {
  const excerpt = item.excerpt.replace(/\s+/g, " ").trim();
  const label = item.title || (excerpt.length > 70 ? `${excerpt.slice(0, 70)}…` : excerpt);
  return el("td", { class: "doc" },
    el("a", { href: `/documents/${encodeURIComponent(item.id)}`, class: item.title ? "title" : "title excerpt" }, label),
    item.labelled ? null : el("span", { class: "badge pool", title: "라벨을 기다리는 문서 (waiting for labels)" }, "대기 (pool)"),
    item.origin === "shipped" && state.origin === "all"
      ? el("span", { class: "badge shipped", title: "ktag와 함께 제공된 라벨 데이터 (labelled data shipped with ktag)" }, "기본 제공 (shipped)") : null,
    el("small", { class: "muted id" }, item.id));
}

function heads(...names) {
  document.getElementById("doc-head").replaceChildren(el("tr", {}, names.map((n) => el("th", { scope: "col" }, n))));
}

function showRows(rows, count, total, origins) {
  document.getElementById("doc-rows").replaceChildren(...rows);
  labelCells(document.getElementById("doc-table"));
  const first = (state.page - 1) * PER_PAGE + 1;
  const summary = document.getElementById("summary");
  summary.textContent = count
    ? `문서 ${total}개 중 ${first}–${first + count - 1} (documents ${first}–${first + count - 1} of ${total})`
    : "조건에 맞는 문서가 없습니다 (no documents match)";
  if (state.origin === "own" && origins?.shipped) {  // say where the shipped data went
    summary.append(" · ", el("a", { href: "?origin=shipped", id: "show-shipped" },
      `기본 제공 문서 ${origins.shipped.toLocaleString()}개는 따로 봅니다 (${origins.shipped.toLocaleString()} shipped documents are listed apart)`));
  }
}

function showList(data, tax) {
  heads("문서 (document)", "태그 (tags)", "수정 (updated)");
  const rows = data.items.map((item) => el("tr", { dataset: { id: item.id, labelled: String(item.labelled) } },
    titleCell(item),
    el("td", { class: "tags" }, chips(item.tags, tax)),
    el("td", { class: "when muted" }, formatTime(item.updated))));
  showRows(rows, data.items.length, data.total, data.origins);
}

function certainty(value) {
  const percent = Math.round(value * 100);
  return el("td", { class: "certainty" },
    el("span", { class: "progress", role: "img", "aria-label": `확신도 (certainty) ${percent}%` }, el("span", { style: { width: `${percent}%` } })),
    el("span", { class: "value" }, `${percent}%`));
}

function showUncertain(data, tax) {
  heads("문서 (document)", "확신도 (certainty)", "저장된 태그 (stored)", "모델 태그 (model)");
  const rows = data.items.map((item) => {
    const added = item.tags.filter((t) => !item.stored_tags.includes(t));
    const missing = item.stored_tags.filter((t) => !item.tags.includes(t));
    return el("tr", { dataset: { id: item.id, labelled: String(item.labelled), certainty: String(item.certainty) } },
      titleCell(item),
      certainty(item.certainty),
      el("td", { class: "tags stored" }, chips(item.stored_tags, tax, missing)),
      el("td", { class: "tags model" }, chips(item.tags, tax, added)));
  });
  showRows(rows, data.items.length, data.total);
}

function showPager(total) {
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));
  document.getElementById("page-info").textContent = `${state.page} / ${pages} 쪽 (page ${state.page} of ${pages})`;
  document.getElementById("prev-page").disabled = state.page <= 1;
  document.getElementById("next-page").disabled = state.page >= pages;
}

// -- start -----------------------------------------------------------------------------------------------
function filter() {
  clearTimeout(typing);
  state = stateFromControls();
  load();
}

function turn(step) {
  state = { ...state, page: state.page + step };
  load();
}

async function fillTags() {
  const tax = await taxonomy();
  controls.tag.append(...tax.tags.map((t) => el("option", { value: t.id }, `${t.name || t.id} (${t.id})`)));
}

form.addEventListener("submit", (event) => { event.preventDefault(); filter(); });
for (const name of ["view", "scope", "origin", "tag", "untagged"]) controls[name].addEventListener("change", filter);
controls.q.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(filter, 400); });
document.getElementById("prev-page").addEventListener("click", () => turn(-1));
document.getElementById("next-page").addEventListener("click", () => turn(1));
window.addEventListener("ktag:documents-added", () => load());  // upload.js stored new documents
fillTags().catch(fail).finally(load);
