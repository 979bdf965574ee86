from __future__ import annotations

import pytest

from classifier.clean import clean_text

from conftest import ROOT


def seed(name: str) -> str:
    return next((ROOT / "seeds").glob(f"{name}_*.txt")).read_text(encoding="utf-8")


def test_seed_002_loses_the_unrelated_headlines_after_the_article():
    cleaned = clean_text(seed("002"))
    assert cleaned.rstrip().endswith("노력해 나가겠다”고 말했다.")
    for junk in ("한강버스", "뉴스21 통신", "내란", "황교안", "▲ 사진="):
        assert junk not in cleaned
    assert cleaned.startswith("대구광역시대구시는 지난 15일")


def test_seed_004_loses_weather_and_banners():
    cleaned = clean_text(seed("004"))
    assert cleaned.startswith("전주정보문화산업진흥원, ‘미래첨단기술’로 지역 신산업")
    for junk in ("℃", "기상청 제공", "배너", "2025.08.28", "정안뉴스 안정주 기자"):
        assert junk not in cleaned
    assert "가상융합산업 진흥법" in cleaned


def test_seed_003_loses_byline_share_buttons_captions_and_comments():
    raw = seed("003")
    cleaned = clean_text(raw)
    for junk in ("상태바", "조영정 기자", "승인 2020", "이 기사를 공유합니다", "댓글", "fieldnews@daum.net", "주요기사", "(사진="):
        assert junk not in cleaned, junk
    assert cleaned.count("광주시, 이스라엘과 인공지능산업 협력방안 모색") == 1
    assert "오르캠 테크놀로지" in cleaned
    assert len(cleaned) < len(raw) * 0.7


def test_seed_000_loses_byline_email_and_related_articles():
    cleaned = clean_text(seed("000"))
    for junk in ("yyj0511@aitimes.com", "[관련기사]", "윤영주 기자"):
        assert junk not in cleaned
    assert "AI 보건소" in cleaned


@pytest.mark.parametrize(
    "page,kept,dropped",
    [
        (
            "2024.03.05 (화)\n• 맑음서울 12.1℃\n정부, AI 반도체에 1조 투입\n홍길동 기자 gildong@example.com\n"
            "과학기술정보통신부는 5일 인공지능 반도체 육성에 1조 원을 투입한다고 밝혔다. " * 1
            + "\n" + "관계자는 “산업 생태계를 키우겠다”고 말했다. " * 6
            + "\nCopyright ⓒ 예시일보 무단전재 및 재배포 금지\n많이 본 뉴스\n연예인 A씨 결혼 발표",
            ["정부, AI 반도체에 1조 투입", "1조 원을 투입한다고 밝혔다", "산업 생태계를 키우겠다"],
            ["℃", "gildong@example.com", "Copyright", "무단전재", "많이 본 뉴스", "연예인", "2024.03.05"],
        ),
        (
            "메타버스 플랫폼에서 가상 공연이 열렸다.\n페이스북 트위터 카카오톡 URL복사\n" + "관객 10만 명이 아바타로 참여했다. " * 8
            + "\n댓글 0\n댓글을 남기실 수 있습니다.\n이슈포토",
            ["가상 공연이 열렸다", "아바타로 참여했다"],
            ["페이스북", "댓글", "이슈포토"],
        ),
    ],
)
def test_crawled_page_furniture_is_stripped(page, kept, dropped):
    cleaned = clean_text(page)
    for text in kept:
        assert text in cleaned
    for text in dropped:
        assert text not in cleaned


def test_clean_text_is_left_alone():
    article = "광주시가 돌봄 로봇을 보급한다.\n\n  어르신 100가구가 대상이다.  "
    assert clean_text(article) == "광주시가 돌봄 로봇을 보급한다.\n어르신 100가구가 대상이다."
    assert clean_text("   ") == ""


def test_tagger_cleans_by_default_and_not_when_told(mini_tagger):
    page = "• 맑음서울 12.1℃\n배너\n요양원에 돌봄 로봇이 배치돼 어르신을 돕는다.\n홍길동 기자 a@b.kr"
    [cleaned] = mini_tagger.analyse([page])
    [raw] = mini_tagger.analyse([page], clean=False)
    assert cleaned.morphemes == ["요양원", "돌봄", "로봇", "배치", "어르신", "돕다"]
    assert {"맑음", "서울", "홍길동", "기자"} <= set(raw.morphemes)
    assert cleaned.text.startswith("요양원에")


def test_no_clean_option_reaches_tagging(mini_tagger):
    from classifier.batch import TagOptions, tag_records
    from classifier.inputs import InputDocument

    page = [InputDocument("p", seed("004"))]
    [(_, cleaned)] = tag_records(mini_tagger, page)
    [(_, raw)] = tag_records(mini_tagger, page, options=TagOptions(clean=False))
    assert cleaned.scores != raw.scores


def test_cli_no_clean_flag(run_ktag, tmp_path, default_models):
    import json
    import shutil

    from conftest import use_default_model

    shutil.copytree(ROOT / "labels", tmp_path / "labels")
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    use_default_model(default_models, tmp_path / "models")
    weather = "".join(f"• 맑음{city} 2{i}.1℃\n" for i, city in enumerate(["서울", "부산", "대구", "광주", "대전"]))
    (tmp_path / "page.txt").write_text(weather + "배너\n요양원에 돌봄 로봇이 들어왔다.\n홍길동 기자 a@b.kr\n", encoding="utf-8")
    cleaned, raw = run_ktag("tag", "page.txt"), run_ktag("tag", "page.txt", "--no-clean")
    assert cleaned.returncode == raw.returncode == 0, raw.stderr
    assert json.loads(cleaned.stdout)["scores"] != json.loads(raw.stdout)["scores"]


@pytest.mark.parametrize(
    ("line", "cleaned"),
    [
        ("돌봄 로봇 보급", "돌봄 로봇 보급"),
        ("돌봄  로봇\t\t보급", "돌봄 로봇 보급"),
        ("돌봄\u00a0로봇 \u3000보급\u200b확대", "돌봄 로봇 보급 확대"),
        ("문의 care@example.com 으로", "문의  으로"),  # the e-mail goes, its spaces stay
    ],
)
def test_spaces_collapse_and_emails_go(line, cleaned):
    assert clean_text(line) == cleaned


@pytest.mark.parametrize(
    "text",
    [
        "정부, AI 반도체에 1조 투입", "[속보] 정부 발표", " 앞 공백", "뒤 공백 ", "•목록", "-목록", "*목록", "·목록", "▲ 사진=연합",
        "홍길동 기자", "문의 x@y.com", "줄\u2028바꿈", "줄\x1c바꿈", "줄\x85바꿈", "줄\x0b바꿈", "두  칸", "전각\u3000공백", "탭\t문자",
        "em\u2003공백", "제어\x07문자", "끝 공백\u3000", "[", "▲",
        "AD", "광고", "댓글 3", "기상청 제공", "2024.03.05", "ⓒ 예시일보", "12.1℃", "abc", "가", "",
    ],
)
def test_one_line_fast_path_gives_what_the_full_cleaner_gives(text):
    """A one-line text the quick test lets through must be one the full cleaner leaves alone."""
    from classifier.clean import _clean_page

    assert clean_text(text) == _clean_page(text)


def test_seeds_and_pages_clean_the_same_through_either_path():
    from classifier.clean import _clean_page

    for path in (ROOT / "seeds").glob("*.txt"):
        text = path.read_text(encoding="utf-8")
        assert clean_text(text) == _clean_page(text)
        for line in text.splitlines():
            assert clean_text(line) == _clean_page(line), line
