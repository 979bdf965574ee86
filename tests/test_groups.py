from __future__ import annotations

import numpy as np

from classifier.evaluate import split
from classifier.groups import near_duplicate_groups, shingles


def test_shingles_ignore_case_and_punctuation():
    assert shingles("AI 로봇!") == shingles("ai  로봇")
    assert shingles("") == set()


def test_rewrites_of_a_story_share_a_group_and_others_do_not():
    texts = [
        "볼턴 퇴장으로 미·이란 정상회담 탄력…조건없이 만날수도",
        "볼턴 퇴장으로 미·이란 정상회담 탄력…조건없이 만날수도종합",
        "갤럭시노트FE 오늘 출시…지원금 받으면 최저 41만5천원",
        "프로축구 결승전에서 원정팀이 승부차기 끝에 우승했다",
        "갤럭시노트FE 오늘 출시 지원금 받으면 최저 41만5천원",
    ]
    groups = near_duplicate_groups(texts)
    assert groups[0] == groups[1]
    assert groups[2] == groups[4]
    assert len({groups[0], groups[2], groups[3]}) == 3
    assert groups.tolist()[:1] == [0]  # numbered in order of first appearance


def test_chains_join_transitively():
    a = "정부 인공지능 반도체 육성 전략 발표 올해 예산 천억원 투입"
    b = a + " 추가"
    c = b + " 확정 종합"
    groups = near_duplicate_groups([a, "전혀 다른 날씨 소식 오늘 맑음", c, b])
    assert groups[0] == groups[2] == groups[3] != groups[1]


def test_folds_never_split_a_group():
    rng = np.random.default_rng(0)
    words = "정부 예산 로봇 돌봄 축구 우승 주가 하락 날씨 맑음 선거 후보 공연 개막 병원 진료 반도체 수출".split()
    stories = [" ".join(rng.choice(words, 8)) + f" {i}" for i in range(20)]
    texts = [stories[i // 3] + ("…종합" if i % 3 == 2 else "") for i in range(60)]
    groups = near_duplicate_groups(texts)
    assert len(set(groups.tolist())) == 20
    Y = np.zeros((60, 1), dtype=np.int8)
    Y[::4] = 1
    for train, test in split(Y, 5, False, groups=groups):
        assert not set(groups[train].tolist()) & set(groups[test].tolist())
