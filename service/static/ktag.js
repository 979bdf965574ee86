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

export function notify(message, kind = "info") {
  const status = document.getElementById("status");
  status.className = kind;
  status.textContent = message;
  if (kind !== "error") {
    clearTimeout(notify.timer);
    notify.timer = setTimeout(() => { status.textContent = ""; status.className = ""; }, 6000);
  }
}

// -- the token -------------------------------------------------------------------------------
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function showTokenState() {
  const button = document.getElementById("token-button");
  if (!button) return;
  button.textContent = token() ? "토큰 지우기 (forget token)" : "토큰 입력 (token)";
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
    const onSubmit = (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      done(value);
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
    const response = await fetch(path, { method, headers, body });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (response.status === 401 && attempt === 0) {
      const refused = token() !== null;
      sessionStorage.removeItem(TOKEN_KEY);
      await askToken(refused ? "토큰이 맞지 않습니다 (the token was refused)" : "토큰이 필요합니다 (a token is needed)");
      continue;
    }
    if (!response.ok) {
      const error = data && data.error ? data.error : { code: "http_" + response.status, message: response.statusText };
      throw new ApiError(response.status, error.code, error.message, data);
    }
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

// Report an error of an action on the page; returns nothing so callers can `catch(fail)`.
export function fail(error) {
  const message = error instanceof ApiError ? `${error.message} (${error.status} ${error.code})` : String(error);
  notify(message, "error");
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
    sessionStorage.removeItem(TOKEN_KEY);
    showTokenState();
    notify("토큰을 지웠습니다 (token forgotten)");
  } else {
    askToken().then(() => notify("토큰을 저장했습니다 (token kept for this session)")).catch(() => {});
  }
});
