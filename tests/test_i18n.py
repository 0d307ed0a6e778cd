"""Every UI string has a translation; dates and the page follow the site's language."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from conftest import EXAMPLE_NOW, REPO_ROOT, run_cli
from markupsafe import Markup

from statuspage.i18n import Formats, translations
from statuspage.outputs.templating import make_environment
from statuspage.read.config import load_config

CATALOG = REPO_ROOT / "statuspage/locale/zh_CN/LC_MESSAGES/messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
METHODS = [("statuspage/**.py", "python"), ("templates/**.html", "jinja2"),
           ("templates/**.atom", "jinja2"), ("templates/**.rss", "jinja2"),
           ("templates/**.js", "jinja2")]


def test_every_ui_string_is_translated_into_chinese() -> None:
    found = {message for _file, _line, message, _comments, _context in extract_from_dir(
        str(REPO_ROOT), METHODS, keywords=KEYWORDS,
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}})}
    wanted = {m if isinstance(m, str) else m[0] for m in found}
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and (m.string if isinstance(m.string, str) else all(m.string))}
    assert len(wanted) > 100
    assert sorted(wanted - translated) == [], "run scripts/update-translations and translate"


def test_formats_per_language() -> None:
    moment = datetime(2026, 11, 20, 9, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
    english = Formats("en", translations("en"))
    chinese = Formats("zh-CN", translations("zh-CN"))
    assert english.moment(moment) == "Nov 20, 2026, 09:12 UTC+08:00"
    assert chinese.moment(moment) == "2026年11月20日 09:12 UTC+08:00"
    assert english.duration(timedelta(hours=1, minutes=28)) == "1 h 28 min"
    assert chinese.duration(timedelta(hours=1, minutes=28)) == "1 小时 28 分钟"
    assert chinese.month(moment.date()) == "2026年11月"
    assert english.minutes(26.4) == "26.4 min" and chinese.minutes(26.4) == "26.4 分钟"


def test_chinese_site(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "incidents", tmp_path / "incidents")
    config = (REPO_ROOT / "statuspage.yaml").read_text().replace("language: en", "language: zh-CN")
    assert "language: zh-CN" in config
    (tmp_path / "statuspage.yaml").write_text(config)
    result = run_cli("build", "--config", str(tmp_path / "statuspage.yaml"), "--now", EXAMPLE_NOW)
    assert result.exit_code == 0, result.output
    index = (tmp_path / "site/index.html").read_text()
    assert '<html lang="zh-CN">' in index
    assert '<h1 id="overall">服务轻微中断</h1>' in index
    assert "2026年11月24日 11:30 UTC+08:00" in index
    assert "Past incidents" not in index and "近期事件" in index


def test_texts_with_values_are_remembered_apart_by_the_values_type() -> None:
    config, _problems = load_config(REPO_ROOT / "statuspage.yaml", "statuspage.yaml")
    for language in ("en", "zh-CN"):
        env = make_environment(replace(config, language=language))
        page = env.from_string(
            "{{ _('Times are shown in %(zone)s.', zone=a) }}|"
            "{{ _('Times are shown in %(zone)s.', zone=b) }}|"
            "{{ _('Times are shown in %(zone)s.', zone=a) }}|"
            "{{ _('%(title)s: maintenance', title=c) }}")
        # A str value is escaped, Markup with the same text is not; each remembered apart.
        shown = page.render(a="<b>", b=Markup("<b>"), c="A & B").split("|")
        assert "&lt;b&gt;" in shown[0] and "<b>" in shown[1] and "&lt;b&gt;" not in shown[1]
        assert shown[2] == shown[0] and "A &amp; B" in shown[3]
        assert page.render(a="UTC", b=Markup("x"), c="Z").split("|")[0] != shown[0]
