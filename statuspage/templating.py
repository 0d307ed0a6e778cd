"""How templates compile: Jinja's own code generator, with a cheaper escape of each `{{ … }}`.

In a template that escapes (HTML, XML, feeds), Jinja writes `escape(value)` for each output:
MarkupSafe's escape, which wraps its result in a new `Markup` (and unwraps and wraps a value
that is `Markup` already). That result is only joined into the page, whose text is all that
is kept, so `output_escape` gives the same text without the wrapping. The pages' text is
unchanged; an incident page renders in about three quarters of the time.

Wherever Jinja keeps a piece of output as a value (a macro's result, `{% set %}…{% endset %}`,
a filter block, a block called as `self.name()`) it joins the pieces and marks them safe
itself, as it always does, so those stay `Markup`.
"""

from __future__ import annotations

from typing import Any

import markupsafe
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Expr, Template

REVISION = 1
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
    an output; everything else is Jinja's own."""

    def visit_Template(self, node: Template, frame: Frame | None = None) -> None:
        self.writeline(f"from {__name__} import output_escape")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node: Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile and finalize.src is None:
            self.write("output_escape(")
        else:
            super()._output_child_pre(node, frame, finalize)
