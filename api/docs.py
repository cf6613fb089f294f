"""/docs: the API reference as one plain HTML page rendered from the OpenAPI
schema on the server. FastAPI's default /docs loads Swagger UI from a CDN,
which an offline (LGWAN) network cannot reach, and no installed package ships
the Swagger UI files."""
from __future__ import annotations

import json
from html import escape
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

_STYLE = """
body{font:16px/1.6 "IPAexGothic","Noto Sans JP","Hiragino Sans",system-ui,sans-serif;color:#1f2933;
 max-width:1100px;margin:0 auto;padding:1rem 1.5rem;background:#fff}
h1{font-size:1.5rem;border-bottom:3px solid #1d4f91;padding-bottom:.3rem}
h2{font-size:1.2rem;margin-top:2rem;color:#1d4f91}
.op{border:1px solid #d0d7de;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.op h3{margin:.2rem 0;font-size:1.05rem;font-family:ui-monospace,monospace}
.m{display:inline-block;min-width:4.2em;padding:0 .4em;border-radius:4px;color:#fff;text-align:center;margin-right:.5em}
.get{background:#1d6f42}.post{background:#1d4f91}.put{background:#8a5a00}.delete{background:#a4262c}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f6f9}code,pre{font-family:ui-monospace,monospace;font-size:.9rem}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;border-radius:4px}
a{color:#1d4f91}
"""


def _type(schema: dict[str, Any]) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_type(s) for s in schema["anyOf"])
    t = schema.get("type", "")
    if t == "array":
        return f"array[{_type(schema.get('items', {}))}]"
    if schema.get("format") == "binary":
        return "file"
    return t


def _params_table(params: list[dict[str, Any]]) -> str:
    if not params:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p.get('in', ''))}</td>"
        f"<td>{escape(_type(p.get('schema', {})))}</td><td>{'必須' if p.get('required') else ''}</td>"
        f"<td>{escape(p.get('description') or p.get('schema', {}).get('description') or '')}</td></tr>"
        for p in params)
    return ("<table><thead><tr><th>パラメータ</th><th>場所</th><th>型</th><th></th><th>説明</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _body(op: dict[str, Any]) -> str:
    content = (op.get("requestBody") or {}).get("content") or {}
    out = []
    for media, spec in content.items():
        schema = spec.get("schema", {})
        out.append(f"<p>リクエスト本文 (<code>{escape(media)}</code>): <code>{escape(_type(schema) or 'object')}</code></p>")
        props = schema.get("properties")
        if props:
            out.append(_params_table([{"name": k, "in": "body", "schema": v, "required": k in schema.get("required", []),
                                       "description": v.get("description")} for k, v in props.items()]))
    return "".join(out)


def _schemas(components: dict[str, Any]) -> str:
    out = []
    for name, schema in sorted((components.get("schemas") or {}).items()):
        props = schema.get("properties") or {}
        rows = "".join(f"<tr><td><code>{escape(k)}</code></td><td>{escape(_type(v))}</td>"
                       f"<td>{'必須' if k in schema.get('required', []) else ''}</td>"
                       f"<td>{escape(v.get('description') or '')}</td></tr>" for k, v in props.items())
        out.append(f"<h3 id='schema-{escape(name)}'><code>{escape(name)}</code></h3>"
                   f"<table><tbody>{rows}</tbody></table>")
    return "".join(out)


def render_docs(schema: dict[str, Any]) -> str:
    info = schema.get("info", {})
    ops = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            ops.append(
                f"<div class='op'><h3><span class='m {escape(method)}'>{escape(method.upper())}</span>{escape(path)}</h3>"
                f"<p>{escape(op.get('summary') or '')}</p>{_params_table(op.get('parameters') or [])}{_body(op)}"
                f"<p>応答: {', '.join(escape(c) for c in (op.get('responses') or {}))}</p></div>")
    error_example = json.dumps({"error": {"code": "not_found", "message_ja": "記録 'x' はありません",
                                          "message_en": "unknown record id 'x'"}}, ensure_ascii=False, indent=2)
    return f"""<!doctype html><html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(info.get('title', 'API'))} — API</title><style>{_STYLE}</style></head><body>
<h1>{escape(info.get('title', 'API'))} API <small>{escape(info.get('version', ''))}</small></h1>
<p>{escape(info.get('description', ''))}</p>
<p>機械可読の定義: <a href="/openapi.json">/openapi.json</a>（OpenAPI 3）。画面は <a href="/">/</a>。</p>
<h2>エラーの形</h2><p>すべてのエラーは次の形で、HTTP ステータスは原因によります（400/401/403/404/413/415/422/503）。</p>
<pre>{escape(error_example)}</pre>
<h2>エンドポイント</h2>{''.join(ops)}
<h2>スキーマ</h2>{_schemas(schema.get('components', {}))}
</body></html>"""


def install_docs(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(render_docs(app.openapi()))
