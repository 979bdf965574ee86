// Readable document ids for documents added from the pages. The API has the last word on what an
// id may be (POST /v1/documents answers 422 or 409); these only propose one a person can read.
import { api } from "./ktag.js";

// Letters and digits of any script, '.', '_' and '-'; every other run becomes one '-'.
export function safeId(raw) {
  const id = raw.normalize("NFC").replace(/[^\p{L}\p{N}._-]+/gu, "-").replace(/-{2,}/g, "-").replace(/^[-.]+|-+$/g, "");
  return Array.from(id).slice(0, 60).join("").replace(/-+$/, "");
}

// "20250314-" and the first words of the title (or the text).
export function proposeId(title, text, day = new Date()) {
  const stamp = [day.getFullYear(), day.getMonth() + 1, day.getDate()].map((n) => String(n).padStart(2, "0")).join("");
  const words = (title || text || "").trim().split("\n")[0].split(/\s+/).slice(0, 5).join(" ");
  const slug = Array.from(safeId(words)).slice(0, 40).join("").replace(/-+$/, "");
  return slug ? `${stamp}-${slug}` : stamp;
}

// "x" -> "x-2", "x-2" -> "x-3".
export function nextId(id) {
  const numbered = id.match(/^(.*)-(\d{1,4})$/);
  return numbered ? `${numbered[1]}-${Number(numbered[2]) + 1}` : `${id}-2`;
}

// The first of nextId(id), nextId(nextId(id)), … that names no document yet (asks the API).
export async function freeId(id) {
  let candidate = id;
  for (let tries = 0; tries < 20; tries++) {
    candidate = nextId(candidate);
    try {
      await api("GET", `/v1/documents/${encodeURIComponent(candidate)}`);
    } catch (error) {
      if (error.status === 404) return candidate;
      throw error;
    }
  }
  return candidate;
}
