"""A REORGANISED report rendered from the corpus records (test support): the same facts written the
way another contractor might — sections per prefecture + city, lessons under phase headings with
other names and no step labels (phase-first or city-first), ○ headlines with － bullets, trial
projects as labelled blocks (事業名： 委託先： 事業費： …), the profile as a key/value table with
other labels (所管部署, 総人口 in 万 notation, PF設置年度). Rendered as the text export format (tab
rows) and as HTML; ``Rendition`` says which variation.

Pipeline: ``records_to_report`` (pure: records → lines of text) → ``report_to_html``."""
from __future__ import annotations

import html
from dataclasses import dataclass

from kb.core.records import PHASES

PREFECTURE = {"福岡市": "福岡県", "熊本市": "熊本県", "市原市": "千葉県"}  # test data: where the cities are


@dataclass(frozen=True)
class Rendition:
    name: str
    lessons_by: str = "phase"  # "phase": phase sections, cities inside; "city": phases inside each city
    phase_names: tuple[str, str, str, str] = ("構想期", "検討期", "設立期", "運営期")
    headline: str = "○"
    bullet: str = "－"
    profile_as_table: bool = True
    prefecture: bool = True


RENDITIONS = (
    Rendition("phase-first"),
    Rendition("city-first-stages", lessons_by="city", phase_names=("第1段階", "第2段階", "第3段階", "第4段階"),
              headline="◆", bullet="・", profile_as_table=False),
)


def man_notation(n: int) -> str:
    """1612392 → 「161万2,392人」."""
    man, rest = divmod(n, 10_000)
    return f"{man}万{rest:,}人" if man else f"{rest:,}人"


def _lesson_lines(r, rd: Rendition) -> list[str]:
    out = [f"{rd.headline}{r.title}"]
    for line in r.text.split("\n"):
        line = line.strip()
        if line:
            out.append(rd.bullet + line.lstrip("・"))
    return out


def _city_heading(city: str, rd: Rendition) -> str:
    return f"{PREFECTURE[city]}{city}" if rd.prefecture else city


def records_to_report(records, rd: Rendition) -> str:
    cities = [c for c in PREFECTURE if any(r.city == c for r in records)]
    lessons = [r for r in records if r.kind == "lesson" and not r.fields.get("schedule_only") and r.text]
    phase_name = {code: name for (code, _), name in zip(PHASES, rd.phase_names)}
    out = ["地域における孤独・孤立対策の官民連携に関する調査 報告書", "", "第1部 自治体別の取組", ""]
    for i, city in enumerate(cities, 1):
        out += [f"{i}. {_city_heading(city, rd)}", ""]
        prof = next((r for r in records if r.kind == "profile" and r.city == city), None)
        if prof:
            f = prof.fields
            rows = [("所管部署", f["department"]), ("総人口", man_notation(f["population"])),
                    ("PF設置年度", f["pf_start_raw"])]
            out += ["(1) 基本情報"]
            out += [f"{k}\t{v}" if rd.profile_as_table else f"{k}：{v}" for k, v in rows if v]
            out += [""]
        out += ["(2) 試行的な取組", ""]
        for t in (r for r in records if r.kind == "trial" and r.city == city):
            f = t.fields
            out.append(f"事業名：{t.title}")
            out.append(f"委託先：{f['vendor']}" if f["vendor"] else "委託先：委託なし")
            if f["cost_yen"] is not None:
                out.append(f"事業費：{'約' if f['cost_approx'] else ''}{f['cost_yen'] / 10_000:g}万円")
            if f.get("period"):
                out.append(f"実施時期：{f['period'].replace(chr(10), ' ')}")
            if f.get("kpi"):
                out.append(f"目的：{f['kpi'].replace(chr(10), ' ')}")
            out.append("")
        if rd.lessons_by == "city":
            out += ["(3) 取組の過程で得られた知見", ""]
            for code, _ in PHASES:
                mine = [r for r in lessons if r.city == city and r.phase == code]
                if mine:
                    out += [f"【{phase_name[code]}】"]
                    for r in mine:
                        out += _lesson_lines(r, rd)
                    out += [""]
        bt = next((r for r in records if r.kind == "breakthrough" and r.city == city), None)
        if bt:
            out += ["(4) 成功の要因", *_lesson_lines(bt, rd), ""]
        cols = [r for r in records if r.kind == "column" and r.city == city]
        if cols:
            out += ["(5) 関係団体の声"] + [c.text.replace("\n", "") for c in cols[:2]] + [""]
    if rd.lessons_by == "phase":
        out += ["第2部 段階ごとの知見", ""]
        for j, (code, _) in enumerate(PHASES, 1):
            out += [f"{j}. {phase_name[code]}", ""]
            for k, city in enumerate(cities, 1):
                mine = [r for r in lessons if r.city == city and r.phase == code]
                if mine:
                    out += [f"({k}) {_city_heading(city, rd)}"]
                    for r in mine:
                        out += _lesson_lines(r, rd)
                    out += [""]
    return "\n".join(out) + "\n"


def report_to_html(text: str) -> str:
    """The same report as a web page: headings as <h1>–<h3>, tab rows as a table, lines as <p>."""
    out = ["<!doctype html><html lang=ja><head><meta charset=utf-8><title>報告書</title></head><body>"]
    rows: list[str] = []
    for line in text.split("\n"):
        if "\t" in line:
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in line.split("\t")) + "</tr>")
            continue
        if rows:
            out.append("<table>" + "".join(rows) + "</table>")
            rows = []
        if line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    if rows:
        out.append("<table>" + "".join(rows) + "</table>")
    out.append("</body></html>")
    return "\n".join(out)
