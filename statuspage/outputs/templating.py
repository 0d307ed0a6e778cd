"""The templates' environment: the repository's templates first, then the built-in theme
(also as `default:`), with filters that write dates, times and figures in the site's language.

Templates compile with Jinja's own code generator but for two things (`Compiler`). Each
`{{ … }}` is escaped by `output_escape`, which gives MarkupSafe's text without wrapping it in a
`Markup` only to be joined into the page; wherever Jinja keeps output as a value (macros, set
and filter blocks, `self.name()`), it marks it safe itself as always. And with the built-in
theme, a call of `_` or `gettext` with one fixed text and nothing else becomes a constant of
the compiled template, with the value Jinja's gettext would give it (translated,
`%`-formatted, safe where the template escapes). Templates of a repository's own are left to
Jinja: one could give `_` another meaning, or extend one that escapes from one that does not.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import jinja2
import markupsafe
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.visitor import NodeTransformer
from markupsafe import Markup, escape

from .. import __version__
from ..compute.bars import percent
from ..i18n import N_, Formats, translations
from ..read.config import SiteConfig
from . import site_files

LABELS = {
    "operational": N_("Operational"),
    "degraded_performance": N_("Degraded performance"),
    "partial_outage": N_("Partial outage"),
    "major_outage": N_("Major outage"),
    "under_maintenance": N_("Under maintenance"),
    "investigating": N_("Investigating"),
    "identified": N_("Identified"),
    "monitoring": N_("Monitoring"),
    "resolved": N_("Resolved"),
    "scheduled": N_("Scheduled"),
    "in_progress": N_("In progress"),
    "verifying": N_("Verifying"),
    "completed": N_("Completed"),
    "met": N_("Met"),
    "missed": N_("Missed"),
    "pending": N_("Pending"),
    "no_target": N_("No target"),
    "none": N_("None"),
    "minor": N_("Minor"),
    "major": N_("Major"),
    "critical": N_("Critical"),
}


def _markupsafe_inner() -> Any:
    # MarkupSafe's own escaping of a plain string (in C where it is built), without the
    # `Markup` around it; a MarkupSafe without it falls back to its public escape.
    inner = getattr(markupsafe, "_escape_inner", None)
    return inner if callable(inner) else lambda text: str(markupsafe.escape(text))


_escape_text = _markupsafe_inner()


def output_escape(value: Any) -> str:
    """Return the text that `markupsafe.escape(value)` has, as a plain `str`."""
    if type(value) is str:
        return _escape_text(value)  # type: ignore[no-any-return]
    html = getattr(value, "__html__", None)
    if html is not None:
        return str(html())
    return _escape_text(str(value))  # type: ignore[no-any-return]


class Compiler(CodeGenerator):
    """Jinja's code generator, writing `output_escape(…)` where it writes `escape(…)` around
    an output, and fixed texts translated (see `Environment`); everything else is Jinja's
    own."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        if getattr(self.environment, "translate", None) is not None:
            _FixedTexts(self.environment).visit(node)
        self.writeline(f"from {__name__} import output_escape")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile and finalize.src is None:
            self.write("output_escape(")
        else:
            super()._output_child_pre(node, frame, finalize)


class Environment(jinja2.Environment):
    """A Jinja environment whose templates compile with `Compiler`."""

    code_generator_class = Compiler
    translate: Callable[[str], str] | None = None
    """The gettext that fixed texts are translated with as templates compile; None: they are
    translated at render time, as Jinja does."""

    def install(self, catalog: gettext.NullTranslations, fixed: bool) -> None:
        """Install `catalog` for templates' `_`, `gettext` and `ngettext` (Jinja's newstyle
        gettext); `fixed`: translate fixed texts as templates compile. Only where no template
        can give `_` or `gettext` another meaning (a macro, a variable, an import, in this
        template or one that extends or includes it): the built-in theme's."""
        self.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
        self.translate = catalog.gettext if fixed else None


_TRANSLATING = ("_", "gettext")


class _FixedTexts(NodeTransformer):
    """Replaces each call of `_` or `gettext` with one fixed text and nothing else by its
    value, as Jinja's newstyle gettext would give it."""

    def __init__(self, environment: jinja2.Environment) -> None:
        self.environment = environment
        self.translate: Callable[[str], str] = environment.translate  # type: ignore[attr-defined]

    def visit_Template(self, node: nodes.Template) -> nodes.Node:
        # A template that names `_` or `gettext` itself (a variable, a macro or its argument,
        # a loop's target, an import) may mean something else by it: its calls are left alone.
        if any(name in _TRANSLATING for name in _bound(node)):
            return node
        return self.generic_visit(node)

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        self.generic_visit(node)  # calls among its arguments first
        text = self._fixed(node)
        if text is None:
            return node
        constant = nodes.MarkSafeIfAutoescape(nodes.Const(text, lineno=node.lineno),
                                              lineno=node.lineno)
        constant.set_environment(self.environment)
        return constant

    def _fixed(self, node: nodes.Call) -> str | None:
        called, args = node.node, node.args
        if not (isinstance(called, nodes.Name) and called.name in _TRANSLATING
                and len(args) == 1 and isinstance(args[0], nodes.Const)
                and type(args[0].value) is str and not node.kwargs
                and node.dyn_args is None and node.dyn_kwargs is None):
            return None
        translated = self.translate(args[0].value)
        try:
            # Jinja's gettext formats even without values ('%%' is '%'), as Markup where the
            # template escapes: folded only where both give the same text.
            text: str = translated % {}
            if str(markupsafe.Markup(translated) % {}) != text:
                return None
        except (TypeError, ValueError, KeyError):
            return None  # (the call fails at render time, as it would have)
        return text


def _bound(template: nodes.Template) -> Iterator[str]:
    """Yield every name the template binds."""
    for name in template.find_all(nodes.Name):
        if name.ctx != "load":
            yield name.name
    for macro in template.find_all(nodes.Macro):
        yield macro.name
    for imported in template.find_all(nodes.Import):
        yield imported.target
    for chosen in template.find_all(nodes.FromImport):
        for entry in chosen.names:
            yield entry[1] if isinstance(entry, tuple) else entry


def make_environment(config: SiteConfig, catalog: gettext.NullTranslations | None = None,
                     compiled: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """Return the Jinja environment: the repository's templates override the theme's;
    `compiled` keeps compiled templates from one build to the next."""
    builtin = jinja2.FileSystemLoader(str(site_files.theme_dir()))
    loaders: list[jinja2.BaseLoader] = []
    own = site_files.own_templates(config)
    if own is not None:
        loaders.append(jinja2.FileSystemLoader(str(own)))
    loaders += [builtin, jinja2.PrefixLoader({"default": builtin}, delimiter=":")]
    env = Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "xml", "svg", "atom", "rss"],
                                            default_for_string=True),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=compiled,
        # A build never sees its templates change: an environment is kept only for the
        # templates it was made for (three checks of their files a page, otherwise).
        auto_reload=False,
    )
    catalog = catalog or translations(config.language)
    env.install(catalog, fixed=not site_files.templates_overridden(config))
    env.globals.update(_=_remembered(env.globals["gettext"]))
    formats = Formats(config.language, catalog)
    zone = config.timezone

    def when(value: datetime, with_date: bool = True) -> Markup:
        moment = value.astimezone(zone)
        # (Put together directly: Markup.format costs more than the rest of the filter.)
        return Markup(f'<time datetime="{escape(moment.isoformat())}">'
                      f'{escape(formats.moment(moment, with_date))}</time>')

    months: dict[str, str] = {}

    def month_label(value: str) -> str:
        found = months.get(value)
        if found is None:
            year, month = (int(p) for p in value.split("-"))
            found = months[value] = formats.month(date(year, month, 1))
        return found

    def label(value: object) -> str:
        key = str(getattr(value, "value", value))
        return catalog.gettext(LABELS[key]) if key in LABELS else key

    env.filters.update(
        when=when,
        day=formats.day,
        month=month_label,
        duration=lambda d: formats.duration(d) if isinstance(d, timedelta) else "—",
        percent=lambda value: catalog.gettext("no data") if value is None else percent(value),
        minutes=formats.minutes,
        label=label,
        t=catalog.gettext,
        value=lambda v: getattr(v, "value", v),
    )
    env.globals.update(version=__version__)
    return env


def _remembered(translate: Any) -> Callable[..., Any]:
    """Return `_` for templates: Jinja's own gettext, each text with the same plain values
    translated once.

    Texts without values are constants of the compiled templates already; a page's texts with
    values ('%(title)s: incident history') mostly have the same values on every page, and
    going through Jinja's gettext each time (context lookups, escaping, %-formatting) cost a
    third of the time of an incident page."""
    known: dict[tuple[object, ...], str] = {}

    @jinja2.pass_context
    def gettext(context: jinja2.runtime.Context, string: str, /, **variables: Any) -> Any:
        # Texts with plain values (the site's title, its time zone) are the same on every page
        # too. The type is part of the key: a Markup value is not escaped, an equal str is.
        if any(type(v) not in _PLAIN for v in variables.values()):
            return translate(context, string, **variables)
        key = (string, context.eval_ctx.autoescape,
               *((k, type(v), v) for k, v in variables.items()))
        found = known.get(key)
        if found is None:
            found = known[key] = translate(context, string, **variables)
        return found
    return gettext


_PLAIN = (str, int)
"""Types of values whose text Jinja's gettext works out from the value alone."""
