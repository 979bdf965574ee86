// "A retrain is needed": a notice for any page, shown when the taxonomy changed after the served
// model was trained (tags added, removed, renamed; keyword rules or expected shares changed).
//
//   import { retrainNotice, noticeFor } from "./retrain.js";
//   const notice = await retrainNotice();  // asks GET /v1/tags; an element, or null if none is needed
//   slot.replaceChildren(...(notice ? [notice] : []));
//   noticeFor(tags.retrain)                // the same, from a GET /v1/tags (or /v1/models) answer
//
// The element is an <aside class="retrain-notice" role="status"> that says what changed, Korean
// first with the API's English in small text, and links to /models to retrain (on /models itself
// the link goes to the retrain button). It never throws: when the API cannot be asked, there is
// no notice (the page reports its own errors).
import { api, el } from "./ktag.js";

const STYLE = { background: "#fff6e5", color: "#6b3d00", border: "1px solid #a15c00", borderRadius: "8px", padding: ".6rem 1rem", margin: "0 0 1rem" };
const KINDS = [
  ["added", "새 태그", (id) => id],
  ["removed", "지운 태그", (id) => id],
  ["renamed", "ID를 바꾼 태그", (pair) => `${pair.from} → ${pair.to}`],
  ["keywords_changed", "키워드 규칙을 바꾼 태그", (id) => id],
  ["shares_changed", "기대 비율을 바꾼 태그", (id) => id],
];

export async function retrainNotice() {
  try {
    const { data } = await api("GET", "/v1/tags");
    return noticeFor(data.retrain);
  } catch {
    return null;
  }
}

export function noticeFor(retrain) {
  if (!retrain || !retrain.needed) return null;
  const onModels = location.pathname === "/models";
  const changes = KINDS.filter(([key]) => retrain[key].length).map(([key, label, show]) =>
    el("li", { dataset: { change: key } }, `${label}: `, retrain[key].map(show).join(", ")));
  return el("aside", { class: "retrain-notice", role: "status", style: STYLE, dataset: { model: retrain.model } },
    el("strong", {}, "재학습이 필요합니다. "),
    `지금 쓰는 모델(${retrain.model})은 이 분류 체계 변경을 모릅니다. 다시 학습해야 태그 달기에 반영됩니다.`,
    el("ul", {}, changes),
    el("a", { href: onModels ? "#train-title" : "/models", class: "retrain-link" }, onModels ? "재학습하기 (retrain below)" : "학습·모델 페이지에서 재학습 (retrain on the models page)"),
    el("br"),
    el("small", { lang: "en" }, `A retrain is needed: ${retrain.message}.`));
}
