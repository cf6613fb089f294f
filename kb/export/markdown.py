"""A pack as Markdown: one `##` heading per step, every practice with its citation."""
from __future__ import annotations

from kb.export.items import CityFacts, Practice
from kb.export.pack import Pack
from kb.export.timing import TIMING_WORD
from kb.export.trial_steps import ACTIVITY_LABELS


def _cell(text: str) -> str:
    return text.replace("|", "｜").replace("\n", " ")


def profiles_table(profiles: tuple[CityFacts, ...]) -> list[str]:
    if not profiles:
        return []
    out = ["| 自治体 | 担当部局 | 人口 | 連携PF開始 | 地域協議会 | 出典 |", "|---|---|---|---|---|---|"]
    for p in profiles:
        out.append(f"| {p.city} | {_cell(p.department)} | {p.population} | {p.pf_start} | {p.council_start} "
                   f"| {p.citation} |")
    notes = [f"- {p.city} — {n}" for p in profiles for n in p.notes]
    if notes:
        out += ["", "資料により記載が異なる点:", *notes]
    return out


def practice_lines(p: Practice) -> list[str]:
    meta = [x for x in (p.scope, f"{TIMING_WORD}: {p.timing_label}" if p.timing else "") if x]
    head = f"- **{p.city}** ■ {p.title}" + (f"（{'、'.join(meta)}）" if meta else "")
    return [head, *[f"  - {d}" for d in p.details], f"  - 出典: {p.citation}"]


def pack_to_markdown(pack: Pack) -> str:
    out = [f"# {pack.title}", ""]
    out.append(f"対象: {pack.selection}　／　自治体: {'、'.join(pack.cities)}")
    if pack.note:
        out += ["", pack.note]
    out += ["", "## 自治体の概要", "", *profiles_table(pack.profiles)]
    for s in pack.steps:
        out += ["", f"## {s.label}", "", f"*{s.phase_label}*", "", f"**このステップのねらい**: {s.aim}",
                f"（{pack.aim_source}）"]
        if s.tendencies:
            out += ["", "報告書の整理（各自治体の進め方の例）:", *[f"- {t}" for t in s.tendencies],
                    f"- 出典: {s.tendencies_citation}"]
        out += ["", "### 各自治体の実践", ""]
        if s.practices:
            for p in s.practices:
                out += practice_lines(p)
        else:
            out.append("- （このステップの記載はありません）")
        if s.trials:
            out += ["", "### 関連する試行的事業", ""]
            for t in s.trials:
                out.append(f"- **{t.city}**「{t.title}」 — 発注先: {t.vendor}、費用: {t.cost}、"
                           f"区分: {ACTIVITY_LABELS[t.category]}")
                out += [f"  - 成果: {r}" for r in t.results]
                out += [f"  - 出典: {t.citation}"]
    if pack.voices:
        out += ["", "## 連携団体の声", ""]
        for v in pack.voices:
            out += [f"- **{v.city}・{v.organization}**「{v.title}」", f"  - {v.text}", f"  - 出典: {v.citation}"]
    if pack.prompts:
        out += ["", "## 話し合いの問い", ""]
        for i, q in enumerate(pack.prompts, 1):
            out += [f"{i}. {q.text}", f"   - 出典: {' ／ '.join(q.citations)}"]
    out += ["", "## 出典文書", "", *[f"- {d}" for d in pack.documents]]
    out += ["", "## 付録：この資料の作り方（講師向け）", ""]
    out += [f"- {pack.note}"] if pack.note else []
    out.append(f"- 各ステップの「ねらい」は{pack.aim_source}。")
    for s in pack.steps:
        out += [f"- {s.label}: {p.city}「{p.title}」は行程表にだけある見出しで、留意点の表には記載がありません。"
                for p in s.practices if p.schedule_only]
        out += [f"- {s.label}: {t.city}「{t.title}」をこのステップに入れた理由 — {t.reason}" for t in s.trials]
    return "\n".join(out) + "\n"
