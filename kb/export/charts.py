"""Pictures for trainers: which city has a practice for which step, each city's
timeline from the 行程 table, and what the trial projects cost.

matplotlib's object API with the Agg canvas (no pyplot state, so the web
service can draw from worker threads); a Japanese font file found by
kb.export.fonts; SVG keeps text as text (`svg.fonttype = 'none'`), so the
city and step names can be searched and copied."""
from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Sequence

import matplotlib

matplotlib.use("Agg", force=False)
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from kb.core.errors import BadQueryError, NotFoundError  # noqa: E402
from kb.export.fonts import chart_font_family  # noqa: E402
from kb.export.items import yen_to_label  # noqa: E402
from kb.export.pack import check_city, lesson_cities  # noqa: E402
from kb.export.timing import fiscal_label, timing_to_point  # noqa: E402
from kb.export.trial_steps import ACTIVITY_LABELS, CATEGORIES, overview_by_city, trial_category  # noqa: E402
from kb.core.records import PHASE_LABELS, STEP_CODES, STEP_PHASE, Record, step_label  # noqa: E402
from kb.core.vocab import load_json  # noqa: E402
from kb.store import Store  # noqa: E402

CHARTS = ("matrix", "timeline", "spending")
FORMATS = ("png", "svg")
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
CATEGORY_COLORS = {"R": "#4C78A8", "P": "#F58518", "D:支援提供": "#54A24B", "D:広報・周知": "#B279A2"}
PRACTICE, PLANNED, SCHEDULE_ONLY, PENDING = "#1F4E79", "#5B9BD5", "#BDD7EE", "#F2F2F2"
_DRAW_LOCK = threading.Lock()  # rcParams are global: one drawing at a time


@dataclass(frozen=True)
class Chart:
    name: str
    format: str
    data: bytes

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


def _is_pending(r: Record) -> bool:
    """「(設置に向け検討中)」: the 行程 cell says the step is not done yet."""
    return r.title.startswith(("(", "（"))


def _save(fig: Figure, fmt: str) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=150, bbox_inches="tight", metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def _source_note(fig: Figure, store: Store, extra: str = "") -> None:
    docs = "、".join(d["title"] for d in store.documents())
    fig.text(0.01, 0.005, (extra + "\n" if extra else "") + f"出典: {docs}", fontsize=7, color="#555555",
             ha="left", va="bottom", wrap=True)


def matrix_figure(store: Store, cities: Sequence[str]) -> Figure:
    lessons = [r for r in store.records(kind="lesson") if r.city in cities]
    steps = list(STEP_CODES)
    fig = Figure(figsize=(2.2 + 1.5 * len(cities), 6.4))
    ax = fig.add_axes((0.42, 0.12, 0.56, 0.78))
    for y, step in enumerate(steps):
        for x, city in enumerate(cities):
            own = [r for r in lessons if r.city == city and r.step == step]
            real = [r for r in own if not r.fields.get("schedule_only") and not _is_pending(r)]
            planned = [r for r in real if (p := timing_to_point(r.fields.get("timing"), r.fields.get("year")))
                       and (p.future or p.planned)]
            extra = sum(1 for r in own if r.fields.get("schedule_only"))
            if real and len(planned) == len(real):
                color, label, ink = PLANNED, f"{len(real)}件（予定）", "white"
            elif real:
                color, label, ink = PRACTICE, f"{len(real)}件" + (f"\nほか予定表に{extra}件" if extra else ""), "white"
            elif any(r.fields.get("schedule_only") for r in own):
                color, label, ink = SCHEDULE_ONLY, "予定表だけ", "#1F4E79"
            elif own:
                color, label, ink = PENDING, "検討中", "#555555"
            else:
                color, label, ink = "white", "—", "#999999"
            ax.add_patch(Rectangle((x + 0.05, y + 0.05), 0.9, 0.9, facecolor=color, edgecolor="#CCCCCC"))
            ax.text(x + 0.5, y + 0.5, label, ha="center", va="center", fontsize=9, color=ink)
    ax.set_xlim(0, len(cities))
    ax.set_ylim(len(steps), 0)
    ax.set_xticks([x + 0.5 for x in range(len(cities))], labels=list(cities), fontsize=10)
    ax.xaxis.tick_top()
    ax.set_yticks([y + 0.5 for y in range(len(steps))],
                  labels=[_short_label(s) for s in steps], fontsize=9)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    for phase, label in PHASE_LABELS.items():  # phase brackets left of the step names
        ys = [i for i, s in enumerate(steps) if STEP_PHASE[s] == phase]
        ax.annotate(label, xy=(0, min(ys)), xycoords=("axes fraction", "data"), xytext=(-0.70, (min(ys) + max(ys) + 1) / 2),
                    textcoords=("axes fraction", "data"), fontsize=8, color="#555555", va="center", ha="left",
                    annotation_clip=False)
    fig.suptitle("自治体 × ステップ：報告書に書かれた取組の数", fontsize=12, x=0.02, ha="left")
    ax.legend(handles=[Patch(facecolor=PRACTICE, label="取り組んだこと（件数）"),
                       Patch(facecolor=PLANNED, label="これから取り組む予定だけ"),
                       Patch(facecolor=SCHEDULE_ONLY, label="予定表（行程表）にだけ書かれている"),
                       Patch(facecolor=PENDING, edgecolor="#CCCCCC", label="検討中・まだ実施していない"),
                       Patch(facecolor="white", edgecolor="#CCCCCC", label="記載なし")],
              loc="upper center", bbox_to_anchor=(0.3, -0.01), ncol=2, fontsize=7.5, frameon=False)
    _source_note(fig, store)
    return fig


def _short_label(step: str, limit: int = 18) -> str:
    label = step_label(step)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def timeline_figure(store: Store, cities: Sequence[str]) -> Figure:
    lessons = [r for r in store.records(kind="lesson") if r.city in cities]
    points = [(r, timing_to_point(r.fields.get("timing"), r.fields.get("year"))) for r in lessons]
    points = [(r, p) for r, p in points if p is not None]
    if not points:
        raise NotFoundError(f"{'、'.join(cities)} の行程に時期の記載がありません", "no dated 行程 entries")
    dated = [p.position for _, p in points if p.position is not None]
    start, end = int(min(dated)), int(max(dated)) + 1
    future_x = end + 0.35
    steps = list(STEP_CODES)
    fig = Figure(figsize=(10, 1.2 + 3.3 * len(cities)))
    axes = fig.subplots(len(cities), 1, squeeze=False, sharex=True)[:, 0]
    for ax, city in zip(axes, cities):
        ax.axvspan(end, end + 0.7, color="#F2F2F2", zorder=0)
        ax.text(future_x, -0.55, "今後（日付なし）", ha="center", va="center", fontsize=8, color="#555555")
        same: dict[tuple[str, float], int] = {}
        for r, p in points:
            if r.city == city:
                key = (r.step, round(p.position if p.position is not None else future_x, 2))
                same[key] = same.get(key, 0) + 1
        drawn: set[tuple[str, float]] = set()
        for r in lessons:
            if r.city == city and r.step and timing_to_point(r.fields.get("timing"), r.fields.get("year")) is None:
                ax.text(start + 0.03, steps.index(r.step), f"時期の記載なし「{r.title if len(r.title) <= 16 else r.title[:15] + '…'}」", fontsize=7,
                        va="center", color="#7F7F7F")
        for r, p in points:
            if r.city != city:
                continue
            y = steps.index(r.step)
            x = future_x if p.position is None else p.position
            key = (r.step, round(x, 2))
            if key in drawn:  # two entries of one step at one time: one marker, 「2件」
                continue
            drawn.add(key)
            schedule_only = bool(r.fields.get("schedule_only"))
            marker = "<" if p.before else ("s" if schedule_only else "o")
            hollow = p.planned or p.future
            color = "#7F7F7F" if schedule_only else "#1F4E79"
            ax.plot([x], [y], marker=marker, markersize=8, color=color,
                    markerfacecolor="white" if hollow else color, markeredgewidth=1.6, linestyle="none")
            label = p.raw.replace("~", "〜") + (f"（{same[key]}件）" if same[key] > 1 else "")
            ax.text(x + 0.06, y, label, fontsize=7, va="center", color="#333333")
        ax.set_ylim(len(steps) - 0.4, -1.0)
        ax.set_yticks(range(len(steps)), labels=[_short_label(s) for s in steps], fontsize=8)
        ax.set_title(city, loc="left", fontsize=11)
        ax.grid(axis="x", color="#DDDDDD")
        ax.set_xlim(start - 0.05, end + 0.7)
    ticks = list(range(start, end + 1))
    axes[-1].set_xticks(ticks, labels=[f"{fiscal_label(y)}\n({y}年度)" for y in ticks], fontsize=8)
    fig.suptitle("行程の時期（令和の年度と西暦。年度は4月始まり）", fontsize=12, x=0.02, ha="left")
    axes[0].legend(handles=[
        axes[0].plot([], [], "o", color="#1F4E79")[0], axes[0].plot([], [], "o", color="#1F4E79",
                                                                     markerfacecolor="white")[0],
        axes[0].plot([], [], "<", color="#1F4E79")[0], axes[0].plot([], [], "s", color="#7F7F7F")[0]],
        labels=list(load_json("export")["schedule_legend"]), loc="lower right", fontsize=7.5, ncol=4,
        bbox_to_anchor=(1.0, 1.02), frameon=False)
    fig.subplots_adjust(left=0.24, right=0.97, top=1 - 0.75 / fig.get_figheight(), bottom=0.9 / fig.get_figheight(),
                        hspace=0.35)
    _source_note(fig, store, "横軸の位置は行程表の月（記載がなければ年度の始め）。「今後」は日付のない予定。")
    return fig


def _trial_costs(store: Store, cities: Sequence[str]) -> list[tuple[Record, str, float]]:
    overviews = overview_by_city(store.records(kind="overview"))
    out = []
    for t in store.records(kind="trial"):
        if t.city in cities:
            category, _ = trial_category(t, overviews.get(t.city))
            out.append((t, category, float(t.fields.get("cost_yen") or 0) / 10_000))
    return out


def spending_figure(store: Store, cities: Sequence[str], *, by_trial: bool = False) -> Figure:
    trials = _trial_costs(store, cities)
    if not trials:
        raise NotFoundError(f"{'、'.join(cities)} の試行的事業がありません", "no trial projects")
    if by_trial:
        rows = [(t.title if len(t.title) <= 22 else t.title[:21] + "…", {c: (v if c == cat else 0) for c in CATEGORIES},
                 t) for t, cat, v in trials]
        title = f"{cities[0]}の試行的事業の費用（万円）"
    else:
        rows = [(city, {c: sum(v for t, cat, v in trials if t.city == city and cat == c) for c in CATEGORIES}, None)
                for city in cities]
        title = "試行的事業の費用：自治体別・活動の種類別（万円）"
    fig = Figure(figsize=(9, 1.6 + 0.55 * len(rows)))
    height = fig.get_figheight()
    ax = fig.add_axes((0.3 if by_trial else 0.12, 1.0 / height, 0.62 if by_trial else 0.8, 1 - 1.75 / height))
    top = max(sum(v.values()) for _, v, _ in rows) or 1
    for y, (label, values, trial) in enumerate(rows):
        left = 0.0
        for c in CATEGORIES:
            if values[c]:
                ax.barh(y, values[c], left=left, color=CATEGORY_COLORS[c], height=0.6)
                left += values[c]
        total = sum(values.values())
        if trial is not None:
            note = yen_to_label(trial.fields.get("cost_yen"), approx=bool(trial.fields.get("cost_approx")),
                                note=trial.fields.get("cost_note") or "発注なし")
        else:
            note = f"{total:,.1f}万円".replace(".0万", "万")
        ax.text(left + top * 0.01, y, note, va="center", fontsize=8.5)
    ax.set_yticks(range(len(rows)), labels=[r[0] for r in rows], fontsize=9)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.set_xlim(0, top * 1.18)
    ax.set_xlabel("万円", fontsize=9)
    ax.grid(axis="x", color="#DDDDDD")
    ax.set_axisbelow(True)
    ax.legend(handles=[Patch(color=CATEGORY_COLORS[c], label=ACTIVITY_LABELS[c]) for c in CATEGORIES],
              loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=12, x=0.02, y=1 - 0.1 / height, ha="left", va="top")
    _source_note(fig, store, "金額は試行的事業一覧の発注先欄（「約」を含む概算もそのまま集計）。"
                             "活動の種類は第1章の整理マップ（R / P / D）による。")
    return fig


def render_chart(store: Store, name: str, fmt: str = "png", city: str | None = None) -> Chart:
    if name not in CHARTS:
        raise BadQueryError(f"未知の図 {name!r}。{', '.join(CHARTS)} のいずれか", f"unknown chart; use one of {', '.join(CHARTS)}")
    if fmt not in FORMATS:
        raise BadQueryError(f"未知の形式 {fmt!r}。png か svg", f"unknown format {fmt!r}; use png or svg")
    cities = [check_city(store, city)] if city else lesson_cities(store)
    if not cities:
        raise NotFoundError("知識ベースに事例がありません。`pfkb build` を実行してください", "no practices; run `pfkb build`")
    family = chart_font_family()
    with _DRAW_LOCK, matplotlib.rc_context({"font.family": [family], "svg.fonttype": "none",
                                            "axes.unicode_minus": False, "svg.hashsalt": "pfkb"}):
        if name == "matrix":
            fig = matrix_figure(store, cities)
        elif name == "timeline":
            fig = timeline_figure(store, cities)
        else:
            fig = spending_figure(store, cities, by_trial=bool(city))
        return Chart(name, fmt, _save(fig, fmt))
