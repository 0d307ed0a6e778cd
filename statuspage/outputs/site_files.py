"""The site's own files: static assets under names with their content's hash (the theme's and
the repository's, the favicon in the status's colour, the logo), sitemap.xml and robots.txt."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..compute.status import Headline
from ..read.config import SiteConfig
from .colours import favicon
from .record import Output, fixed, page


def theme_dir() -> Path:
    """Return the built-in theme: inside the installed package, or beside it in a checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "templates"
    return installed if installed.is_dir() else package.parent / "templates"


def own_templates(config: SiteConfig) -> Path | None:
    """Return the repository's templates folder, or None where it has none or where it is the
    built-in theme itself (as in this project's own repository)."""
    folder = config.templates_dir
    if not folder.is_dir() or folder.resolve() == theme_dir().resolve():
        return None
    return folder


def templates_overridden(config: SiteConfig) -> bool:
    """Return True if the repository has templates of its own (not only static files)."""
    folder = own_templates(config)
    return folder is not None and any(
        path.is_file() and path.relative_to(folder).parts[0] != "static"
        for path in folder.rglob("*"))


def asset_name(name: str, content: bytes) -> str:
    """Return the hashed file name of a static asset, such as 'style.1a2b3c4d.css'."""
    digest = hashlib.sha256(content).hexdigest()[:10]
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"


def static_files(config: SiteConfig) -> dict[str, bytes]:
    """Return the theme's static files by relative path, repository files winning."""
    found: dict[str, bytes] = {}
    for folder in (theme_dir() / "static", config.templates_dir / "static"):
        if folder.is_dir():
            inside = folder.resolve()
            for path in sorted(folder.rglob("*")):
                # A link out of the folder would publish a file from elsewhere on the machine.
                if (path.is_file() and not path.name.startswith(".")
                        and path.resolve().is_relative_to(inside)):
                    found[path.relative_to(folder).as_posix()] = path.read_bytes()
    return found


def assets(config: SiteConfig, headline: Headline,
           ) -> tuple[dict[str, str], dict[str, bytes]]:
    """Return the published path of each asset by name ('style.css', 'favicon.svg', 'logo'),
    and the bytes of each published path."""
    named: dict[str, str] = {}
    files: dict[str, bytes] = {}

    def add(key: str, name: str, content: bytes) -> None:
        named[key] = f"assets/{asset_name(name, content)}"
        files[named[key]] = content

    for name, content in static_files(config).items():
        add(name, name, content)
    add("favicon.svg", "favicon.svg", favicon(headline.indicator, headline.maintenance))
    if config.logo is not None:
        add("logo", "logo" + config.logo.suffix.lower(), config.logo.read_bytes())
    return named, files


def outputs(files: dict[str, bytes]) -> Iterator[Output]:
    """Yield the assets (the files of `assets`)."""
    for path, content in files.items():
        yield fixed(path, content)


def index_outputs(config: SiteConfig, paths: list[str]) -> Iterator[Output]:
    """Yield sitemap.xml and robots.txt, which list the pages among `paths`."""
    listed = sorted(p for p in paths if p.endswith(".html") and p != "404.html"
                    and not p.startswith("embed/"))  # (a view for other pages' frames)
    urls = tuple(config.url + (p[: -len("index.html")] if p.endswith("index.html") else p)
                 for p in listed)
    yield page("sitemap.xml", "sitemap.xml", _sitemap, config, urls)
    yield page("robots.txt", "robots.txt", _robots, config)


def _sitemap(config: SiteConfig, urls: tuple[str, ...]) -> dict[str, Any]:
    return {"config": config, "urls": urls}


def _robots(config: SiteConfig) -> dict[str, Any]:
    return {"config": config}
