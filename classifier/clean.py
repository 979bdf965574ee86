"""Strip the page furniture that crawled Korean news pages carry around the article.

Weather widgets, banner lines, share buttons, bylines and e-mails, photo captions, copyright
lines, comment boxes, related-article lists and the unrelated headlines that follow an article
(see seeds 002, 003 and 004) teach a model the website, not the topic. ``clean_text`` keeps the
article: line rules drop furniture, and the page is cut where trailing furniture begins.
"""
from __future__ import annotations

import re

# Runs of spaces (and tabs, no-break, zero-width and ideographic spaces) that are not one plain
# space: replacing every single space by itself was half the cost of cleaning a headline.
_SPACE = re.compile(r" [ \t\u00a0\u200b\u3000]+|[\t\u00a0\u200b\u3000][ \t\u00a0\u200b\u3000]*")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern that matches where any of ``patterns`` does: one regex call per line instead
    of one per pattern (the Python calls were most of cleaning a headline)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Whole lines that are page furniture: patterns tried at the start of a line only (``match``: the
# regex engine then does not try them at every position, half the time of one search for all) ...
_DROP_AT_START = _any_of(
    (
        r"기상청 제공$",
        r"\d{4}[.\-/]\d{1,2}[.\-/]\d{1,2}\.?\s*(\([월화수목금토일]\))?$",  # a date alone
        r"(승인|입력|수정|기사입력|업데이트|등록)\s*:?\s*\d{4}[.\-/]",  # timestamps
        r"(배너|상태바|광고|AD|닫기|이전|다음|목록|맨위로|TOP)$",
        r"댓글\s*\d*$",
        r"(주요|관련|인기|추천|많이 본|최신)\s*(기사|뉴스)",
        r"\[관련기사\]",
        r"이슈포토$|포토뉴스$|오늘의 (포토|운세)",
        r"[가-힣]{2,4}\s*(기자|특파원|통신원|객원기자)$",  # a byline alone
        r"[\w.+-]+@[\w-]+(\.[\w-]+)+$",  # an e-mail alone
        r"▲",  # a photo caption marker line
    )
)
# ... and anywhere in it.
_DROP_ANYWHERE = _any_of(
    (
        r"℃",  # weather widget entries
        r"(이 기사를 공유합니다|공유하기|카카오톡|페이스북|트위터|URL ?복사|스크랩|인쇄하기|글씨 ?크기|기사저장|구독하기)",
        r"댓글(쓰기|삭제|을 남기실|을 입력)|삭제한 댓글은|삭제하시겠습니까|로그인·계정인증|계정을 선택하시면",
        r"(Copyright|ⓒ|©|무단\s*전재|재배포\s*금지|All rights reserved)",
        r"(기자|특파원)\s+[\w.+-]+@",  # a byline with an e-mail
        r"\(사진\s*=\s*[^)]*\)$",  # a photo caption
    )
)


def _is_furniture(line: str) -> bool:
    return bool(_DROP_AT_START.match(line) or _DROP_ANYWHERE.search(line))


# A line from which everything to the end is furniture once the article has started.
_END = _any_of(
    (
        r"^(주요|관련|인기|추천|많이 본|최신)\s*(기사|뉴스)",
        r"^\[관련기사\]",
        r"^댓글",
        r"(Copyright|ⓒ|©|무단\s*전재|재배포\s*금지)",
        r"^이슈포토$",
    )
)
# The lead of another wire article ("[뉴스21 통신=홍길동 ] ..."): that article starts on the line before.
_OTHER_LEAD = re.compile(r"^\[[^\]]{0,20}(통신|뉴스|일보|신문|방송|타임스|저널)\s*=\s*[^\]]{0,20}\]")
# Press and byline prefixes on the first body line: "[현장뉴스 = 조영정 기자] ", "정안뉴스 안정주 기자 | ".
_LEAD_PREFIX = re.compile(r"^(\[[^\]]{0,30}(기자|=)[^\]]{0,30}\]|[^|]{2,20}기자\s*\|)\s*")
_CAPTION_PREFIX = re.compile(r"^▲\s*사진\s*=\s*")

MIN_BODY = 200  # characters of article before trailing-furniture markers may cut the page


def _lines(text: str) -> list[str]:
    out = []
    for raw in text.splitlines():
        line = _SPACE.sub(" ", raw).strip()
        line = line.lstrip("•·-*").strip() if line[:1] in "•·-*" else line
        if line:
            out.append(line)
    return out


# A bullet, caption mark or bracket that ``_clean_page`` may strip from the start of a line.
_LEADS = frozenset("•·*-▲[")


def _may_change(text: str) -> bool:
    """Whether ``clean_text`` could change a one-line text: it holds a character that is not
    printable (a line break of any kind ``str.splitlines`` knows, a tab, a no-break, zero-width or
    ideographic space), doubled spaces, an e-mail or a byline, or starts with a bullet, caption
    mark, bracket or space, or ends with a space. A line it does not change comes back as it is
    whether or not it is furniture (a page with no article is left whole), so a headline without
    any of these needs no other test. String methods, not one regex search, which tried its
    alternatives at every character (figures: README)."""
    first = text[:1]
    return (
        not text.isprintable()
        or "  " in text
        or "@" in text
        or "기자" in text
        or first in _LEADS
        or first.isspace()
        or text[-1:].isspace()
    )


def clean_text(text: str) -> str:
    """The article in a crawled page, without the page around it. Already clean text comes back
    unchanged but for whitespace (lines trimmed, blank lines dropped)."""
    if not _may_change(text):
        return text
    return _clean_page(text)


def _clean_page(text: str) -> str:
    kept: list[str] = []
    body = 0
    for line in _lines(text):
        if body >= MIN_BODY and _END.search(line):
            break
        if body >= MIN_BODY and _OTHER_LEAD.search(line):
            if kept and len(kept[-1]) < 120:
                body -= len(kept.pop())  # that article's headline
            break
        line = _CAPTION_PREFIX.sub("", line)
        if _is_furniture(line) or len(line) <= 3:
            continue
        line = _LEAD_PREFIX.sub("", line)
        line = (_EMAIL.sub("", line) if "@" in line else line).strip()  # the search is slow
        if not line or (kept and kept[-1] == line):  # repeated captions and subtitles
            continue
        kept.append(line)
        body += len(line)
    return "\n".join(kept) if kept else text.strip()
