"""Writes followup2_tune.jsonl: a second set of short conversations, written in stop 18 before the
assistant was run on them, to tune follow-up handling on more than the first set's 13. Tuning only
(there is no test half: the frozen follow-up tests stay followup_test / followup_test2).
Run: python eval/sets/make_followup2.py"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PG, T, P, q  # noqa: E402


def standalone(qid, history, question, gold, evidence, must, unanswerable=False):
    """A new question after an unrelated turn: it stands alone and must not take the earlier topic."""
    d = fu(qid, "standalone", history, question, gold, evidence, must)
    if unanswerable:
        d.update(gold=[], evidence=[], must=[], expect_no_evidence=True, type="out_of_scope")
    return d

F, K, I = "福岡市", "熊本市", "市原市"
HERE = Path(__file__).resolve().parent


def fu(qid, kind, history, question, gold, evidence, must):
    d = q(qid, "followup", question, gold, evidence, must, note=kind, split="tune")
    d["history"] = [{"question": h} for h in history]
    return d


FOLLOWUP2 = [
    fu("fv01", "cost", ["熊本市のリソース調査はどこに頼んだの？"], "費用は？",
       [T(K, "リソース調査")], ["株式会社九州みらい研究所"], [["120万円", "120 万円"]]),
    fu("fv02", "cost", ["福岡市のお悩みハンドブックってどんなもの？"], "いくらかかった？",
       [T(F, "お悩みハンドブック")], ["グラフィア"], [["86万円", "86 万円"]]),
    fu("fv03", "figure", ["市原市のゆるサポ研修の講師は？"], "何人参加したの？",
       [T(I, "ゆるサポ")], ["参加者数17名"], [["17"]]),
    fu("fv04", "vendor", ["熊本市の新聞広告はどの新聞に出したの？"], "発注先は？",
       [T(K, "新聞広告")], ["株式会社広明通信社"], [["広明通信社"]]),
    fu("fv05", "figure", ["福岡市のエプロンは何のために作ったの？"], "何枚作った？",
       [T(F, "エプロン")], ["製作するエプロンの枚数:44枚"], [["44"]]),
    fu("fv06", "swap", ["市原市の合同研修会には何人参加しましたか"], "熊本市のPF会議は？",
       [T(K, "PF会議")], ["23団体と、行政職員25名"], [["23団体", "25名"]]),
    fu("fv07", "city", ["熊本市の担当課はどこですか"], "福岡市は？",
       [P(F)], ["福祉局生活福祉部生活支援課"], [["生活支援課"]]),
    fu("fv08", "detail", ["福岡市の実態把握調査は何人を対象にしたの？"], "回答はどうやって集めたの？",
       [T(F, "実態把握")], ["回答は、紙とQRコードの2つの手法を用意する"], [["QRコード", "紙"]]),
    fu("fv09", "vendor", ["市原市のPF会議のフォーラムで基調講演をしたのは誰？"], "発注先はどこ？",
       [T(I, "孤独・孤立対策PF会議")], ["いちほら市民活動協議会"], [["いちほら市民活動協議会"]]),
    fu("fv10", "figure", ["熊本市のPF会議には何団体が参加した？"], "行政の職員は何人？",
       [T(K, "PF会議")], ["行政職員25名"], [["25名", "25 名"]]),
    fu("fv11", "figure", ["熊本市はリソース調査の結果を受けて何をしたの？"], "最終的に何団体が加わったの？",
       [T(K, "PF拡大")], ["最終的に16団体が新たにPFに加わる"], [["16団体", "16 団体"]]),
    fu("fv12", "detail", ["熊本市は地域協議会をいつ作る予定ですか"], "検討して何がはっきりしたの？",
       [T(K, "地域協議会に係る検討")], ["PFと地域協議会のそれぞれの役割・設置目的の違いを明確にできた"],
       [["違い"]]),
    fu("fv13", "plan", ["孤独・孤立対策推進法はいつ施行されたの？"], "それで自治体の役割はどう変わった？",
       [PG(22, 25)], ["孤独・孤立対策における地方公共団体の責務が定められる"], [["責務"]]),
    fu("fv14", "superlative", ["市原市の試行的事業で一番安いのはどれ？"], "それは誰向けの研修？",
       [T(I, "ゆるサポ")], ["【対象】福祉の専門職"], [["福祉の専門職", "専門職"]]),
    standalone("fv21", ["熊本市の新聞広告はいつ載ったの？"], "福岡市の実態把握調査の発注先は？",
               [T(F, "実態把握")], ["東京商工リサーチ"], [["東京商工リサーチ"]]),
    standalone("fv22", ["市原市の人口は？"], "お悩みハンドブックの費用は？",
               [T(F, "お悩みハンドブック")], ["グラフィア"], [["86万円", "86 万円"]]),
    standalone("fv23", ["福岡市のエプロンは何枚作った？"], "孤独・孤立対策強化月間はいつですか",
               [PG(4, 7), PG(15, 18)], ["孤独・孤立対策強化月間"], [["5月"]]),
    standalone("fv24", ["熊本市の担当課は？"], "ゲートキーパーってどんな人のこと？",
               [PG(19, 22)], ["悩んでいる人に気づき、声をかけ、話を聞いて"], [["見守る"]]),
    standalone("fv25", ["市原市のゆるサポ研修の講師は？"], "生活保護の申請に必要な書類は？", [], [], [],
               unanswerable=True),
    standalone("fv26", ["福岡市の担当課は？"], "こども食堂フェスティバルをやったのはどの事業？",
               [T(I, "こども未来キャラバン")], ["こども食堂フェスティバル"], [["こども未来キャラバン"]]),
    standalone("fv27", ["熊本市のリソース調査の費用は？"], "孤立死の割合が高いのはどの年代？",
               [PG(17, 20)], ["50 歳代から 60 歳代前半の男性"], [["50歳代"]]),
    standalone("fv28", ["市原市のPF会議の発注先は？"], "空き家の改修に使える補助金はありますか", [], [], [],
               unanswerable=True),
]

if __name__ == "__main__":
    out = HERE / "followup2_tune.jsonl"
    out.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in FOLLOWUP2), encoding="utf-8")
    print(out.name, len(FOLLOWUP2))
