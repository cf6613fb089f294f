"""The corpus text export as a web page, and that page printed to PDF by Chromium
(as a user's browser would): chapter headings in coloured bands with white text,
「N / M」 in the top-right ``@page`` margin box, narrow table columns that wrap
every few characters, table header rows not repeated after a page break; and as
a Word document (python-docx) converted to PDF by LibreOffice, as an office
suite would. Pure up to the HTML / DOCX; the browser and soffice at the ends."""
from __future__ import annotations

import html
import shutil
import subprocess
from pathlib import Path

from tests.pdf_render import REPORT_TITLE, RTable, cell_to_groups, export_to_render_blocks, row_spans

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

CSS = """
@page { size: A4; margin: 22mm 18mm 20mm 18mm;
  @top-right { content: counter(page) " / " counter(pages); font-size: 8pt; }
  @top-left { content: "%(title)s"; font-size: 7pt; } }
body { font-family: "IPAexMincho", serif; font-size: 10.5pt; line-height: 1.6; }
h1 { background: #1f3b63; color: #fff; padding: 6px 10px; font-size: 16pt; break-before: page; }
h2 { border-bottom: 2px solid #1f3b63; font-size: 13.5pt; }
h2.city { break-before: page; }
h3 { font-size: 11.5pt; }
p.title { text-align: center; font-size: 16pt; font-weight: bold; }
ul { list-style: none; margin: 0.2em 0; padding-left: 1.2em; }
table { border-collapse: collapse; width: 100%%; table-layout: fixed; font-size: 9pt; margin: 6px 0; }
td { border: 0.6pt solid #000; vertical-align: top; padding: 2px 3px; word-break: break-all; }
td p { margin: 0 0 0.5em 0; }
td.band { background: #e0ebf7; }
col.narrow { width: 3.2em; }
"""


def _cell_html(cell: str) -> str:
    return "".join("<p>" + "<br>".join(html.escape(line) for line in group) + "</p>"
                   for group in cell_to_groups(cell))


def _table_html(block: RTable) -> str:
    ncols = max(len(r) for r in block.rows)
    # the first column holds short labels: a narrow column that wraps every few characters
    cols = '<col class="narrow">' + "<col>" * (ncols - 1) if ncols >= 3 else ""
    out = [f"<table><colgroup>{cols}</colgroup>"]
    for row in block.rows:
        padded = list(row) + [""] * (ncols - len(row))
        spans = {a: b for a, b in row_spans(row, ncols)}
        band = len([c for c in row if c.strip()]) == 1 and row[0].strip() != ""
        cells, j = [], 0
        while j < ncols:
            end = spans.get(j, j)
            attrs = (f' colspan="{end - j + 1}"' if end > j else "") + (' class="band"' if band else "")
            cells.append(f"<td{attrs}>{_cell_html(padded[j]) if padded[j].strip() else ''}</td>")
            j = end + 1
        out.append("<tr>" + "".join(cells) + "</tr>")  # no <thead>: header rows are not repeated
    out.append("</table>")
    return "".join(out)


def export_to_html(text: str, title: str = REPORT_TITLE) -> str:
    """The text export as one HTML page."""
    body: list[str] = []
    list_depth = 0

    def close_lists(depth: int = 0) -> None:
        nonlocal list_depth
        while list_depth > depth:
            body.append("</ul>")
            list_depth -= 1

    for b in export_to_render_blocks(text):
        if isinstance(b, RTable):
            close_lists()
            body.append(_table_html(b))
            continue
        if b.style == "list":
            while list_depth < b.level:
                body.append("<ul>")
                list_depth += 1
            close_lists(b.level)
            t = html.escape(b.text)
            body.append(f"<li>{'<b>' + t + '</b>' if b.bold else t}</li>")
            continue
        close_lists()
        t = html.escape(b.text)
        if b.style == "h1":
            body.append(f"<h1>{t}</h1>")
        elif b.style == "h2":
            body.append(f'<h2{" class=city" if b.text.startswith("2-") else ""}>{t}</h2>')
        elif b.style == "h3":
            body.append(f"<h3>{t}</h3>")
        elif b.style == "title":
            body.append(f'<p class="title">{t}</p>')
        else:
            body.append(f"<p>{'<b>' + t + '</b>' if b.bold else t}</p>")
    close_lists()
    css = CSS % {"title": title.replace('"', "")}
    return (f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{css}</style></head><body>{''.join(body)}</body></html>")


def chromium_unavailable() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    return None


def print_html(page_html: str, pdf: Path | str) -> None:
    """Print a page to PDF with Chromium (backgrounds on, as 'background graphics')."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_content(page_html, wait_until="load")
            page.pdf(path=str(pdf), print_background=True, prefer_css_page_size=True)
        finally:
            browser.close()


def render_corpus_html(html_path: Path, pdf_path: Path | None = None) -> Path:
    """The corpus as a saved web page, and printed by Chromium when ``pdf_path`` is given."""
    from tests.conftest import CORPUS_TEXT
    page = export_to_html(CORPUS_TEXT.read_text(encoding="utf-8"))
    html_path.write_text(page, encoding="utf-8")
    if pdf_path is not None:
        print_html(page, pdf_path)
    return html_path


# --- an office suite's rendition ---------------------------------------------------------

def export_to_docx(text: str, path: Path | str) -> None:
    """The text export as a Word document: heading styles, list paragraphs, tables."""
    import docx
    from docx.shared import Pt
    d = docx.Document()
    d.styles["Normal"].font.size = Pt(10.5)
    d.core_properties.title = REPORT_TITLE
    for b in export_to_render_blocks(text):
        if isinstance(b, RTable):
            ncols = max(len(r) for r in b.rows)
            t = d.add_table(rows=0, cols=ncols)
            t.style = "Table Grid"
            for row in b.rows:
                cells = t.add_row().cells
                padded = list(row) + [""] * (ncols - len(row))
                for a, e in row_spans(row, ncols):
                    if e > a:
                        cells[a].merge(cells[e])
                done = set()
                for j, c in enumerate(padded):
                    cell = cells[j]
                    if id(cell._tc) in done or not c.strip():
                        continue
                    done.add(id(cell._tc))
                    groups = cell_to_groups(c)
                    cell.paragraphs[0].text = "\n".join(groups[0])
                    for g in groups[1:]:
                        cell.add_paragraph("")
                        cell.add_paragraph("\n".join(g))
            continue
        if b.style in ("h1", "h2", "h3"):
            d.add_heading(b.text, level={"h1": 1, "h2": 2, "h3": 3}[b.style])
        elif b.style == "title":
            d.add_paragraph(b.text, style="Title")
        elif b.style == "list":
            d.add_paragraph(b.text, style="List Bullet" if b.level <= 1 else "List Bullet 2")
        else:
            p = d.add_paragraph()
            p.add_run(b.text).bold = b.bold or None
    _page_footer(d)
    d.save(str(path))


def _page_footer(d) -> None:
    """A running header (the title) and 「― N ―」 in the footer, N a PAGE field."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    section = d.sections[0]
    section.header.paragraphs[0].text = REPORT_TITLE
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("― ")
    p._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    p.add_run(" ―")


def soffice_unavailable() -> str | None:
    return None if shutil.which("soffice") else "LibreOffice (soffice) is not installed"


def docx_to_pdf(docx_path: Path, out_dir: Path) -> Path:
    """soffice --headless --convert-to pdf, in its own profile directory (no shared state)."""
    profile = out_dir / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out_dir), str(docx_path)], check=True, capture_output=True, timeout=300)
    return out_dir / (docx_path.stem + ".pdf")
