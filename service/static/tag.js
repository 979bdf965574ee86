// The tag page: paste or upload an article, see its tags with scores and what drove them, and
// keep it as a document: in the pool (unlabelled, for the review queue) or labelled with the tags
// the person ticks.
import { api, describe, el, fail, loading, notify, scoreBars, tagBox, tagName, taxonomy } from "./ktag.js";
import { highlight } from "./highlight.js";
import { freeId, proposeId } from "./docid.js";

const $ = (id) => document.getElementById(id);
const form = $("tag-form");
const textInput = $("text-input");
const titleInput = $("title-input");
let tagged = null;  // what the results on screen are for: {title, text, saved}

$("file-input").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  textInput.value = await file.text();
  if (!titleInput.value) titleInput.value = file.name.replace(/\.[^.]+$/, "");
  notify(`${file.name} 을(를) 불러왔습니다 (loaded)`);
  showStale();
});

textInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = $("tag-button");
  button.disabled = true;
  clearResults();
  $("tagging").hidden = false;
  try {
    const body = { text: textInput.value, explain: true };
    if (titleInput.value.trim()) body.title = titleInput.value.trim();
    const [{ data }, tax] = await loading(form, Promise.all([api("POST", "/v1/tag", { body, write: false }), taxonomy()]));
    tagged = { title: body.title || "", text: body.text, saved: false };
    show(data, tax, body.title ? `${body.title}\n${body.text}` : body.text);
  } catch (error) {
    fail(error);
  } finally {
    $("tagging").hidden = true;
    button.disabled = false;
  }
});

// Nothing of an earlier article stays on screen once another is being tagged (or has failed).
function clearResults() {
  tagged = null;
  for (const id of ["result", "explain"]) $(id).hidden = true;
  for (const id of ["result-tags", "result-bars", "explain-tags", "save-tags", "save-message"]) $(id).replaceChildren();
  for (const id of ["result-model", "explain-selected", "explain-terms", "explain-text"]) $(id).textContent = "";
}

function show(result, tax, text) {
  $("result").hidden = false;
  const chips = result.tags.length
    ? result.tags.map((t) => el("span", { class: "chip", dataset: { tag: t } }, tagName(tax, t)))
    : [el("span", { class: "chip none" }, "해당 태그 없음 (no tag)")];
  $("result-tags").replaceChildren(...chips);
  $("result-bars").replaceChildren(scoreBars(result.scores, result.thresholds, tax));
  $("result-model").textContent = `모델 (model) ${result.model}`;
  showSave(result, tax);
  showEvidence(result, tax, text);
}

// -- the evidence: one tag at a time, chosen with radio buttons (arrow keys move the choice) ------
function showEvidence(result, tax, text) {
  const choices = $("explain-tags");
  $("explain").hidden = false;
  if (!result.tags.length) {
    choices.replaceChildren(el("span", { class: "muted" }, "기준을 넘은 태그가 없습니다 (no tag passed its threshold)"));
    $("explain-text").replaceChildren(text);
    return;
  }
  const select = (tag, focus = false) => {
    for (const button of choices.querySelectorAll("[role=radio]")) {
      const on = button.dataset.tag === tag;
      button.setAttribute("aria-checked", String(on));
      button.tabIndex = on ? 0 : -1;
      if (on && focus) button.focus();
    }
    for (const row of $("result-bars").querySelectorAll("li")) row.classList.toggle("selected", row.dataset.tag === tag);
    $("explain-selected").replaceChildren("근거를 보는 태그: ", el("strong", { dataset: { tag } }, tagName(tax, tag)),
      el("small", { class: "muted" }, `evidence shown for ${tag}`));
    const explanation = result.explain[tag];
    const terms = explanation.up.map(({ morpheme, weight }) => `${morpheme} (+${weight.toFixed(3)})`);
    const keywords = (explanation.keywords || []).map((k) => `"${k}"`);
    $("explain-terms").textContent =
      `형태소 (morphemes): ${terms.join(", ") || "-"}` + (keywords.length ? ` · 키워드 (keywords): ${keywords.join(", ")}` : "");
    $("explain-text").replaceChildren(highlight(text, explanation));
  };
  const move = (event) => {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    const at = result.tags.indexOf(event.currentTarget.dataset.tag);
    select(result.tags[(at + step + result.tags.length) % result.tags.length], true);
  };
  choices.replaceChildren(...result.tags.map((t) =>
    el("button", { type: "button", role: "radio", class: "choice", dataset: { tag: t }, onclick: () => select(t), onkeydown: move },
      tagName(tax, t))));
  select(result.tags[0]);
}

// -- saving the article as a document --------------------------------------------------------------
function showSave(result, tax) {
  $("save-tags").replaceChildren(
    el("legend", {}, "저장할 태그 ", el("small", { class: "muted" }, "tags to keep: the model's are ticked")),
    ...tax.tags.map((t) => tagBox(t, { name: "tags", checked: result.tags.includes(t.id) })));
  $("doc-id").value = proposeId(tagged.title, tagged.text);
  showStale();
}

// The results describe the text as it was tagged; an edited text must be tagged again to be saved.
function showStale() {
  const stale = tagged !== null && (textInput.value !== tagged.text || titleInput.value.trim() !== tagged.title);
  $("stale").hidden = !stale;
  for (const id of ["save-pool", "save-tagged"]) $(id).disabled = !tagged || stale || tagged.saved;
}

async function save(labelled) {
  if (!tagged || tagged.saved) return;
  const id = $("doc-id").value.trim();
  const tags = Array.from($("save-tags").querySelectorAll("input:checked"), (box) => box.value);
  const body = { id, text: tagged.text, labelled, ...(tagged.title ? { title: tagged.title } : {}), ...(labelled ? { tags } : {}) };
  const message = $("save-message");
  for (const b of ["save-pool", "save-tagged"]) $(b).disabled = true;
  try {
    const { data } = await loading($("save-form"), api("POST", "/v1/documents", { body }));
    tagged.saved = true;
    message.className = "save-message saved";
    message.replaceChildren(saved(data));
    message.querySelector("a").focus();
  } catch (error) {
    message.className = "save-message error";
    message.replaceChildren(describe(error));
    if (error.status === 409) await proposeAnother(id);
  } finally {
    showStale();
  }
}

function saved(doc) {
  const where = doc.labelled
    ? `라벨과 함께 저장했습니다 (saved labelled: ${doc.tags.join(", ") || "no tag"}).`
    : "대기열에 저장했습니다 (saved to the pool, unlabelled).";
  return el("p", {}, where, " ",
    el("a", { href: `/documents/${encodeURIComponent(doc.id)}`, id: "saved-link" }, `문서 보기 (open ${doc.id})`),
    doc.labelled ? null : [" · ", el("a", { href: "/review", id: "review-link" }, "검토 대기열로 (to the review queue)")]);
}

async function proposeAnother(taken) {
  const message = $("save-message");
  try {
    const id = await freeId(taken);
    $("doc-id").value = id;
    message.replaceChildren(el("p", {}, `ID '${taken}' 인 문서가 이미 있습니다. 새 ID '${id}' 를 넣었습니다: 확인하고 다시 저장하세요.`, " ",
      el("small", {}, `A document '${taken}' exists already; '${id}' is proposed instead: check it and save again.`)));
  } catch (error) {
    message.append(el("p", {}, describe(error)));
  }
  $("doc-id").focus();
  $("doc-id").select();
}

for (const input of [textInput, titleInput]) input.addEventListener("input", showStale);
$("save-pool").addEventListener("click", () => save(false));
$("save-tagged").addEventListener("click", () => save(true));
