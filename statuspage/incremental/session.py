"""What the builds in one process keep between them."""

from __future__ import annotations

import jinja2

from ..outputs.templating import make_environment
from ..read.config import SiteConfig
from .keys import digest
from .store import CompiledTemplates


class Session:
    """The templates' environment, kept from one build to the next while the settings,
    templates and code are the same (so `serve` compiles them once), its compiled templates
    kept in the cache folder for the next process."""

    def __init__(self) -> None:
        self._environment: tuple[str, jinja2.Environment] | None = None

    def environment(self, config: SiteConfig, templates: str) -> jinja2.Environment:
        """Return the environment for `config` and the templates and code `templates` is a
        digest of."""
        key = digest(templates, config)
        if self._environment is None or self._environment[0] != key:
            compiled = CompiledTemplates(config.root, key)
            self._environment = (key, make_environment(config, compiled=compiled))
        return self._environment[1]
