"""Templates compile with a cheaper escape of each output: the text of every page must be what
Jinja's own code generator gives, and a piece of output kept as a value must stay safe."""

from __future__ import annotations

import enum
import gettext

import jinja2
import markupsafe
import pytest
from conftest import Repo
from hypothesis import given
from hypothesis import strategies as st

from statuspage.outputs import templating
from statuspage.outputs.templating import make_environment
from statuspage.read.config import load_config


class Kind(str, enum.Enum):  # noqa: UP042 (a str whose str() is not its text: 'Kind.OUTAGE')
    OUTAGE = "<outage>"


class Shown:
    def __html__(self) -> str:
        return "<b>shown</b>"


class Plain:
    def __str__(self) -> str:
        return "a < b & 'c'"


TEXT = st.text(st.one_of(st.characters(), st.sampled_from("<>&'\"")))


@given(st.one_of(TEXT, st.integers(), st.floats(allow_nan=False), st.none(),
                 TEXT.map(markupsafe.Markup), TEXT.map(markupsafe.escape)))
def test_output_escape_gives_markupsafe_text(value: object) -> None:
    assert templating.output_escape(value) == str(markupsafe.escape(value))
    assert type(templating.output_escape(value)) is str


def test_output_escape_of_unusual_values() -> None:
    for value in (Kind.OUTAGE, Shown(), Plain(), "\"'<>&", markupsafe.Markup("<i>&amp;</i>")):
        assert templating.output_escape(value) == str(markupsafe.escape(value))


TEMPLATE = """\
{% macro badge(text) %}<span title="{{ text }}">{{ text }}</span>{% endmacro %}
{% set kept %}<em>{{ value }}</em>{% endset %}
{% block head %}<h1>{{ value }}</h1>{% endblock %}
{{ value }} {{ safe_value }} {{ number }} {{ kind }} {{ shown }}
{{ badge(value) }} {{ badge(safe_value) }} {{ kept }} {{ kept ~ value }} {{ self.head() }}
{{ kept | upper }} {{ badge(value) | lower }} {{ value | e }} {{ value | safe }}
{% filter upper %}{{ value }} and {{ safe_value }}{% endfilter %}
{% for item in items %}{{ loop.index }}: {{ item }} {{ badge(item) }}{% endfor %}
{% autoescape false %}{{ value }}{% endautoescape %}
{% autoescape flag %}{{ value }}{% endautoescape %}
{{ "<constant>" }} {{ missing | default("<default>") }}
{{ _("History") }} {{ _("Safe") }} {{ gettext("History") }} {{ _("Not translated <i>") }}
{{ _("Hello %(name)s", name=value) }} {{ _("History") ~ value }} {{ _("History") | upper }}
{% trans %}History{% endtrans %} {% trans name=value %}Hello {{ name }}{% endtrans %}
{% autoescape flag %}{{ _("Safe") }}{% endautoescape %} {{ badge(_("Safe")) }}
"""

SHADOWED = [
    """{% macro twice(_) %}{{ _("History") }}{% endmacro %}
{{ twice(shout) }} {{ gettext("Safe") }}
""",
    '{% macro _(text) %}[{{ text }}]{% endmacro %}{{ _("History") }}',
    '{% from "helpers.html" import shout as _ %}{{ _("History") }} {{ gettext("History") }}',
    '{% import "helpers.html" as gettext %}{{ gettext.shout("History") }}',
    '{% for _ in ["x"] %}{{ _ }}{% endfor %}{{ gettext("History") }}',
]

CONTEXT = {
    "value": "<script>alert('x') & \"y\"</script>",
    "safe_value": markupsafe.Markup("<b>bold</b>"),
    "number": 3,
    "kind": Kind.OUTAGE,
    "shown": Shown(),
    "items": ["<a>", markupsafe.Markup("<br>"), 7],
    "flag": True,
}


TEXTS = {"History": "历史", "Safe": "<b>安全</b> & 100%% 可用", "Hello %(name)s": "你好 %(name)s"}


class Catalog(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return TEXTS.get(message, message)


HELPERS = "{% macro shout(text) %}{{ text | upper }}!{% endmacro %}"


def _environment(compiler: type[jinja2.compiler.CodeGenerator], escaping: bool
                 ) -> jinja2.Environment:
    env = templating.Environment(autoescape=escaping, extensions=["jinja2.ext.i18n"],
                                 loader=jinja2.DictLoader({"helpers.html": HELPERS}))
    env.code_generator_class = compiler
    env.install(Catalog(), fixed=True)
    return env


def test_pages_read_as_with_jinjas_own_code() -> None:
    for escaping in (True, False):
        ours = _environment(templating.Compiler, escaping)
        jinjas = _environment(jinja2.compiler.CodeGenerator, escaping)
        for flag in (True, False):
            context = {**CONTEXT, "flag": flag}
            for template in (TEMPLATE, *SHADOWED):
                assert ours.from_string(template).render(context, shout=str.upper) == \
                    jinjas.from_string(template).render(context, shout=str.upper)


def test_the_cheaper_escape_is_in_use() -> None:
    # (Were Jinja to rename the method it overrides, pages would still be right but slower.)
    code = _environment(templating.Compiler, True).compile("{{ value }}", raw=True)
    assert "yield output_escape(" in code
    assert "output_escape" not in _environment(templating.Compiler, False).compile(
        "{{ value }}", raw=True).split("\n", 1)[1]


def test_fixed_texts_are_constants_of_the_compiled_template() -> None:
    env = _environment(templating.Compiler, True)
    assert "context.call" not in env.compile('{{ _("History") }}{{ gettext("Safe") }}', raw=True)
    assert "历史" in env.compile('{{ _("History") }}', raw=True)
    # With values, or where the template names `_` itself, or where Jinja's formatting would
    # fail: called at render time, as before.
    for kept in ('{{ _("Hello %(name)s", name=x) }}', '{% set _ = f %}{{ _("History") }}',
                 '{{ _("50% off") }}'):
        assert "context.call" in env.compile(kept, raw=True), kept
    with pytest.raises(TypeError):
        env.from_string('{{ _("50% off") }}').render()


def test_fixed_texts_are_translated_as_templates_compile_only_with_the_built_in_theme(
        repo: Repo) -> None:
    # A repository's own templates could give `_` another meaning for the built-in ones (at
    # the top of a base.html, say): Jinja translates at render time there.
    config, _problems = load_config(repo.config, str(repo.config))
    assert config is not None
    assert make_environment(config).translate is not None
    repo.write("templates/static/extra.css", "p {}")
    assert make_environment(config).translate is not None
    repo.write("templates/base.html", "{% set _ = shout %}{% block content %}{% endblock %}")
    assert make_environment(config).translate is None
