"""Writes plan3_tune.jsonl and refuse3_tune.jsonl: a third batch of hand-made *tuning* questions
(tune only: every line has `split: "tune"`, no test half; ids p3…, n3…).

Written from the documents alone — the national plan PDF (juten_keikaku_r7_gaiyou_kihonhoushin.pdf,
孤独・孤立対策重点計画 parts I–II, all 26 pages read with pdfplumber; printed page = PDF index − 3
from PDF page 4 on) and the report text export (corpus/000_4d4ef3ddf692a859.txt: 第1章, 福岡市,
熊本市, 市原市) — without running pfkb search / ask / eval on them and without reading the search,
answer or ingest code. No *test* file under eval/ was opened; the earlier sets' generators
(make_plan.py, make_refuse.py) were read so that none of their questions is repeated.

plan3_tune.jsonl — 40 answerable questions about the plan, in users' words (new city staff, a
consultant, a trainer; polite or casual, long or short, three with kana or a typo: こりつし, 身より,
ウェルビーング, 連係). Every printed page 1–23 (PDF 4–26) is the gold of at least one question
(PDF 1–3, cover / front note / contents, print no page number). Gold: `{"document~": "juten",
"page": printed, "pdf_page": index}`; evidence is copied from pdfplumber's text of that page (8–30
characters after NFKC and whitespace removal). By type: fact 21, role 7, how 5, definition 4,
why 3. Thirteen (`note: "unusual"`) ask about a covered topic in an unexpected way — a date, a
budget year, a figure in a footnote, who spoke at a hearing, a premise to be reversed (「孤独感が
高い若い人ほど人助けに消極的？」), 熊本地震 in the plan — the kind a system wrongly refuses.

refuse3_tune.jsonl — 60 unanswerable questions (`out_of_scope`, `note` = category): welfare
procedures 10, other municipalities 10, other policy areas 10, figures not given 12, near misses 12,
chit-chat 3 / meta 3. Each was checked term by term against both texts (NFKC, whitespace removed;
`python eval/sets/make_tune3_plan.py --probe` prints where each probe term occurs):
- the ten cities (青森 宇都宮 前橋 岐阜 富山 奈良 高松 鹿児島 長崎 川崎) occur in neither document, also
  not as substrings, and none is used by an earlier set;
- figures not given: the plan names the 交付金, つながりサポーター, the 強化月間, the SNS 24時間相談,
  孤立死 (21,856 in total, no split by sex), 自殺者数 (小中高生 529 and 50歳代 most, no R6 total, no
  R7), the advisory board, 終身サポート事業者 (no count); the national survey's age profile is not
  given (the report gives 福岡市's only); 市原市's 地区福祉総合相談センター (9 sites, no staff) and
  こども未来キャラバン (協賛企業 named as a booth, not counted);
- near misses: Part III (具体的施策) is not in the PDF; the 終身サポート guideline, 強化月間, 安心・
  つながりPT, the 設置状況 survey, the law's article count / confidentiality, the 一部改定 of R7.5.27 are
  mentioned without the asked detail; でんでん虫の会 meets 毎週 (no weekday), 熊本市's newspaper ad
  shows QR codes (no phone number), 「あなたはひとりじゃない」 is named (no URL).
Dropped while writing (a careful answer could quote the text): ひとり親 医療費助成 (the report's
ハンドブック table lists a ひとり親 窓口), 福岡市's survey response rate (38.6% is given), the names of
the こども食堂 at the キャラバン (its vendor Amity いちほら子供食堂 is given), what the 交付金 may be used
for (the plan says whom it supports), 熊本市's planned 地域協議会 members (the report lists them),
what 市原市 / 鳥取県 said at the hearings (footnotes tie them to a sentence).

Run: python eval/sets/make_tune3_plan.py            (writes both files)
     python eval/sets/make_tune3_plan.py --probe    (prints probe-term hits of the refusals)
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PG, probe, q, write_split  # noqa: E402


def G(*printed):
    return [PG(p, p + 3) for p in printed]


U = {"note": "unusual"}

Q = [
    # --- はじめに (p1), I.1 (p2) ---
    q("p3001", "fact", "推進法って、世界的に見て何か画期的なところがあるんですか？",
      G(1), ["世界で初めて総合的に規定された"], [["世界で初めて"]]),
    q("p3002", "role", "重点計画って誰が作ることになってるの？作らなくてもいいもの？",
      G(2), ["重点計画を作成しなければならない旨が規定されている"],
      [["推進本部"], ["作成しなければならない"]], **U),
    q("p3003", "fact", "法律ができる前にも孤独・孤立の計画ってあったんですよね？どの会議で決めていて、議長はだれだったんですか",
      G(2), ["法施行前の重点計画", "担当大臣を議長とし、全府省庁の副大臣等により構成"],
      [["孤独・孤立対策推進会議"], ["担当大臣"]]),
    # --- I.2 (p3–6) ---
    q("p3004", "fact", "対策のイメージを関係者で具体化して共有するのが大事、という意見はどこの自治体から出たものですか",
      G(3), ["埼玉県及び鳥取県からの意見"], [["埼玉県"], ["鳥取県"]], **U),
    q("p3005", "fact", "日本の孤独・孤立対策を海外に発信するって聞いたけど、何を発信するつもりなの？",
      G(3), ["知見を積極的に海外に発信し", "官・民・ＮＰＯ等の「水平的連携」"],
      [["水平的連携"], ["緩やかなつながり"]]),
    q("p3006", "fact", "PFや地域協議会がどのくらい設置されてるか調べたアンケート、あれはいつの会議の資料で出たんですか",
      G(4), ["令和７年４月７日「孤独・孤立対策の在り方に関する有識者会議"],
      [["令和7年4月7日", "2025年4月7日"], ["有識者会議"]], **U),
    q("p3007", "how", "うちは小さな町なので、近隣の市町と一緒にPFをつくれないか考えてます。そういう例って国から紹介されてますか",
      G(4), ["行政区域を超えて地方版孤独・孤立対策官民連携"], [["行政区域を超え"], ["横展開"]]),
    q("p3008", "fact", "社会参加活躍支援等の交付金って、どの年度の予算で付いたものなんでしょう",
      G(4), ["令和６年度補正予算及び令和７年度当初予算"],
      [["令和6年度補正予算"], ["令和7年度当初予算"]], **U),
    q("p3009", "how", "研修で「孤立は自己責任じゃない」と伝えたいんですが、計画にそう読める書き方ってありますか",
      G(5), ["孤独・孤立に陥ることは個人の責任ではない"], [["個人の責任ではない"]]),
    q("p3010", "fact", "女子高校生の自殺って増えてるんですか？令和6年は何人だった？",
      G(5), ["令和６年：185人"], [["185"], ["166", "増加"]], **U),
    q("p3011", "definition", "こりつしって、計画の中ではどういう亡くなり方のことを言ってるの",
      G(5), ["誰にも看取られることなく死亡し"], [["看取られることなく"], ["一定期間"]]),
    q("p3012", "fact", "現役世代も含めた単身者の孤立を防ぐために、国で何かチームみたいなものが立ち上がってると聞いたんですが",
      G(6), ["安心・つながりプロジェクトチームの開催について"], [["安心・つながりプロジェクトチーム"]], **U),
    # --- II.1 状況 (p7–9) ---
    q("p3013", "why", "孤独・孤立が広がった背景として、働き方とか雇用の変化はどう説明されてますか",
      G(7), ["日本型雇用慣行が変化し", "非正規雇用労働者が増加する"],
      [["非正規"], ["終身雇用", "日本型雇用慣行"]]),
    q("p3014", "fact", "コロナ1年目って、DVの相談件数どのくらいだったか計画に数字載ってます？",
      G(7), ["令和２年度に過去最多（12万9,491件）"], [["12万9,491"]], **U),
    q("p3015", "fact", "全国調査で、孤独感が「決してない」と答えた人以外、つまり多少なりとも孤独を感じてる人はどのくらい？",
      G(7), ["約８割の人に、程度の差こそあれ孤独感がある"], [["8割"]]),
    q("p3016", "fact", "孤独を「しばしば・常に」感じると答えた人の割合、令和3年から6年でいちばん高かったのは何年？",
      G(7, 8), ["令和４年：「しばしばある・常にある」4.9％"], [["令和4年", "2022年"], ["4.9"]], **U),
    q("p3017", "role", "就職氷河期世代の人たちへの支援も、孤独・孤立対策の枠に入ってるんですか？",
      G(8), ["就職氷河期世代を含む中高年層については"],
      [["社会参加活躍支援等孤独・孤立対策推進交付金", "交付金"], ["社会参加"]]),
    q("p3018", "fact", "身よりのない高齢者を地域でどう支えるか、国はどういう観点で検討してるのかな",
      G(8, 9), ["権利擁護の観点から検討がなされている"], [["権利擁護"]]),
    # --- II.2 基本理念 (p10–13) ---
    q("p3019", "role", "市町村って法律上なにをしないといけないの？",
      G(10), ["第四条 地方公共団体は、基本理念にのっとり", "区域内における当事者等の状況に応じた施策を策定し"],
      [["第4条", "第四条"], ["区域内"]]),
    q("p3020", "definition", "計画によく出てくる「当事者等」って、本人以外にだれが含まれるんですか？友だちも？",
      G(10, 11), ["孤立の状態にある者及びその家族等", "当事者の友人・知人が含まれる"], [["家族"], ["友人"]]),
    q("p3021", "how", "一人暮らしで本人は全然さみしくないって人は、別に支援はいらないってことでいい？",
      G(11), ["周りの方が困難を抱えている場合も想定される"], [["孤独」でない", "孤独でない"], ["周り"]]),
    q("p3022", "fact", "孤独って体にどう悪いの？なにかの病気のリスクが上がるとか",
      G(11), ["肥満や認知症、高血圧のリスクを高める"], [["肥満"], ["認知症"], ["高血圧"]]),
    q("p3023", "fact", "重点計画の中に熊本地震って出てきますか？どういう話の流れで？",
      G(12), ["平成 28 年の熊本地震", "「つながり」の重要性を再認識させる契機"],
      [["熊本地震"], ["つながり」の重要性", "つながりの重要性"]], **U),
    q("p3024", "why", "ウェルビーングって言葉が出てきたけど、孤独・孤立対策とどうつながるの？",
      G(13), ["ウェルビーイング（Well-being、人の幸福感）"], [["幸福感"], ["社会関係資本"]]),
    # --- II.3 基本方針 (p14–21) ---
    q("p3025", "fact", "全国調査以外に、国って孤独・孤立のデータ集めで何かやる予定ありますか",
      G(14), ["特定のテーマに特化した調査の実施"], [["特定のテーマ"], ["国際比較", "学術研究"]]),
    q("p3026", "why", "「申請主義」のせいで支援が届かない人がいる、みたいな話は計画に出てきます？",
      G(15), ["「申請主義」を基本としてきた制度の下で"], [["支援制度を知らない"]]),
    q("p3027", "fact", "全国版PFの分科会1って何を議論してるところ？検討成果が出たのはいつ？",
      G(15), ["検討成果（令和４年10月７日）に沿って", "分科会１では、「声を上げやすい・声をかけやすい社会」"],
      [["声を上げやすい"], ["令和4年10月7日", "2022年10月7日"]], **U),
    q("p3028", "how", "手続きがめんどうで相談に来ない人もいると思うんですが、どんな改善策が書かれてますか",
      G(16), ["制度申請の簡易化やオンライン化"], [["オンライン化"], ["自動化"]]),
    q("p3029", "fact", "孤独感が高い若い人ほど、困ってる人を助けるのには消極的だったりするの？",
      G(16), ["周りの困っている人への積極的な声掛け"], [["前向き"], ["若年層"]], **U),
    q("p3030", "role", "会社として社員の孤独・孤立を防ぐような取組をするのも、計画で期待されてることなんですか",
      G(17), ["民間企業における社員への孤独・孤立状態の予防"], [["社員"]]),
    q("p3031", "fact", "公民館とか図書館みたいな施設も、つながりの場として活用するって書いてある？",
      G(18), ["都市公園・自然公園や博物館・公民館・図書館"], [["公民館"], ["図書館"]]),
    q("p3032", "how", "地域づくりって、どのくらいの範囲を単位に考えればいいんでしょう",
      G(19), ["小学校区や自治会等の地域の実情に応じた単位"], [["小学校区"]]),
    q("p3033", "role", "NPOへの国の支援って、単年度で終わっちゃうものなんですか？スタッフの育成にも使える？",
      G(19), ["ＮＰＯ等の活動（人材育成を含む。）に対して安定的・継続的"],
      [["安定的・継続的"], ["人材育成"]]),
    q("p3034", "role", "国がやってるモデル調査でわかった取組って、ほかの自治体にも共有してもらえるんですか",
      G(19), ["モデル調査等により把握した居場所づくり等の先駆的な取組"], [["情報提供"]]),
    q("p3035", "role", "民間企業が官民連係に入ってくる具体的な場として、どんな会議体が例に出てますか",
      G(20), ["消費者安全確保地域協議会"], [["支援会議"], ["消費者安全確保地域協議会"]]),
    q("p3036", "fact", "都道府県が地域協議会を置く意味について、ヒアリングで発言した県があったはず。どこでしたっけ",
      G(20), ["ヒアリングにおいて鳥取県から"], [["鳥取県"]], **U),
    q("p3037", "fact", "PFとか地域協議会の運営のしかたって、国がもうかっちり決めてるんですか",
      G(21), ["運営の在り方については、現場等の意見を聴きながら"], [["引き続き検討"]]),
    # --- II.4 推進体制 (p22–23) ---
    q("p3038", "definition", "「政策の輸出」って何？",
      G(22), ["「政策の輸出」を含む"], [["海外に発信"], ["社会的つながり委員会"]]),
    q("p3039", "definition", "地域協議会とPFって、結局なにが違うの？協議会は何を話し合う場？",
      G(22), ["個々の当事者等への支援の内容について協議する"],
      [["個々の当事者等への支援"], ["多様な主体の連携"]]),
    q("p3040", "fact", "重点計画の見直しを審議する有識者会議って、いつ設置されたもの？",
      G(23), ["孤独・孤立対策の在り方に関する有識者会議の開催について"],
      [["令和7年1月17日", "2025年1月17日"]], **U),
]

# (id, category, question, probe terms: words whose absence/irrelevance in both documents was checked)
R = [
    # --- welfare procedures ---
    ("n3001", "welfare", "障害のある人が就労継続支援B型の事業所で働いた場合、工賃は月いくらくらいもらえますか", ["就労継続支援", "工賃"]),
    ("n3002", "welfare", "親の介護で仕事を休むとき、介護休業給付金は給料の何割出るの？", ["介護休業", "給付金"]),
    ("n3003", "welfare", "出産育児一時金って今いくらもらえるんでしたっけ", ["出産育児一時金", "一時金"]),
    ("n3004", "welfare", "子どもの医療費助成は何歳まで対象ですか", ["医療費助成", "医療費"]),
    ("n3005", "welfare", "後期高齢者医療の保険料はどうやって計算されるんですか", ["後期高齢者", "保険料"]),
    ("n3006", "welfare", "生活保護の申請で、親族への扶養照会は断れますか", ["扶養照会", "生活保護", "扶養"]),
    ("n3007", "welfare", "自立支援医療（精神通院医療）の申請に必要なものを教えてください", ["自立支援医療", "精神通院"]),
    ("n3008", "welfare", "要支援1の人が使える介護サービスの支給限度額はいくら？", ["要支援1", "支給限度"]),
    ("n3009", "welfare", "雇用保険の基本手当って、自己都合で辞めた場合は何日分もらえますか", ["基本手当", "自己都合", "雇用保険"]),
    ("n3010", "welfare", "介護保険で手すりをつける住宅改修、上限はいくらまで？", ["住宅改修", "手すり", "介護保険"]),
    # --- other municipalities (none occurs in either document, also not as a substring) ---
    ("n3011", "other_city", "青森市の孤独・孤立対策官民連携PFには何団体くらい参加してますか", ["青森"]),
    ("n3012", "other_city", "宇都宮市ってつながりサポーター養成講座やってるの？", ["宇都宮"]),
    ("n3013", "other_city", "前橋市の孤独・孤立対策地域協議会はいつ設置されましたか", ["前橋"]),
    ("n3014", "other_city", "岐阜市で孤独・孤立の実態調査をやったと聞きました。結果を教えてください", ["岐阜"]),
    ("n3015", "other_city", "富山市はPFの事務局をNPOに委託してるって本当？", ["富山"]),
    ("n3016", "other_city", "なら市（奈良市）の孤独・孤立対策の担当課はどこ？", ["奈良", "なら市"]),
    ("n3017", "other_city", "高松市の試行的事業の発注先と金額を知りたい", ["高松"]),
    ("n3018", "other_city", "鹿児島市では孤独・孤立対策の広報をどんなふうにやってますか", ["鹿児島"]),
    ("n3019", "other_city", "長崎市と周りの町で広域のPFをつくる話ってありますか", ["長崎"]),
    ("n3020", "other_city", "川崎市の居場所マップってどうやって作ったんですか", ["川崎"]),
    # --- other policy areas ---
    ("n3021", "other_policy", "市営住宅の入居抽選の倍率ってどのくらい？", ["市営住宅", "公営住宅", "倍率"]),
    ("n3022", "other_policy", "企業誘致のための立地補助金、制度設計のコツは？", ["企業誘致", "立地"]),
    ("n3023", "other_policy", "下水道管の耐震化計画はどう進めればいいですか", ["下水道", "耐震"]),
    ("n3024", "other_policy", "学校給食費を無償化するとき、財源はどう確保している自治体が多い？", ["給食", "無償化"]),
    ("n3025", "other_policy", "イノシシやシカの鳥獣被害対策に使える補助金は？", ["鳥獣", "イノシシ"]),
    ("n3026", "other_policy", "市役所の窓口にキャッシュレス決済を入れるときの手順を教えて", ["キャッシュレス", "決済"]),
    ("n3027", "other_policy", "ゼロカーボンシティ宣言をするときに準備することは？", ["ゼロカーボン", "脱炭素"]),
    ("n3028", "other_policy", "議会の一般質問への答弁書ってどう書けばいい？", ["答弁", "一般質問"]),
    ("n3029", "other_policy", "熊本城の入場料と開館時間を教えてください", ["熊本城", "入場料"]),
    ("n3030", "other_policy", "福岡市で屋台を出すための許可の取り方は？", ["屋台", "営業許可"]),
    # --- figures / details the documents do not give, about topics they cover ---
    ("n3031", "figure", "社会参加活躍支援等孤独・孤立対策推進交付金の令和7年度の予算額は何億円ですか", ["億円", "予算額", "億"]),
    ("n3032", "figure", "つながりサポーターって全国でこれまでに何人養成されたの？", ["万人", "養成人数", "養成者数"]),
    ("n3033", "figure", "孤独・孤立対策強化月間には全国で何件くらいイベントが開かれましたか", ["開催件数", "強化月間"]),
    ("n3034", "figure", "全国調査で、孤独を感じる人の割合がいちばん高い年代は何歳代？", ["歳代が最も高く", "年代"]),
    ("n3035", "figure", "孤立死の推計で、女性は何件だったんですか", ["21,856", "女性"]),
    ("n3036", "figure", "国の24時間のSNS相談には、年間どれくらい相談が来てますか", ["SNS相談", "相談件数"]),
    ("n3037", "figure", "令和7年の小中高生の自殺者数はもう出てますか？何人？", ["令和7年の", "小中高生"]),
    ("n3038", "figure", "令和6年の自殺者数は全体で何人だったの？", ["令和6年の自殺者数", "総数"]),
    ("n3039", "figure", "孤独・孤立対策の在り方に関する有識者会議の委員は何人いますか", ["構成員", "委員は"]),
    ("n3040", "figure", "高齢者等終身サポート事業者って全国に何社くらいあるんですか", ["事業者数", "何社", "社あ"]),
    ("n3041", "figure", "市原市の地区福祉総合相談センターには、それぞれ相談員が何人いますか", ["相談員", "地区福祉総合相談センター"]),
    ("n3042", "figure", "こども未来キャラバンに協賛した企業は何社でしたか", ["協賛"]),
    # --- near misses: look answerable, the asked detail is absent ---
    ("n3043", "near_miss", "重点計画のⅢ具体的施策で、つながりサポーターの養成目標は何人になってる？", ["目標人数", "具体的施策", "養成目標"]),
    ("n3044", "near_miss", "高齢者等終身サポート事業者ガイドラインでは、契約のときに事業者が何を説明しないといけないの？", ["ガイドライン", "重要事項", "説明"]),
    ("n3045", "near_miss", "ゲートキーパー養成研修は何時間くらいのカリキュラムですか", ["ゲートキーパー", "カリキュラム", "研修時間"]),
    ("n3046", "near_miss", "孤独・孤立対策強化月間のキャッチコピーやシンボルマークは何ですか", ["キャッチコピー", "シンボル", "ロゴ"]),
    ("n3047", "near_miss", "安心・つながりプロジェクトチームには、どの省庁の人が入ってるの？", ["プロジェクトチーム"]),
    ("n3048", "near_miss", "地方版PFと地域協議会の設置状況アンケートは、何割の自治体が回答したの？", ["回答率", "アンケートを実施"]),
    ("n3049", "near_miss", "でんでん虫の会のおしゃべり会は何曜日の何時からやってますか", ["曜日", "おしゃべり会"]),
    ("n3050", "near_miss", "熊本市の新聞広告に出ていた相談窓口の電話番号を教えて", ["電話番号", "電話", "二次元コード"]),
    ("n3051", "near_miss", "孤独・孤立対策推進法って全部で何条あるんですか", ["全部で", "附則", "第20条"]),
    ("n3052", "near_miss", "地域協議会の構成員の守秘義務って、具体的にどんな内容？破ったらどうなる？", ["守秘", "秘密", "個人情報"]),
    ("n3053", "near_miss", "内閣府の「あなたはひとりじゃない」のサイトのURLを教えてください", ["あなたはひとりじゃない", "URL"]),
    ("n3054", "near_miss", "重点計画は令和7年5月に一部改定されたそうですが、どこが変わったんですか", ["一部改定", "改定"]),
    # --- chit-chat and meta ---
    ("n3055", "chitchat", "おはようございます！今日もよろしくお願いします", []),
    ("n3056", "meta", "あなたのお名前は？", []),
    ("n3057", "chitchat", "今って何時？", []),
    ("n3058", "chitchat", "明日の朝礼で使えるちょっとしたジョークを教えて", ["ジョーク"]),
    ("n3059", "meta", "ここで出てきた回答って、そのまま議会答弁に使っても大丈夫？", ["答弁"]),
    ("n3060", "meta", "1日に何回まで質問できますか", []),
]


def refusals():
    return [{"id": i, "type": "out_of_scope", "question": qq, "gold": [], "evidence": [], "must": [],
             "expect_no_evidence": True, "note": cat} for i, cat, qq, _ in R]


if __name__ == "__main__":
    if "--probe" in sys.argv:
        probe(R, every=True)
    else:
        print({"plan3": write_split("plan3", Q, "tune"), "refuse3": write_split("refuse3", refusals(), "tune")})
