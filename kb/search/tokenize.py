"""Japanese tokenisation for BM25: SudachiPy normalised forms of content words,
a light stem (trailing okurigana) so that 取組/取り組み/取り組む meet, and a
domain synonym map (PF ⇔ プラットフォーム, 社協 ⇔ 社会福祉協議会, 立ち上げ ⇔ 設立 ⇔ 組成).

A Sudachi tokenizer is not thread-safe: one per thread."""
from __future__ import annotations

import re
import threading
from functools import lru_cache

from kb.core.normalize import map_chars

TOKENIZER_VERSION = "sudachi-normalized+stem+synonyms+subwords+no-aux+place/5"

# phrase-level synonyms (applied to the text before tokenising): longer forms → canonical
PHRASE_SYNONYMS: tuple[tuple[str, str], ...] = (
    ("社会福祉協議会", "社協"),
    ("プラットフォーム", "PF"),
    ("プラットホーム", "PF"),
    ("ワークショップ", "WS"),
    ("テレビ", "TV"),
    ("特定非営利活動法人", "NPO法人"),
    ("重層的支援体制整備事業", "重層的支援体制整備事業 重層"),
)
# token-level synonyms on stems → canonical stem
TOKEN_SYNONYMS: dict[str, str] = {
    "設立": "立ち上", "組成": "立ち上", "立上": "立ち上", "発足": "立ち上", "立ち上げ": "立ち上",
    "取組": "取り組", "取り組": "取り組",
    "声掛": "声掛", "声がけ": "声掛", "呼び掛": "声掛", "呼びかけ": "声掛",
    "周知": "広報", "啓発": "広報",
    "所管": "担当", "担当課": "担当",
    "自治体": "自治体", "市町村": "自治体", "市役所": "市",
    "アンケート": "調査", "踏査": "調査",
    "ネットワーク": "つながり", "繋がり": "つながり",
    "協議体": "会議体",
    "規約": "要領", "ルール": "要領", "規程": "要領", "要綱": "要領",
}
CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞"}
STOP = {"為る", "成る", "有る", "居る", "出来る", "良い", "言う", "思う", "事", "物", "為", "様", "時", "方",
        "何", "どう", "所", "等", "よう", "こと", "もの", "ため", "とき", "ところ", "さ", "れる", "られる",
        "いる", "ある", "する", "なる", "できる", "いい", "よい", "教える", "知る", "ください", "下さる"}
_KANJI = re.compile(r"[\u3400-\u9fff]")
_TRAILING_KANA = re.compile(r"(?<=[\u3400-\u9fff])[\u3041-\u309f]+$")
_MAX_CHUNK = 16_000  # characters per Sudachi call (it takes at most ~49 KB of UTF-8)


def dictionary_version() -> str:
    import importlib.metadata as md
    try:
        return f"sudachidict-core {md.version('sudachidict-core')}"
    except md.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def stem(form: str) -> str:
    """Drop trailing okurigana after a kanji: 取り組み/取り組む → 取り組, 立ち上げる → 立ち上げ… keep kana words."""
    if not _KANJI.search(form):
        return form
    out = _TRAILING_KANA.sub("", form)
    return out or form


class Tokenizer:
    """Callable ``str -> list[str]`` (one Sudachi tokenizer per thread)."""

    def __init__(self, mode: str = "B", subwords: bool = True):
        from sudachipy import SplitMode
        self.mode = mode
        self.subwords = subwords and mode != "A"
        self._mode_a = SplitMode.A
        self._local = threading.local()

    def _sudachi(self):
        tok = getattr(self._local, "tok", None)
        if tok is None:
            from sudachipy import SplitMode
            tok = _dictionary().tokenizer(mode=getattr(SplitMode, self.mode))
            self._local.tok = tok
        return tok

    def prepare(self, text: str) -> str:
        text = map_chars(text)
        for a, b in PHRASE_SYNONYMS:
            text = text.replace(a, b)
        return text

    def __call__(self, text: str) -> list[str]:
        text = self.prepare(text)
        tok = self._sudachi()
        out: list[str] = []
        for i in range(0, len(text), _MAX_CHUNK):
            for m in tok.tokenize(text[i:i + _MAX_CHUNK]):
                pos_full = m.part_of_speech()
                pos = pos_full[0]
                if pos not in CONTENT_POS:
                    continue
                if pos == "動詞" and pos_full[1] == "非自立可能":
                    continue  # auxiliary use (…てくれる, どうやって): くれる would become 呉, the token of 呉市
                form = m.normalized_form()
                if form in STOP or m.surface() in STOP:
                    continue
                if pos == "名詞" and m.part_of_speech()[1] == "数詞":
                    form = m.surface()
                self._add(out, form)
                if pos == "名詞" and pos_full[2] == "地名" and len(form) >= 2 and form[-1] in "市区町村":
                    self._add(out, form[:-1])  # 熊本市 also meets 「熊本では」
                if self.subwords and pos == "名詞" and len(m.surface()) >= 4:
                    # compounds also index their short units (民生児童委員 → 民生/児童/委員)
                    parts = m.split(self._mode_a)
                    if len(parts) > 1:
                        for p in parts:
                            if p.part_of_speech()[0] in CONTENT_POS and p.normalized_form() not in STOP:
                                self._add(out, p.normalized_form())
        return out

    @staticmethod
    def _add(out: list[str], form: str) -> None:
        s = stem(form)
        s = TOKEN_SYNONYMS.get(s, s)
        if len(s) == 1 and not _KANJI.search(s) and not s.isalnum():
            return
        out.append(s.lower())


@lru_cache(maxsize=1)
def _dictionary():
    from sudachipy import Dictionary
    return Dictionary()

