// Three-way merge of one document, for the document page: the version a person started from
// (base), what they have on the page (mine) and the version someone else saved meanwhile
// (theirs). My change (tags added and removed, fields edited) is applied on top of theirs; a field
// both changed to different values is a conflict for the person to settle.
import { el, tagName } from "./ktag.js";

export const FIELDS = { title: "제목 (title)", source: "출처 (source)", text: "본문 (text)" };

// A document's fields as the page's inputs show them: an <input> drops line breaks, a <textarea>
// turns CR LF into LF, a missing title is "".
export function shown(doc) {
  const line = (value) => (value || "").replace(/[\r\n]/g, "");
  return { title: line(doc.title), source: line(doc.source), text: doc.text.replace(/\r\n?/g, "\n") };
}

// What `draft` ({tags, title, source, text}) changes in `base` (a stored document).
export function changeOf(base, draft) {
  const before = shown(base);
  const fields = {};
  for (const field of Object.keys(FIELDS)) if (draft[field] !== before[field]) fields[field] = draft[field];
  return {
    added: draft.tags.filter((t) => !base.tags.includes(t)),
    removed: base.tags.filter((t) => !draft.tags.includes(t)),
    fields,
  };
}

export function isEmpty(change) {
  return !change.added.length && !change.removed.length && !Object.keys(change.fields).length;
}

// My change on top of theirs: {tags, fields, conflicts}. A conflicted field keeps their value
// until the person picks one.
export function merge(base, draft, theirs) {
  const mine = changeOf(base, draft);
  const tags = theirs.tags.filter((t) => !mine.removed.includes(t)).concat(mine.added.filter((t) => !theirs.tags.includes(t)));
  const before = shown(base);
  const now = shown(theirs);
  const fields = { ...now };
  const conflicts = [];
  for (const [field, value] of Object.entries(mine.fields)) {
    if (now[field] === before[field] || now[field] === value) fields[field] = value;
    else conflicts.push({ field, mine: value, theirs: now[field], pick: null });
  }
  return { mine, theirs: changeOf(base, { ...now, tags: theirs.tags }), tags, fields, conflicts };
}

// -- describing a change -------------------------------------------------------------------------------
function excerpt(text, limit = 120) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > limit ? `${flat.slice(0, limit)}…` : flat;
}

export function fieldValue(field, value) {
  return field === "text" ? `${excerpt(value)} (${value.length}자 characters)` : `"${value}"`;
}

// A list: "+tag", "−tag" chips and one line per edited field; `labelled` adds their label-state change.
export function describeChange(change, tax, labelled = null) {
  const parts = [
    ...change.added.map((t) => el("span", { class: "chip added", dataset: { tag: t, change: "added" }, title: t }, `+ ${tagName(tax, t)}`)),
    ...change.removed.map((t) => el("span", { class: "chip removed", dataset: { tag: t, change: "removed" }, title: t }, `− ${tagName(tax, t)}`)),
  ];
  const lines = Object.entries(change.fields).map(([field, value]) =>
    el("div", { class: "field-change", dataset: { field } }, `${FIELDS[field]} → ${fieldValue(field, value)}`));
  if (labelled) lines.push(el("div", { class: "field-change", dataset: { field: "labelled" } }, labelled));
  if (!parts.length && !lines.length) return [el("span", { class: "muted" }, "바꾼 것 없음 (nothing)")];
  return [...parts, ...lines];
}
