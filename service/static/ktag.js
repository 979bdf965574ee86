// Shared by every page: API calls with the session's token, small DOM helpers, score bars.
const TOKEN_KEY = "ktag-token";

export class ApiError extends Error {
  constructor(status, code, message, data) {
    super(message);
    this.status = status;
    this.code = code;
    this.data = data;
  }
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style" && typeof value === "object") Object.assign(node.style, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A message at the bottom of the page: text or nodes. Errors stay until the next message.
export function notify(message, kind = "info") {
  const status = document.getElementById("status");
  status.className = kind;
  status.replaceChildren(message);
  if (kind !== "error") {
    clearTimeout(notify.timer);
    notify.timer = setTimeout(() => { status.textContent = ""; status.className = ""; }, 6000);
  }
}

// -- the token -------------------------------------------------------------------------------
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

const WHO_KEY = "ktag-token-who";

// The header says whose token the session holds (checked when it was entered), or that it has none.
function showTokenState() {
  const button = document.getElementById("token-button");
  if (!button) return;
  const who = sessionStorage.getItem(WHO_KEY);
  button.replaceChildren(...(token()
    ? [`${who || "?"} · 토큰 지우기 `, el("small", {}, "(signed in; forget token)")]
    : ["토큰 입력 ", el("small", {}, "(token: needed to save)")]));
  button.dataset.signedIn = String(Boolean(token()));
}

function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(WHO_KEY);
  showTokenState();
}

// Ask the server whose token this is: a wrong token is refused when it is entered, not at the
// first save. Resolves to the token's name; throws an ApiError (401 for a wrong token).
async function checkToken(value) {
  const response = await send("/v1/whoami", { headers: { Accept: "application/json", Authorization: `Bearer ${value}` } });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw refusal(response, data);
  return data.who;
}

// A fetch that gets no answer at all (the server is down, or the network) is an ApiError too.
async function send(path, init) {
  try {
    return await fetch(path, init);
  } catch (problem) {
    throw new ApiError(0, "network", String(problem.message || problem));
  }
}

// The ApiError of an answer that is not ok: the service's {"error": {code, message}}, or the status.
function refusal(response, data) {
  const error = data && data.error ? data.error : { code: "http_" + response.status, message: response.statusText };
  return new ApiError(response.status, error.code, error.message, data);
}

export function askToken(message) {
  const dialog = document.getElementById("token-dialog");
  const input = document.getElementById("token-input");
  const error = document.getElementById("token-error");
  error.hidden = !message;
  error.textContent = message || "";
  input.value = "";
  return new Promise((resolve, reject) => {
    const form = document.getElementById("token-form");
    const cancel = document.getElementById("token-cancel");
    const done = (value) => {
      form.removeEventListener("submit", onSubmit);
      cancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      showTokenState();
      if (value) resolve(value);
      else reject(new ApiError(401, "no_token", "토큰이 없어 저장하지 않았습니다 (no token given: nothing saved)"));
    };
    const onSubmit = async (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (!value || form.dataset.checking) return;
      form.dataset.checking = "true";
      error.hidden = false;
      error.textContent = "토큰을 확인하는 중… (checking the token)";
      try {
        const who = await checkToken(value);
        sessionStorage.setItem(TOKEN_KEY, value);
        sessionStorage.setItem(WHO_KEY, who);
        done(value);
      } catch (problem) {
        error.textContent = problem instanceof ApiError && problem.status === 401
          ? "이 토큰은 맞지 않습니다. 서버를 운영하는 사람에게 받은 토큰을 그대로 붙여 넣으세요. (the server refused this token)"
          : describe(problem);
        input.select();
      } finally {
        delete form.dataset.checking;
      }
    };
    const onCancel = (event) => { event.preventDefault(); done(null); };
    form.addEventListener("submit", onSubmit);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    input.focus();
  });
}

// -- the API -----------------------------------------------------------------------------------
// api("PATCH", "/v1/documents/x", {body, headers, write: true}) -> {status, data, headers}.
// A write asks for the token first if the session has none; a 401 asks again (once).
export async function api(method, path, options = {}) {
  const write = options.write ?? method !== "GET";
  if (write && !token()) await askToken();
  for (let attempt = 0; ; attempt++) {
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    if (token()) headers.Authorization = `Bearer ${token()}`;
    let body;
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    const response = await send(path, { method, headers, body });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (response.status === 401 && attempt === 0) {
      const refused = token() !== null;
      forgetToken();
      await askToken(refused ? "토큰이 맞지 않습니다 (the token was refused)" : "토큰이 필요합니다 (a token is needed)");
      continue;
    }
    if (!response.ok) throw refusal(response, data);
    return { status: response.status, data, headers: response.headers };
  }
}

let taxonomyPromise = null;
export function taxonomy(refresh = false) {
  if (refresh || !taxonomyPromise) taxonomyPromise = api("GET", "/v1/tags").then((r) => r.data);
  return taxonomyPromise;
}

export function tagName(tax, id) {
  const tag = tax.tags.find((t) => t.id === id);
  return tag && tag.name ? tag.name : id;
}

// What an error means for the person and what to do next, in Korean; the API's own English
// message and code follow in small text (the API stays English: it is what logs and scripts see).
const NEXT_STEP = {
  network: "서버에 연결할 수 없습니다. 서버(ktag serve)가 켜져 있는지 확인하고 다시 시도하세요.",
  unauthorized: "토큰이 없거나 맞지 않아 저장하지 않았습니다. 오른쪽 위 '토큰 입력'에서 토큰을 넣고 다시 시도하세요.",
  no_token: "토큰을 넣지 않아 저장하지 않았습니다. 저장하려면 토큰을 넣으세요.",
  precondition_failed: "다른 사람이 먼저 바꿨습니다. 저장하지 않았습니다. 다시 불러와 확인한 뒤 저장하세요.",
  document_not_found: "문서를 찾을 수 없습니다. 지워졌을 수 있으니 목록을 새로 고치세요.",
  tag_not_found: "태그를 찾을 수 없습니다. 지워졌거나 이름이 바뀌었을 수 있으니 태그 목록을 새로 고치세요.",
  job_not_found: "학습 작업을 찾을 수 없습니다. 모델 페이지를 새로 고치세요.",
  model_not_found: "모델 버전을 찾을 수 없습니다. 모델 페이지를 새로 고치세요.",
  document_exists: "같은 ID의 문서가 이미 있습니다. 다른 ID를 쓰세요.",
  tag_exists: "같은 ID의 태그가 이미 있습니다. 다른 ID를 쓰세요.",
  tag_in_use: "문서에 쓰이고 있는 태그라 지울 수 없습니다. 다른 태그로 옮기거나 합친 뒤 지우세요.",
  job_running: "이미 학습이 진행 중입니다. 끝난 뒤 다시 시도하세요.",
  unknown_tag: "분류 체계에 없는 태그입니다. 태그 페이지에서 확인하세요.",
  text_too_long: "본문이 너무 깁니다. 나눠서 올리세요.",
  too_many_documents: "한 번에 보낸 문서가 너무 많습니다. 나눠서 보내세요.",
  too_large: "보낸 내용이 너무 큽니다. 나눠서 보내세요.",
  invalid: "입력한 값이 올바르지 않습니다. 고친 뒤 다시 시도하세요.",
  bad_input: "입력한 값이 올바르지 않습니다. 고친 뒤 다시 시도하세요.",
  taxonomy: "분류 체계에 맞지 않는 변경입니다. 고친 뒤 다시 시도하세요.",
  model_integrity: "이 모델 버전은 검사를 통과하지 못해 쓸 수 없습니다. 다른 버전을 고르거나 다시 학습하세요.",
  not_ready: "서비스가 아직 준비되지 않았습니다(모델이 없습니다). 모델 페이지에서 학습하거나 잠시 뒤 다시 시도하세요.",
  store_unavailable: "라벨 저장소에 지금 쓸 수 없습니다. 서버를 운영하는 사람에게 알리고 잠시 뒤 다시 시도하세요.",
  internal: "서버 오류가 났습니다(서버 기록에 남았습니다). 잠시 뒤 다시 시도하고, 계속되면 운영자에게 알리세요.",
};
const BY_STATUS = { 400: "invalid", 401: "unauthorized", 404: "document_not_found", 409: "document_exists", 412: "precondition_failed", 413: "too_large", 422: "invalid", 503: "not_ready" };

export function describe(error) {
  if (!(error instanceof ApiError)) return `문제가 생겼습니다: ${error} (an error in this page; reload it and try again)`;
  const korean = NEXT_STEP[error.code] || NEXT_STEP[BY_STATUS[error.status]] || (error.status >= 500 ? NEXT_STEP.internal : NEXT_STEP.invalid);
  return `${korean} (${error.message}; ${error.status || "no answer"} ${error.code})`;
}

// Report an error of an action on the page; returns nothing so callers can `catch(fail)`.
export function fail(error) {
  const text = describe(error);
  const cut = text.indexOf(" (");
  notify(el("span", { class: "failure" }, text.slice(0, cut), el("small", {}, text.slice(cut))), "error");
}

// -- loading -------------------------------------------------------------------------------------
// While `promise` runs, `region` says it is busy (aria-busy, and a bar the stylesheet draws)
// so old content is never mistaken for the answer; resolves to the promise's value.
const busyCount = new WeakMap();  // region -> loads in flight (an older one may end last)

export async function loading(region, promise) {
  const target = region || document.getElementById("main");
  busyCount.set(target, (busyCount.get(target) || 0) + 1);
  target.setAttribute("aria-busy", "true");
  try {
    return await promise;
  } finally {
    const left = busyCount.get(target) - 1;
    busyCount.set(target, left);
    if (!left) target.removeAttribute("aria-busy");
  }
}

// -- score bars ----------------------------------------------------------------------------------
// One row per tag: name, a bar of its score with its threshold marked, the score; passing tags
// are highlighted. `tags` gives the order (default: by score).
export function scoreBars(scores, thresholds, tax, options = {}) {
  const order = options.order || Object.keys(scores).sort((a, b) => scores[b] - scores[a]);
  const list = el("ul", { class: "bars", "aria-label": "태그 점수 (tag scores)" });
  for (const id of order) {
    const score = scores[id];
    const threshold = thresholds[id];
    const passing = score >= threshold;
    const bar = el("span", { class: "bar", role: "img", "aria-label": `${Math.round(score * 100)}% (threshold ${Math.round(threshold * 100)}%)` },
      el("span", { class: "fill", style: { width: `${(score * 100).toFixed(1)}%` } }),
      el("span", { class: "threshold", title: `기준 threshold ${threshold.toFixed(2)}`, style: { left: `${(threshold * 100).toFixed(1)}%` } }));
    list.append(el("li", { class: passing ? "pass" : "", dataset: { tag: id, score: String(score) } },
      el("span", { class: "name" }, tagName(tax, id), el("small", {}, id)),
      bar,
      el("span", { class: "value" }, score.toFixed(2))));
  }
  return list;
}

export function formatTime(stamp) {
  if (!stamp) return "";
  const date = new Date(stamp);
  return isNaN(date) ? stamp : date.toLocaleString("ko-KR");
}

// -- page start --------------------------------------------------------------------------------
showTokenState();
document.getElementById("token-button")?.addEventListener("click", () => {
  if (token()) {
    forgetToken();
    notify("토큰을 지웠습니다 (token forgotten)");
  } else {
    askToken().then(() => notify("토큰을 저장했습니다 (token kept for this session)")).catch(() => {});
  }
});

// -- the first-visit guide -----------------------------------------------------------------------
// A card at the top of the page on a browser's first visit (not a modal: it blocks nothing):
// what the tags mean, where a token comes from, how the pages fit together. "도움말 (help)" in
// the header shows it again.
const GUIDE_KEY = "ktag-guide-seen";

async function showGuide() {
  const guide = document.getElementById("guide");
  if (!guide) return;
  guide.hidden = false;
  const list = document.getElementById("guide-tags");
  try {
    const tax = await taxonomy();
    list.replaceChildren(...tax.tags.map((t) => el("li", { dataset: { tag: t.id } },
      el("strong", {}, t.name || t.id), " ", el("code", {}, t.id), t.description ? ` — ${t.description}` : "")));
  } catch (error) {
    list.replaceChildren(el("li", { class: "error" }, describe(error)));
  }
}

function hideGuide() {
  localStorage.setItem(GUIDE_KEY, "1");
  document.getElementById("guide").hidden = true;
  document.getElementById("help-button")?.focus();
}

document.getElementById("guide-close")?.addEventListener("click", hideGuide);
document.getElementById("help-button")?.addEventListener("click", () => {
  const guide = document.getElementById("guide");
  if (guide.hidden) showGuide().then(() => document.getElementById("guide-title").focus());
  else hideGuide();
});
if (!localStorage.getItem(GUIDE_KEY)) showGuide();

// -- tag check boxes -------------------------------------------------------------------------------
// One tag as a check box: its name, its id in small print; `input` adds to the <input>'s attributes.
export function tagBox(tag, input = {}) {
  return el("label", { class: "tag-box", title: tag.description || "" },
    el("input", { type: "checkbox", value: tag.id, ...input }), el("span", {}, tag.name || tag.id), el("small", { class: "muted" }, tag.id));
}
