"""Server-rendered HTML for the developer pages: a shared layout and the API reference built
from the OpenAPI schema. Self-contained on purpose: inline CSS, no JavaScript, no fonts or
assets from anywhere, so the pages work offline and in a locked-down browser."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

_STYLE = """
:root { color-scheme: light dark; --fg:#1d2330; --muted:#5b6472; --bg:#fff; --card:#f6f7f9;
  --line:#dfe3e8; --accent:#9c4a12; }
@media (prefers-color-scheme: dark) { :root { --fg:#e6e8eb; --muted:#9aa3ad; --bg:#15181c;
  --card:#1e2227; --line:#2e343b; --accent:#f0a05a; } }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif; color:var(--fg);
  background:var(--bg); }
header { padding:14px 24px; border-bottom:1px solid var(--line); display:flex; gap:18px;
  align-items:baseline; flex-wrap:wrap; }
header strong { font-size:17px; } header a { color:var(--muted); text-decoration:none; }
main { max-width:1100px; margin:0 auto; padding:16px 24px 48px; }
a { color:var(--accent); }
h1 { font-size:24px; } h2 { font-size:19px; margin-top:32px; border-bottom:1px solid var(--line);
  padding-bottom:4px; } h3 { font-size:16px; margin:0; }
code, pre { font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; }
pre { background:var(--card); padding:10px; overflow:auto; border-radius:6px;
  white-space:pre-wrap; word-break:break-word; }
table { border-collapse:collapse; width:100%; margin:6px 0 12px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line);
  vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:13px; }
.op { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 16px;
  margin:12px 0; }
.method { display:inline-block; min-width:64px; text-align:center; font-weight:700;
  font-size:12px; padding:2px 6px; border-radius:4px; color:#fff; background:#56606b;
  margin-right:8px; }
.GET { background:#2f6fb3; } .POST { background:#2f8a4c; } .PUT { background:#9a6a00; }
.DELETE { background:#b03a2e; } .PATCH { background:#6a4bb3; }
.muted { color:var(--muted); } .badge { font-size:12px; border:1px solid var(--line);
  border-radius:10px; padding:1px 8px; margin-left:6px; color:var(--muted); }
ul.toc { columns: 2; padding-left:18px; } ul.toc li { break-inside: avoid; }
iframe { width:100%; min-height:320px; border:1px solid var(--line); border-radius:6px;
  background:#fff; }
"""

_NAV = (("/docs", "API reference"), ("/_dev/", "Dev pages"), ("/_dev/mailbox", "Mailbox"))
# Without the developer pages (``spaps serve``) the header links only what is served.
_PUBLIC_NAV = (("/docs", "API reference"),)


def site_nav(dev_pages: bool) -> tuple[tuple[str, str], ...]:
    """The header links of a page served whether or not the developer pages are mounted."""
    return _NAV if dev_pages else _PUBLIC_NAV


def esc(value: object) -> str:
    """HTML-escape any value."""
    return html.escape(str(value), quote=True)


_INLINE_CODE = re.compile(r"``(.+?)``|`(.+?)`")


def prose(value: object) -> str:
    """Escape a docstring-style description and show its ``code`` spans as <code>."""
    return _INLINE_CODE.sub(
        lambda match: f"<code>{match.group(1) or match.group(2)}</code>", esc(value)
    )


def page(title: str, body: str, *, nav: Iterable[tuple[str, str]] = _NAV) -> str:
    """A complete HTML document with the shared header and styles."""
    links = "".join(f'<a href="{esc(href)}">{esc(label)}</a>' for href, label in nav)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><strong>SPAPS local</strong>{links}</header>"
        f"<main>{body}</main></body></html>\n"
    )


def _anchor(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def schema_type(schema: Mapping[str, Any] | None) -> str:
    """A short HTML description of a schema's type, linking component references."""
    if not schema:
        return "any"
    if "$ref" in schema:
        name = _ref_name(str(schema["$ref"]))
        return f'<a href="#schema-{esc(_anchor(name))}">{esc(name)}</a>'
    for combiner, joiner in (("anyOf", " | "), ("oneOf", " | "), ("allOf", " & ")):
        if combiner in schema:
            parts = [schema_type(s) for s in schema[combiner]]
            return joiner.join(p for p in parts if p)
    if "enum" in schema:
        return " | ".join(f"<code>{esc(json.dumps(v))}</code>" for v in schema["enum"])
    if "const" in schema:
        return f"<code>{esc(json.dumps(schema['const']))}</code>"
    kind = schema.get("type")
    if kind == "array":
        return f"array of {schema_type(schema.get('items'))}"
    if kind == "object" and "additionalProperties" in schema and not schema.get("properties"):
        extra = schema["additionalProperties"]
        inner = schema_type(extra) if isinstance(extra, Mapping) else "any"
        return f"object of {inner}"
    if isinstance(kind, list):
        return " | ".join(esc(k) for k in kind)
    text = esc(kind or "object")
    if schema.get("format"):
        text += f" <span class='muted'>({esc(schema['format'])})</span>"
    return text


def _properties_table(schema: Mapping[str, Any]) -> str:
    props: Mapping[str, Any] = schema.get("properties") or {}
    if not props:
        return f"<p>{schema_type(schema)}</p>"
    required = set(schema.get("required") or ())
    rows = "".join(
        f"<tr><td><code>{esc(name)}</code></td><td>{schema_type(prop)}</td>"
        f"<td>{'yes' if name in required else ''}</td>"
        f"<td>{prose(prop.get('description', ''))}</td></tr>"
        for name, prop in props.items()
    )
    return (
        "<table><tr><th>Field</th><th>Type</th><th>Required</th><th>Description</th></tr>"
        f"{rows}</table>"
    )


def _content_schema(content: Mapping[str, Any] | None) -> tuple[str, Mapping[str, Any] | None]:
    if not content:
        return "", None
    media, spec = next(iter(content.items()))
    return str(media), spec.get("schema")


def _operation(method: str, path: str, op: Mapping[str, Any], secured: bool) -> str:
    anchor = _anchor(f"op-{method}-{path}")
    parts = [
        f'<section class="op" id="{esc(anchor)}"><h3><span class="method {esc(method)}">'
        f"{esc(method)}</span><code>{esc(path)}</code>"
    ]
    if secured:
        parts.append('<span class="badge">X-API-Key</span>')
    parts.append("</h3>")
    if op.get("summary"):
        parts.append(f"<p><strong>{esc(op['summary'])}</strong></p>")
    if op.get("description"):
        parts.append(f"<p class='muted'>{prose(op['description'])}</p>")
    params = op.get("parameters") or []
    if params:
        rows = "".join(
            f"<tr><td><code>{esc(p.get('name'))}</code></td><td>{esc(p.get('in'))}</td>"
            f"<td>{schema_type(p.get('schema'))}</td>"
            f"<td>{'yes' if p.get('required') else ''}</td>"
            f"<td>{prose(p.get('description', ''))}</td></tr>"
            for p in params
        )
        parts.append(
            "<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Required</th>"
            f"<th>Description</th></tr>{rows}</table>"
        )
    body = op.get("requestBody")
    if body:
        media, schema = _content_schema(body.get("content"))
        parts.append(
            f"<p>Request body <code>{esc(media)}</code>: {schema_type(schema)}"
            f"{' (required)' if body.get('required') else ''}</p>"
        )
    responses: Mapping[str, Any] = op.get("responses") or {}
    if responses:
        response_rows: list[str] = []
        for status, resp in responses.items():
            media, schema = _content_schema(resp.get("content"))
            shape = f"<code>{esc(media)}</code> {schema_type(schema)}" if media else ""
            response_rows.append(
                f"<tr><td>{esc(status)}</td><td>{esc(resp.get('description', ''))}</td>"
                f"<td>{shape}</td></tr>"
            )
        parts.append(
            f"<table><tr><th>Status</th><th>Meaning</th><th>Body</th></tr>{''.join(response_rows)}</table>"
        )
    parts.append("</section>")
    return "".join(parts)


def render_api_reference(spec: Mapping[str, Any], *, nav: Iterable[tuple[str, str]] = _NAV) -> str:
    """The whole ``/docs/reference`` page from an OpenAPI document."""
    info = spec.get("info") or {}
    paths: Mapping[str, Any] = spec.get("paths") or {}
    groups: dict[str, list[tuple[str, str, Mapping[str, Any]]]] = {}
    for path, item in paths.items():
        for method, op in item.items():
            if method.lower() not in {"get", "post", "put", "patch", "delete", "head", "options"}:
                continue
            tag = (op.get("tags") or ["other"])[0]
            groups.setdefault(tag, []).append((method.upper(), path, op))

    toc = []
    sections = []
    for tag in sorted(groups):
        ops = groups[tag]
        toc.append(f'<li><a href="#tag-{esc(_anchor(tag))}">{esc(tag)}</a> ({len(ops)})</li>')
        rendered = "".join(
            _operation(method, path, op, bool(op.get("security"))) for method, path, op in ops
        )
        sections.append(f'<h2 id="tag-{esc(_anchor(tag))}">{esc(tag)}</h2>{rendered}')

    schemas: Mapping[str, Any] = (spec.get("components") or {}).get("schemas") or {}
    schema_html = "".join(
        f'<section class="op" id="schema-{esc(_anchor(name))}"><h3>{esc(name)}</h3>'
        f"{_properties_table(schema)}</section>"
        for name, schema in sorted(schemas.items())
    )
    count = sum(len(v) for v in groups.values())
    body = (
        f"<h1>{esc(info.get('title', 'API'))} <span class='badge'>"
        f"{esc(info.get('version', ''))}</span></h1>"
        f"<p class='muted'>{prose(info.get('description', ''))}</p>"
        f"<p>{count} operations. Machine-readable schema: "
        '<a href="/openapi.json">/openapi.json</a>.</p>'
        f"<ul class='toc'>{''.join(toc)}<li><a href='#schemas'>Schemas</a></li></ul>"
        f"{''.join(sections)}"
        f"<h2 id='schemas'>Schemas</h2>{schema_html}"
    )
    return page(f"{info.get('title', 'API')} reference", body, nav=nav)
