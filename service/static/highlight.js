// Mark, in a text, the morphemes and keyword phrases that drove a tag.
import { el } from "./ktag.js";

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// Search terms for a morpheme feature: a bigram "A B" gives A and B; a verb or adjective lemma
// ("나누다") gives its stem ("나누"), which the inflected forms in the text start with.
function morphemeTerms(feature) {
  return feature.split(" ").map((part) => (part.length > 2 && part.endsWith("다") ? part.slice(0, -1) : part)).filter((p) => p.length > 0);
}

// A keyword phrase as found (lower case, spaces removed) matches the text with any spacing.
function phrasePattern(phrase) {
  return Array.from(phrase).map(escapeRegExp).join("\\s*");
}

// Returns a fragment of `text` with <mark> around every occurrence of `up` morphemes (class up)
// and keyword phrases (class keyword); `weights` gives each term's title.
export function highlight(text, explanation) {
  const patterns = [];
  for (const { morpheme: feature, weight } of explanation.up || []) {
    for (const term of morphemeTerms(feature)) patterns.push({ source: escapeRegExp(term), label: `${feature} +${weight.toFixed(4)}`, kind: "up" });
  }
  for (const phrase of explanation.keywords || []) patterns.push({ source: phrasePattern(phrase), label: `keyword: ${phrase}`, kind: "keyword" });
  const ranges = [];
  for (const p of patterns) {
    const re = new RegExp(p.source, "giu");
    for (const m of text.matchAll(re)) {
      if (m[0].length) ranges.push({ start: m.index, end: m.index + m[0].length, label: p.label, kind: p.kind });
    }
  }
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const r of ranges) {
    if (r.start < at) continue;  // overlaps a longer mark already placed
    fragment.append(text.slice(at, r.start));
    fragment.append(el("mark", { title: r.label, class: r.kind }, text.slice(r.start, r.end)));
    at = r.end;
  }
  fragment.append(text.slice(at));
  return fragment;
}
