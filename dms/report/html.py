"""report.html: one self-contained page rendered from a jinja2 template with autoescape on,
so file names, labels and evidence can never inject markup."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from dms.core.words import behaviour_words, cause_words

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _speed(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined, trim_blocks=True
    )
    env.filters["speed"] = _speed
    env.filters["words"] = behaviour_words
    env.filters["cause"] = cause_words
    return env


def render_report_html(context: dict) -> str:
    return _environment().get_template("report.html.j2").render(**context)
