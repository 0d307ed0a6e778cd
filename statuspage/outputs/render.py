"""Making an output's bytes: its maker's result, or for a page that result rendered with its
template and the names every HTML page gets."""

from __future__ import annotations

from pathlib import Path
from traceback import extract_tb
from typing import Any

import jinja2

from ..compute.bars import THRESHOLDS
from ..compute.status import Headline
from ..errors import Location, Problem, error
from ..model import Component
from ..read.config import SiteConfig
from . import site_files
from .colours import theme_colour
from .record import Output


def page_names(config: SiteConfig, headline: Headline, assets: dict[str, str]) -> dict[str, Any]:
    """Return the names every HTML page gets besides its own (see docs/theming.md)."""
    groups: dict[str | None, list[Component]] = {}
    for component in config.components:
        groups.setdefault(component.group, []).append(component)
    return {"config": config, "headline": headline, "assets": assets,
            "groups": list(groups.items()), "thresholds": THRESHOLDS,
            "theme_color": theme_colour(headline.indicator, headline.maintenance)}


def render(env: jinja2.Environment, output: Output, values: tuple[Any, ...],
           names: dict[str, Any]) -> bytes:
    """Return the bytes of `output` made from `values` (its reads, as `Keys.values` gives
    them); `names` are what every HTML page gets (`page_names`)."""
    made = output.make(*values)
    if output.template is None:
        assert isinstance(made, bytes)
        return made
    path = output.path
    if output.template.endswith(".html"):
        made = {**names, "page_path": path, **made}
        # The 404 page is served at any depth, so only links from the site's own path work.
        root = names["config"].base_path if path == "404.html" else "../" * path.count("/")
    else:
        root = "../" * path.count("/")
    return env.get_template(output.template).render(made, root=root).encode()


def template_problem(original: jinja2.TemplateError, config: SiteConfig) -> Problem:
    """Return a template error as a problem at the template's file and line."""
    exc = original
    if isinstance(exc, jinja2.TemplateNotFound):
        exc = jinja2.TemplateError(f"no template named '{exc.name}'")
    if isinstance(exc, jinja2.TemplateSyntaxError):
        name = exc.filename or exc.name or "template"
        return error(Location(_shown(name, config), exc.lineno), exc.message or str(exc))
    folders = [site_files.theme_dir().resolve(), config.templates_dir.resolve()]
    for frame in reversed(extract_tb(original.__traceback__)):
        where = Path(frame.filename)
        if where.is_absolute() and any(where.resolve().is_relative_to(f) for f in folders):
            return error(Location(_shown(frame.filename, config), frame.lineno or 0),
                         f"template: {exc}")
    return error(Location("templates"), f"template: {exc}")


def _shown(name: str, config: SiteConfig) -> str:
    try:
        return config.shown(Path(name).resolve())
    except ValueError:
        return name
