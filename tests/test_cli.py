"""The command line on real files: output format, exit codes, no tracebacks."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO_ROOT, Repo, run_cli, shown


def test_check_of_the_example_passes() -> None:
    result = run_cli("check", "--config", str(REPO_ROOT / "statuspage.yaml"),
                     "--now", "2026-11-24 12:00")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "no problems"


def test_check_prints_every_problem_sorted_then_the_count(repo: Repo) -> None:
    repo.incident("b.md", """\
        ---
        title: B
        severity: P1
        started: 2026-11-20 09:00
        components: {apii: major_outage}
        colour: red
        ---
        """)
    repo.incident("a.md", """\
        ---
        title: A
        severity: P7
        started: 2026-11-20 09:00
        ---
        ## Fixed — 2026-11-20 10:00
        """)
    result = repo.check()
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{shown(repo, 'incidents/a.md')}:3: error: severity: unknown severity 'P7'; "
        "use one of P0, P1, P2, P3",
        f"{shown(repo, 'incidents/a.md')}:6: error: unknown update status 'Fixed'; "
        "use one of investigating, identified, monitoring, resolved",
        f"{shown(repo, 'incidents/b.md')}:5: error: components: unknown component 'apii' "
        "(did you mean 'api'?)",
        f"{shown(repo, 'incidents/b.md')}:6: warning: unknown key 'colour'",
        "3 errors, 1 warning",
    ]


def test_warnings_alone_exit_zero(repo: Repo) -> None:
    repo.write("statuspage.yaml", repo.config.read_text() + "timzone: UTC\n")
    result = repo.check()
    assert result.exit_code == 0
    assert f"{shown(repo, 'statuspage.yaml')}:13: warning: unknown key 'timzone' " \
           "(did you mean 'timezone'?)" in result.output
    assert result.output.splitlines()[-1] == "1 warning"


def test_missing_config_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("check", "--config", str(tmp_path / "statuspage.yaml"))
    assert result.exit_code == 1
    assert result.output == (f"{tmp_path}/statuspage.yaml: error: no such file "
                             "(run 'statuspage init' to create one, or give its path with "
                             "--config)\n1 error\n")


def test_bad_now_is_a_usage_error(repo: Repo) -> None:
    result = repo.run("build", "--now", "yesterday")
    assert result.exit_code == 2
    assert "'yesterday' is not a timestamp" in result.output
    assert "Traceback" not in result.output


def test_build_defaults_to_site_beside_the_config(repo: Repo) -> None:
    result = repo.run("build", "--now", "2026-11-24 12:00")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("built ")
    assert (repo.root / "site" / "index.html").is_file()


def test_broken_yaml_gives_path_line_and_no_traceback(repo: Repo) -> None:
    repo.incident("2026-11-20-x.md", "---\ntitle: [unclosed\nseverity: P1\n---\n")
    result = repo.build()
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.splitlines()[0].startswith(
        f"{shown(repo, 'incidents/2026-11-20-x.md')}:2: error: YAML syntax: ")
    assert not repo.site.exists()


def test_relative_config_path_gives_relative_problem_paths(repo: Repo, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    repo.incident("2026-11-20-x.md", "---\ntitle: X\nseverity: P1\n---\n")
    monkeypatch.chdir(repo.root.parent)
    result = run_cli("check", "--config", "status/statuspage.yaml", "--now", "2026-11-24 12:00")
    assert result.output.splitlines()[0] == (
        "status/incidents/2026-11-20-x.md:2: error: 'started' is required when there are "
        "no updates")
