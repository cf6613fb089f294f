"""Writes refuse_test3.jsonl: a third frozen *test* split of refusals — 60 questions the
documents do not answer (`out_of_scope`, every line `split: "test3"`, ids n4001–n4060, no tune half).

Written on 2026-12-08 by a helper session, blind: from the documents alone — the report text
export (corpus/000_4d4ef3ddf692a859.txt: 第1章, 2-1 福岡市, 2-2 熊本市, 2-3 市原市, read in full) and
the national plan PDF (juten_keikaku_r7_gaiyou_kihonhoushin.pdf, all 26 pages read with
pdfplumber); corpus/ holds no other document (manifest.json lists these two). No pfkb search /
ask / eval was run, no code under kb/, api/, ingest/, scripts/, tests/ or eval/*.py was read, and
no *test* file under eval/ was opened. refuse_tune.jsonl and refuse3_tune.jsonl were read so that
these questions ask other things in other words; the README's summary of the test2 refusals was
read so that its near-miss topics are not asked again.

Categories (`note`): welfare 10, other_city 10, other_policy 10, figure 12, near_miss 12,
chitchat 3, meta 3. Registers are mixed (plain, polite 〜でしょうか, casual 〜って？, short, long,
kana しょうがい / はままつ, a typo 対作).

- other_city: 盛岡 秋田 山形 水戸 甲府 浜松 堺 相模原 徳島 函館 — in neither document, also not as
  substrings (NFKC, whitespace removed), and not used by an earlier set;
- figure: figures / names / dates not printed about topics the documents cover (福岡市's survey
  split by mode, the ハンドブック's traffic, 熊本市's leaflet print run and ad size, 市原市's
  地域協議会 size and 福祉総合相談センター case load, the national survey's sample, the 強化月間's
  first year, the first minister, how often 火の国会議 meets, 熊本市's citizen survey sample, Japan's
  World Happiness rank);
- near_miss: things the documents name without the asked detail (the 地域共生シンポジウム's venue,
  福岡市's own survey items' results, the リソース調査 respondents by type, the 防災協定's content,
  鳥取市's 広域 PF members, 春日井市's map, 岡崎市's podcast title, 宇和島市's novelty, the number
  of 分科会, the 自殺総合対策大綱's target, the WAM grant amount, 市原市's mayor's name).

Dropped while writing (a careful answer could quote or compute it from the text): the unit price
of 福岡市's aprons (13万円 / 44枚), how long a つながりサポーター養成講座 takes (熊本市's レクチャー会:
60分), how many people came to 熊本市's PF会議 (23団体 and 25名 are given), the persona of 市原市's
作業部会 (its customer-journey table is printed), the URL of 福岡市版お悩みハンドブック (its status
「公開に向けて調整中」 and the 遷移先 URLs are printed), when でんでん虫の会 started (「15年間、おしゃべり
会を毎週」), 甲府市's department in charge (too close to a tune question), 熊本市電's fares (too close
to a tune question about 福岡市's subway).

Run: python eval/sets/make_refuse_test3.py            (writes refuse_test3.jsonl)
     python eval/sets/make_refuse_test3.py --probe    (prints where each probe term occurs)
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import out_of_scope, probe, write_split  # noqa: E402

# (id, category, question, probe terms: words whose absence/irrelevance in both documents was checked)
R = [
    # --- welfare procedures the documents do not describe ---
    ("n4001", "welfare", "児童手当って何月に振り込まれるんでしたっけ？", ["児童手当", "振込", "支給月"]),
    ("n4002", "welfare", "しょうがい年金の申請で、初診日の証明がとれないときはどうすればいいでしょうか",
     ["障害年金", "しょうがい年金", "初診日", "年金"]),
    ("n4003", "welfare", "失業して国民健康保険料が払えないとき、減免の申請にはどんな書類が必要ですか",
     ["国民健康保険", "国保", "減免"]),
    ("n4004", "welfare", "生活保護を受けていても自動車を持つことはできますか", ["生活保護", "自動車", "保有"]),
    ("n4005", "welfare", "精神障害者保健福祉手帳の更新って何年ごと？", ["精神障害者保健福祉手帳", "手帳", "更新"]),
    ("n4006", "welfare", "身寄りのない高齢者について成年後見の市長申立てをするとき、手続きの流れを教えてください",
     ["成年後見", "市長申立", "申立て", "身寄り"]),
    ("n4007", "welfare", "高額療養費の限度額適用認定証ってどこで申請するの？", ["高額療養費", "限度額適用", "認定証"]),
    ("n4008", "welfare", "子どもに放課後等デイサービスを使わせたいのですが、受給者証はどうやって申請しますか",
     ["放課後等デイサービス", "受給者証", "デイサービス"]),
    ("n4009", "welfare", "特別児童扶養手当の認定基準（障害の程度）を知りたいです", ["特別児童扶養手当", "認定基準", "扶養手当"]),
    ("n4010", "welfare", "ヘルプマークはどこでもらえますか", ["ヘルプマーク"]),
    # --- other municipalities (in neither document, also not as a substring) ---
    ("n4011", "other_city", "盛岡市の孤独・孤立対策官民連携PFって、事務局はどこが担ってますか", ["盛岡", "もりおか"]),
    ("n4012", "other_city", "秋田市でも孤独・孤立の実態調査をしたそうですが、回答率はどのくらいでしたか", ["秋田"]),
    ("n4013", "other_city", "山形市はもう孤独・孤立対策地域協議会を設置済みでしょうか", ["山形"]),
    ("n4014", "other_city", "水戸市の孤独・孤立対策って、地域福祉計画の中でどう位置づけられてる？", ["水戸"]),
    ("n4015", "other_city", "甲府市のPFには社会福祉協議会や民生委員の団体も入っているんですか", ["甲府"]),
    ("n4016", "other_city", "うちは、はままつ市（浜松市）なんですが、浜松のPFに民間企業は何社くらい参加してます？",
     ["浜松", "はままつ"]),
    ("n4017", "other_city", "堺市の孤独・孤立対作で、若者向けにやっている取組があれば教えてください", ["堺"]),
    ("n4018", "other_city", "相模原市は居場所づくりの団体に補助金を出してるって聞いたけど、いくら？", ["相模原"]),
    ("n4019", "other_city", "徳島市が連携PFを立ち上げたとき、いちばん苦労したのはどこだったのでしょうか", ["徳島"]),
    ("n4020", "other_city", "函館市のPF会議って年に何回ひらいてるの？", ["函館"]),
    # --- other policy areas ---
    ("n4021", "other_policy", "避難所にペットと一緒に避難するときのルールは、どう決めておけばいいですか",
     ["避難所", "ペット", "同行避難", "避難"]),
    ("n4022", "other_policy", "インバウンドの観光客向けに多言語の案内看板をつくるとき、使える補助ってある？",
     ["インバウンド", "観光", "案内板", "看板"]),
    ("n4023", "other_policy", "住民税を特別徴収から普通徴収に切り替える手続きは？", ["住民税", "特別徴収", "普通徴収"]),
    ("n4024", "other_policy", "小学校の外国語（英語）の授業は年間何時間やることになっていますか",
     ["外国語", "英語", "授業時数", "授業"]),
    ("n4025", "other_policy", "高齢ドライバーの免許返納を進めるのに、どんな特典をつけている自治体が多いの",
     ["免許返納", "運転免許", "ドライバー"]),
    ("n4026", "other_policy", "庁内で生成AIを使うときの利用ガイドラインって、どう作ればいいでしょう",
     ["生成AI", "AI", "利用ガイドライン"]),
    ("n4027", "other_policy", "公の施設の指定管理者を選ぶときの評価基準はどう作ればよいですか", ["指定管理", "評価基準"]),
    ("n4028", "other_policy", "福岡市の燃えるごみの指定袋っていくら？", ["指定袋", "ごみ", "燃える"]),
    ("n4029", "other_policy", "期日前投票所を大学のキャンパスに置くときの手順が知りたい", ["期日前投票", "投票所", "キャンパス"]),
    ("n4030", "other_policy", "市原市で用途地域を変更したいとき、都市計画の手続きはどう進む？", ["用途地域", "都市計画"]),
    # --- figures / names / dates the documents do not give, about topics they cover ---
    ("n4031", "figure", "福岡市の実態把握調査で回収した1,159票のうち、WEBで答えた人は何票だったの？",
     ["WEB回答", "WEB", "1,159", "郵送"]),
    ("n4032", "figure", "福岡市版お悩みハンドブックは、公開してから月にどのくらいアクセスがありますか",
     ["アクセス数", "アクセス", "PV", "閲覧数"]),
    ("n4033", "figure", "熊本市の相談先一覧リーフレット、何部刷ったんですか", ["部数", "部印刷", "印刷", "刷"]),
    ("n4034", "figure", "熊日に載せた熊本市の広告って、紙面でどのくらいの大きさ（何段）だった？",
     ["何段", "5段", "全面", "サイズ", "紙面"]),
    ("n4035", "figure", "市原市の孤独・孤立対策地域協議会には、全部でいくつの機関・団体が入っていますか",
     ["構成機関", "機関数", "団体数", "相談機関連絡会"]),
    ("n4036", "figure", "令和6年の孤独・孤立の全国調査って、何人が回答したんですか",
     ["回答者数", "有効回答", "標本", "全国調査"]),
    ("n4037", "figure", "孤独・孤立対策強化月間は何年から始まったんでしょうか", ["強化月間"]),
    ("n4038", "figure", "初代の孤独・孤立対策担当大臣って誰でしたっけ", ["担当大臣", "初代", "坂本"]),
    ("n4039", "figure", "市原市の福祉総合相談センターには年間何件くらい相談が寄せられていますか",
     ["相談件数", "福祉総合相談センター", "件数"]),
    ("n4040", "figure", "火の国会議って月に何回くらい開かれているんですか", ["火の国会議", "月1回", "毎月", "定期"]),
    ("n4041", "figure", "熊本市が地域福祉計画のためにやった市民アンケート、何人に配って何人答えたの？",
     ["市民アンケート", "配布", "回収率", "37.4"]),
    ("n4042", "figure", "世界幸福度報告で日本は何位ですか", ["世界幸福度報告", "位置"]),
    # --- near misses: look answerable, the asked detail is absent ---
    ("n4043", "near_miss", "福岡市が令和6年1月に開いた地域共生シンポジウムは、どこの会場でやったんですか",
     ["地域共生シンポジウム", "会場"]),
    ("n4044", "near_miss", "福岡市のアンケートに市独自で入れた「相談したい窓口」の設問、結果はどうだった？",
     ["相談したい窓口", "独自設問", "独自の質問"]),
    ("n4045", "near_miss", "熊本市のリソース調査に回答した145団体のうち、NPO法人はいくつあったんでしょうか",
     ["145団体", "団体の種類", "NPO法人"]),
    ("n4046", "near_miss", "こども未来キャラバンで5市が結んだ防災協定は、具体的に何を協力しあう内容なの？",
     ["防災協定", "協定"]),
    ("n4047", "near_miss", "鳥取市の広域のPF（令和6年から）には、どこの市町村が参加していますか",
     ["鳥取", "広域は"]),
    ("n4048", "near_miss", "春日井市の「ゆるやかなつながりづくり応援マップ」には何か所載っているんですか",
     ["応援マップ", "春日井"]),
    ("n4049", "near_miss", "岡崎市がやってるポッドキャストって、番組名は何ていうの？", ["ポッドキャスト", "岡崎"]),
    ("n4050", "near_miss", "宇和島市の居住支援ノベルティは、具体的に何を作って誰に配ったのですか",
     ["ノベルティ", "宇和島"]),
    ("n4051", "near_miss", "全国の孤独・孤立対策官民連携プラットフォームには、分科会がいくつあるの？",
     ["分科会"]),
    ("n4052", "near_miss", "自殺総合対策大綱では、自殺死亡率を何年までにどのくらい減らす目標になっていますか",
     ["自殺総合対策大綱", "自殺死亡率", "目標"]),
    ("n4053", "near_miss", "熊本市のPFのコア団体がWAM助成で実施した「ひとりじゃないよのまちづくり事業」の助成額は？",
     ["ひとりじゃないよのまちづくり", "WAM", "助成額"]),
    ("n4054", "near_miss", "市原市のフォーラムで開会のあいさつをした市長さんのお名前を教えてください",
     ["市原市長", "市長"]),
    # --- chit-chat and meta ---
    ("n4055", "chitchat", "いろいろ教えてくれてありがとう！助かりました", []),
    ("n4056", "chitchat", "明日って雨降りますかね？傘いるかな", ["天気", "傘"]),
    ("n4057", "chitchat", "やっと金曜だー。週末出かけるならどこがいいと思う？", ["週末"]),
    ("n4058", "meta", "このアシスタントはどこの誰が作ったんですか", []),
    ("n4059", "meta", "回答が間違ってたら、どこに連絡すればいいですか", []),
    ("n4060", "meta", "音声で質問することってできる？", ["音声"]),
]


def refusals():
    return out_of_scope(R)


if __name__ == "__main__":
    if "--probe" in sys.argv:
        probe(R, every=True)
    else:
        print({"refuse_test3": write_split("refuse", refusals(), "test3")})
