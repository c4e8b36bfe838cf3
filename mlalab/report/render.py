"""Render the report: context (mlalab.report.context) -> Jinja2 templates -> one HTML file and a WeasyPrint
PDF; and `render`, the body of the report job (scripts/render_report.py)."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2

from mlalab.io import atomic_path
from mlalab.report import provenance as _provenance
from mlalab.report.context import build_context, data_uri, device_summary, read_table
from mlalab.report.filters import FILTERS, column_unit, f_col, fmt, is_number, missing
from mlalab.report.glossary import link_first_uses

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def environment(templates: str | Path = TEMPLATES) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2", "xml"), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.filters["fmt"] = fmt
    env.filters["upfirst"] = lambda text: text[:1].upper() + text[1:] if text else text
    env.filters["col"] = f_col
    env.globals["column_unit"] = column_unit
    env.globals["missing"] = missing
    env.globals["is_text"] = lambda v: isinstance(v, str) and not is_number(v)
    env.tests["missing"] = missing
    return env


def render_html(context: dict, env: jinja2.Environment | None = None) -> str:
    """The report's HTML, each glossary term linked from its first use."""
    env = env or environment()
    return link_first_uses(env.get_template("report.html.j2").render(**context))


def write_pdf(html: str, path, base_url: str | None = None) -> None:
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(string=html, base_url=base_url or os.getcwd()).write_pdf(str(path))


def _relative(path, start) -> str:
    return os.path.relpath(str(path), str(start)).replace(os.sep, "/")


def render_report(config: dict, tables: dict, figures: dict, diagrams: dict, onnx: dict, html_path,
                  pdf_path=None, provenance: dict | None = None) -> str:
    """`tables`: name -> CSV path; `figures`: key -> image path; `diagrams`/`onnx`: model id -> path.
    Writes the self-contained HTML (images inlined) and, if asked, the PDF. Returns the HTML."""
    out_dir = Path(html_path).resolve().parent
    frames = {name: read_table(path) for name, path in tables.items()}
    fig_uris = {k: data_uri(p) for k, p in figures.items()}
    diag_uris = {k: data_uri(p) for k, p in diagrams.items()}
    onnx_links = {k: _relative(p, out_dir) for k, p in onnx.items() if p and os.path.exists(p)}
    context = build_context(config, frames, fig_uris, diag_uris, onnx_links, provenance or {})
    html = render_html(context)
    with atomic_path(html_path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    if pdf_path:
        with atomic_path(pdf_path) as tmp:
            write_pdf(html, tmp, base_url=str(out_dir))
    for path in (html_path, pdf_path):  # atomic_path's temp files are 0600; a report is for readers
        if path:
            os.chmod(path, 0o644)
    return html


def render(outputs, config, tables, figures, diagrams, onnx, benchmarks, log) -> None:
    """The report job (rule report): provenance of the run, then the HTML and the PDF."""
    device, threads = device_summary({name: read_table(path) for name, path in tables.items()})
    prov = _provenance.collect(dict(config), benchmarks, device_used=device, threads=threads)
    render_report(dict(config), dict(tables), dict(figures), dict(diagrams), dict(onnx), outputs.html,
                  outputs.pdf, prov)
    log(f"wrote {outputs.html} and {outputs.pdf}")
