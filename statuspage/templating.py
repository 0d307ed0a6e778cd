"""How templates compile: Jinja's own code generator, with a cheaper escape of each `{{ … }}`
and fixed texts translated once, when a template is compiled.

In a template that escapes (HTML, XML, feeds), Jinja writes `escape(value)` for each output:
MarkupSafe's escape, which wraps its result in a new `Markup` (and unwraps and wraps a value
that is `Markup` already). That result is only joined into the page, whose text is all that
is kept, so `output_escape` gives the same text without the wrapping. The pages' text is
unchanged; an incident page renders in about three quarters of the time.

Wherever Jinja keeps a piece of output as a value (a macro's result, `{% set %}…{% endset %}`,
a filter block, a block called as `self.name()`) it joins the pieces and marks them safe
itself, as it always does, so those stay `Markup`.

A page says twenty or so fixed texts, `_("Resolved")`, each a call through the template's
context at every page. With the built-in theme (`Environment.install`), such a text becomes a
constant of the compiled template, with the very value that Jinja's `gettext` gives it
(translated, `%`-formatted with no values, safe where the template escapes): the page's text
is the same, and an incident page renders in about four fifths of the time again. Templates
of a repository's own are left to Jinja: one could give `_` another meaning for the others
(at the top of a `base.html`, say), or extend one that escapes from one that does not.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Iterator
from typing import Any

import jinja2
import markupsafe
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.visitor import NodeTransformer

REVISION = 2
"""Part of the compiled templates' cache key: raise it when the code templates compile to
changes (compiled templates from before must not be loaded)."""


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
