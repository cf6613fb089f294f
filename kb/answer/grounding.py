"""Is a sentence supported by the records it cites? Its content words and its
numbers must appear in the cited records (title, text and field values).

Used to verify LLM answers and, in eval, to check the composer's answers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from kb.core.normalize import map_chars
from kb.core.records import Record
from kb.search.tokenize import Tokenizer

# words of the answer's own framing (labels, connectives), not claims about the reports
FRAME_WORDS = {
    "時期", "段階", "共通", "示唆", "各", "自治体", "事例", "実践", "費用", "発注", "発注先", "実施", "内容", "目的", "成果",
    "結果", "概要", "ねらい", "工夫", "工夫点", "出典", "記載", "資料", "該当", "関連", "記録", "見出し", "留意", "留意点",
    "ポイント", "全体", "回答", "質問", "以下", "以上", "次", "ほか", "参考", "整理", "比較", "違い", "観点", "項目",
    "期待", "効果", "kpi", "人口", "担当", "部局", "立ち上", "年度", "地域協議会", "pf", "連携", "声", "支援団体",
    "ブレイクスルー", "要因", "試行的", "事業", "主担当部署", "設定", "初動", "現状把握", "テーマ", "企画", "設計",
    "リストアップ", "初期", "メンバー", "声掛", "域内", "住民", "団体", "情報発信", "運営", "設置", "拡大", "活性化",
    "準備", "自走", "設立", "決定", "地域", "現状", "把握", "取組", "取り組", "関係", "庁内", "庁外", "なし", "不明",
    "値", "場所", "一方", "また", "なお", "まとめ", "数値", "日付", "単位", "値", "件", "出所", "ページ", "行", "章",
    "都市", "市", "区", "町", "村", "ロードマップ", "流れ", "手順", "順", "進め方", "第", "行程表", "整理マップ",
}
_NUM = re.compile(r"\d[\d,.]*")


@dataclass(frozen=True)
class SentenceCheck:
    sentence: str
    cited: tuple[str, ...]
    ok: bool
    missing_words: tuple[str, ...] = ()
    missing_numbers: tuple[str, ...] = ()
    reason: str = ""


def record_evidence_text(r: Record) -> str:
    """Everything a citation of ``r`` vouches for: its text, fields, and the labels of its place in
    the phase model (a lesson of step ⑦ supports 「⑦ 連携PFの運営」)."""
    from kb.search.nodes import record_search_text
    parts = [record_search_text(r), r.citation_label(), step_label_text(r.step)]
    for v in r.fields.values():
        if isinstance(v, (str, int, float)) and not isinstance(v, bool):
            parts.append(str(v))
        elif isinstance(v, (list, tuple)):
            parts += [str(x) for x in v if isinstance(x, (str, int, float))]
    return "\n".join(parts)


def step_label_text(step: str | None) -> str:
    from kb.core.records import STEP_MARKS, STEP_NAMES
    return f"{STEP_MARKS[step]} {STEP_NAMES[step]}" if step else ""


def numbers_in(text: str) -> set[str]:
    out = set()
    for m in _NUM.finditer(map_chars(text)):
        n = m.group(0).rstrip(".,").replace(",", "")
        if n:
            out.add(n)
    return out


@dataclass
class GroundingChecker:
    tokenizer: Tokenizer = field(default_factory=Tokenizer)
    min_word_coverage: float = 1.0

    def check(self, sentence: str, cited: Iterable[Record]) -> SentenceCheck:
        cited = list(cited)
        ids = tuple(r.id for r in cited)
        plain = re.sub(r"\[\d+\]|（[^）]*l\.\d[^）]*）|（[^）]*p\.\d[^）]*）|（テキスト版 [^）]*行目）", "", sentence)
        if not cited:
            words = [w for w in self.tokenizer(plain) if w not in FRAME_WORDS]
            if not words and not numbers_in(plain):
                return SentenceCheck(sentence, ids, True, reason="framing only")
            return SentenceCheck(sentence, ids, False, tuple(words), tuple(sorted(numbers_in(plain))),
                                 reason="no citation")
        evidence = "\n".join(record_evidence_text(r) for r in cited)
        ev_tokens = set(self.tokenizer(evidence))
        ev_numbers = numbers_in(evidence)
        words = [w for w in self.tokenizer(plain) if w not in FRAME_WORDS]
        missing_w = tuple(sorted({w for w in words if w not in ev_tokens}))
        missing_n = tuple(sorted(n for n in numbers_in(plain) if n not in ev_numbers))
        coverage = 1 - len(missing_w) / len(set(words)) if words else 1.0
        ok = not missing_n and coverage >= self.min_word_coverage
        reason = "" if ok else ("numbers not in cited records" if missing_n else "words not in cited records")
        return SentenceCheck(sentence, ids, ok, missing_w, missing_n, reason)
