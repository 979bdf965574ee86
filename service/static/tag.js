// The tag page: paste or upload an article, see its tags with scores and what drove them.
import { api, el, fail, notify, scoreBars, tagName, taxonomy } from "./ktag.js";
import { highlight } from "./highlight.js";

const form = document.getElementById("tag-form");
const textInput = document.getElementById("text-input");
const titleInput = document.getElementById("title-input");

document.getElementById("file-input").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  textInput.value = await file.text();
  if (!titleInput.value) titleInput.value = file.name.replace(/\.[^.]+$/, "");
  notify(`${file.name} 을(를) 불러왔습니다 (loaded)`);
});

textInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = document.getElementById("tag-button");
  button.disabled = true;
  try {
    const body = { text: textInput.value, explain: true };
    if (titleInput.value.trim()) body.title = titleInput.value.trim();
    const [{ data }, tax] = await Promise.all([api("POST", "/v1/tag", { body, write: false }), taxonomy()]);
    show(data, tax, body.title ? `${body.title}\n${body.text}` : body.text);
  } catch (error) {
    fail(error);
  } finally {
    button.disabled = false;
  }
});

function show(result, tax, text) {
  document.getElementById("result").hidden = false;
  const chips = result.tags.length
    ? result.tags.map((t) => el("span", { class: "chip", dataset: { tag: t } }, tagName(tax, t)))
    : [el("span", { class: "chip none" }, "해당 태그 없음 (no tag)")];
  document.getElementById("result-tags").replaceChildren(...chips);
  document.getElementById("result-bars").replaceChildren(scoreBars(result.scores, result.thresholds, tax));
  document.getElementById("result-model").textContent = `모델 (model) ${result.model}`;

  const section = document.getElementById("explain");
  const choices = document.getElementById("explain-tags");
  section.hidden = false;
  if (!result.tags.length) {
    choices.replaceChildren(el("span", { class: "muted" }, "기준을 넘은 태그가 없습니다 (no tag passed its threshold)"));
    document.getElementById("explain-terms").textContent = "";
    document.getElementById("explain-text").replaceChildren(text);
    return;
  }
  const select = (tag) => {
    for (const button of choices.querySelectorAll("button")) button.setAttribute("aria-checked", String(button.dataset.tag === tag));
    const explanation = result.explain[tag];
    const terms = explanation.up.map(({ morpheme, weight }) => `${morpheme} (+${weight.toFixed(3)})`);
    const keywords = (explanation.keywords || []).map((k) => `"${k}"`);
    document.getElementById("explain-terms").textContent =
      `형태소 (morphemes): ${terms.join(", ") || "-"}` + (keywords.length ? ` · 키워드 (keywords): ${keywords.join(", ")}` : "");
    document.getElementById("explain-text").replaceChildren(highlight(text, explanation));
  };
  choices.replaceChildren(...result.tags.map((t) =>
    el("button", { type: "button", role: "radio", dataset: { tag: t }, onclick: () => select(t) }, tagName(tax, t))));
  select(result.tags[0]);
}
