"""Measured figures as pages show them: numbers as text, and the charts' geometry (inline
SVG drawn by the templates, scaled to the width it is given, with no JavaScript).

Pages read these shown values, not the figures (through the `Measures` reads at the end): a
page is made again when what it shows changes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from ..compute.metrics import ComponentMetrics, MonthStat, Stat
from ..compute.metrics_days import Measured
from ..read.metrics_config import Targets
from ..read.metrics_rows import NO_LATENCY
from .record import Measures

SLOT = 10
"""Width of a day in a chart's own units."""
HEIGHT = 100
"""Height of a chart in its own units."""


def ms(value: float | None) -> str | None:
    """Return a latency as shown: whole milliseconds from 10 ms, else to a tenth."""
    if value is None:
        return None
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def rate(value: float | None) -> str | None:
    """Return an error rate in percent as shown, to four significant digits."""
    if value is None:
        return None
    return "0" if value == 0 else f"{value:.4g}"


def count(value: float) -> str:
    """Return a request count as shown."""
    return f"{value:,.0f}" if value == int(value) or value >= 100 else f"{value:,.2f}"


@dataclass(frozen=True)
class DayRow:
    """One day of a component's charts, in words, for the table beside them."""

    date: date
    count: str
    p50: str | None
    p95: str | None
    p99: str | None
    error_rate: str | None


@dataclass(frozen=True)
class Chart:
    """A chart: its width in its own units, its scale's top as shown, its lines (SVG path
    data by name) or bars, and the target's height (None: no target)."""

    width: int
    top: str
    lines: tuple[tuple[str, str], ...]
    bars: tuple[tuple[float, float, float], ...]
    """(x, y, height) of each day's bar."""
    target: float | None


@dataclass(frozen=True)
class MonthCells:
    """A month's measured figures, as the uptime and component pages show them."""

    month: str
    latency: str | None
    latency_met: bool | None
    error_rate: str | None
    error_rate_met: bool | None
    count: str


@dataclass(frozen=True)
class MeasuredShown:
    """A component's measured figures as its page shows them."""

    percentile: str
    """The target's percentile, such as '95'."""
    latency_target: str | None
    error_rate_target: str | None
    latency: Chart | None
    """None: the component measures no latency."""
    errors: Chart
    days: tuple[DayRow, ...]
    first: date
    last: date
    months: tuple[MonthCells, ...]
    """Newest first."""


def _nice(value: float) -> float:
    """Return a round number at least `value` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power: float = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1.0, 2.0, 2.5, 5.0, 10.0) if step * power >= value)


def _y(value: float, top: float) -> float:
    return round(HEIGHT - value / top * HEIGHT, 2)


def _path(values: list[float | None], top: float) -> str:
    """Return SVG path data through each day's value, broken where a day has none (a lone
    day is a dot: a zero-length line with round caps)."""
    parts: list[str] = []
    joined = False
    for index, value in enumerate(values):
        if value is None:
            joined = False
            continue
        x = index * SLOT + SLOT / 2
        parts.append(f"{'L' if joined else 'M'}{x:g} {_y(value, top):g}")
        if not joined and (index + 1 >= len(values) or values[index + 1] is None):
            parts.append("h0")
        joined = True
    return "".join(parts)


def _latency_chart(stats: list[Stat], target: float | None) -> Chart:
    highest = max([v for s in stats for v in (s.p50, s.p95, s.p99) if v is not None]
                  + ([target] if target is not None else []), default=0.0)
    top = _nice(highest * 1.1)
    return Chart(len(stats) * SLOT, ms(top) or "", tuple(
        (name, _path([getattr(s, name) for s in stats], top)) for name in ("p99", "p95", "p50")),
        (), None if target is None else _y(target, top))


def _error_chart(stats: list[Stat], target: float | None) -> Chart:
    highest = max([s.error_rate for s in stats if s.error_rate is not None]
                  + ([target] if target is not None else []), default=0.0)
    top = _nice(highest * 1.1) if highest else 1.0
    bars = tuple((index * SLOT + 1, _y(s.error_rate, top), round(s.error_rate / top * HEIGHT, 2))
                 for index, s in enumerate(stats) if s.error_rate)
    return Chart(len(stats) * SLOT, rate(top) or "", (), bars,
                 None if target is None else _y(target, top))


def month_cells(month: str, found: MonthStat) -> MonthCells:
    """Return a month's figures as shown."""
    stat = found.stat
    return MonthCells(month, ms(stat.target), found.latency_met, rate(stat.error_rate),
                      found.error_rate_met, count(stat.count))


def _percentile(targets: Targets) -> str:
    return f"{targets.latency.percentile:g}" if targets.latency else "95"


def shown(figures: ComponentMetrics, months: int | None = None) -> MeasuredShown:
    """Return a component's measured figures as its page shows them (its last `months`
    months; all by default)."""
    stats = [stat for _day, stat in figures.days]
    targets = figures.targets
    latency = targets.latency
    return MeasuredShown(
        _percentile(targets), ms(latency.ms) if latency else None, rate(targets.error_rate),
        None if figures.form == NO_LATENCY else _latency_chart(
            stats, latency.ms if latency else None),
        _error_chart(stats, targets.error_rate),
        tuple(DayRow(day, count(s.count), ms(s.p50), ms(s.p95), ms(s.p99), rate(s.error_rate))
              for day, s in reversed(figures.days)),
        figures.days[0][0], figures.days[-1][0],
        tuple(month_cells(m, found) for m, found in
              sorted(figures.months.items(), reverse=True)[:months]))


@dataclass(frozen=True)
class MeasuredRow:
    """A component's measured months on the uptime page (newest first)."""

    percentile: str
    latency_target: str | None
    error_rate_target: str | None
    months: dict[str, MonthCells]


def uptime_rows(measured: Measured, months: int) -> dict[str, MeasuredRow]:
    """Return each measured component's last `months` months as the uptime page shows
    them, by id."""
    found = {}
    for cid, figures in measured.components.items():
        targets = figures.targets
        found[cid] = MeasuredRow(
            _percentile(targets), ms(targets.latency.ms) if targets.latency else None,
            rate(targets.error_rate),
            {m: month_cells(m, s) for m, s in sorted(figures.months.items())[-months:]})
    return found


@dataclass(frozen=True)
class Glance:
    """A component's latency and error rate over the last 7 days, for the front page."""

    p95: str | None
    error_rate: str | None


def glances(measured: Measured) -> dict[str, Glance]:
    """Return each measured component's p95 and error rate over the last 7 days, by id."""
    return {cid: Glance(ms(f.windows["7d"].p95), rate(f.windows["7d"].error_rate))
            for cid, f in measured.components.items() if f.windows["7d"].count}


@dataclass(frozen=True)
class ShownOf(Measures):
    """A component's measured figures as its page shows them (None: no data files)."""

    component: str

    def of(self, measured: Measured) -> MeasuredShown | None:
        figures = measured.components.get(self.component)
        return shown(figures) if figures is not None else None


@dataclass(frozen=True)
class UptimeRowsOf(Measures):
    """Each measured component's last `months` months as the uptime page shows them."""

    months: int

    def of(self, measured: Measured) -> dict[str, MeasuredRow]:
        return uptime_rows(measured, self.months)


@dataclass(frozen=True)
class GlancesOf(Measures):
    """Each measured component's p95 and error rate over the last 7 days, for the front
    page."""

    def of(self, measured: Measured) -> dict[str, Glance]:
        return glances(measured)


@dataclass(frozen=True)
class Figures(Measures):
    """The measured figures themselves."""

    def of(self, measured: Measured) -> Measured:
        return measured
