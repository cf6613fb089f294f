"""Workshop packs, city comparisons and charts built from the knowledge base.

    pack = build_pack(store, phase="preparation")      # → Pack
    render_pack(pack, "docx").data                       # → bytes (md | docx | pptx)
    render_comparison(build_comparison(store, ["熊本市", "市原市"]), "json")
    render_chart(store, "timeline", "svg", city="熊本市")
"""
from kb.export.charts import CHARTS, render_chart
from kb.export.compare import Comparison, build_comparison
from kb.export.output import write_bytes_atomic
from kb.export.pack import Pack, build_pack
from kb.export.render import COMPARE_FORMATS, PACK_FORMATS, Rendered, render_comparison, render_pack

__all__ = ["CHARTS", "COMPARE_FORMATS", "PACK_FORMATS", "Comparison", "Pack", "Rendered", "build_comparison",
           "build_pack", "render_chart", "render_comparison", "render_pack", "write_bytes_atomic"]
