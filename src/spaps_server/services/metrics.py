"""An in-process metrics registry: counters, gauges and histograms with labels, rendered as
Prometheus text (exposition format 0.0.4) and as the JSON of ``/api/metrics/json``.

Why not ``prometheus_client``: it keeps a process-global default registry (awkward when tests
build several apps in one process), adds a dependency and import time, and we need only three
metric types plus a JSON view of the same numbers. This module is small and thread-safe.

Domain code adds its own counters through the registry it is given (``ctx.metrics``)::

    logins = metrics.counter("spaps_auth_logins_total", "Successful sign-ins", ("method",))
    logins.inc(method="password")

``counter``/``gauge``/``histogram`` are get-or-create, so calling them again with the same
name returns the same metric (a different type or label set raises ``ValueError``).
"""

from __future__ import annotations

import math
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

# Seconds; suited to a local server whose handlers take from well under 1 ms to ~1 s.
DEFAULT_BUCKETS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

LabelKey = tuple[str, ...]


def _format_value(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def json_number(value: float) -> int | float:
    """An integral float as ``int`` (counts read better as ``3`` than ``3.0`` in JSON)."""
    if value == int(value) and abs(value) < 1e15:
        return int(value)
    return value


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _labels_text(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape_label(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


class _Metric:
    kind = "untyped"

    def __init__(self, name: str, help_text: str, labelnames: Sequence[str]) -> None:
        if not _NAME.match(name):
            raise ValueError(f"invalid metric name {name!r}")
        for label in labelnames:
            if not _LABEL.match(label) or label == "le":
                raise ValueError(f"invalid label name {label!r}")
        self.name = name
        self.help = help_text
        self.labelnames: tuple[str, ...] = tuple(labelnames)
        self._lock = threading.Lock()

    def _key(self, labels: Mapping[str, object]) -> LabelKey:
        if set(labels) != set(self.labelnames):
            raise ValueError(
                f"metric {self.name} takes labels {list(self.labelnames)}, got {sorted(labels)}"
            )
        return tuple(str(labels[n]) for n in self.labelnames)

    def render(self) -> list[str]:
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        raise NotImplementedError


class Counter(_Metric):
    """A monotonically increasing count per label set."""

    kind = "counter"

    def __init__(self, name: str, help_text: str, labelnames: Sequence[str] = ()) -> None:
        super().__init__(name, help_text, labelnames)
        self._values: dict[LabelKey, float] = {}

    def inc(self, amount: float = 1.0, **labels: object) -> None:
        """Add ``amount`` (non-negative) to the series named by ``labels``."""
        if amount < 0:
            raise ValueError("a counter cannot decrease")
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: object) -> float:
        """The current value of one series (0 if never incremented)."""
        key = self._key(labels)
        with self._lock:
            return self._values.get(key, 0.0)

    def total(self) -> float:
        """The sum over all label sets."""
        with self._lock:
            return sum(self._values.values())

    def series(self) -> list[tuple[dict[str, str], float]]:
        """Every label set with its value."""
        with self._lock:
            items = sorted(self._values.items())
        return [(dict(zip(self.labelnames, key, strict=True)), value) for key, value in items]

    def render(self) -> list[str]:
        series = self.series()
        if not series and not self.labelnames:
            series = [({}, 0.0)]
        return [
            f"{self.name}{_labels_text(self.labelnames, list(labels.values()))} "
            f"{_format_value(value)}"
            for labels, value in series
        ]

    def snapshot(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "total": json_number(self.total()),
            "series": [
                {"labels": labels, "value": json_number(value)} for labels, value in self.series()
            ],
        }


class Gauge(_Metric):
    """A value that goes up and down, or is read from a callback at render time."""

    kind = "gauge"

    def __init__(
        self,
        name: str,
        help_text: str,
        labelnames: Sequence[str] = (),
        callback: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(name, help_text, labelnames)
        if callback is not None and labelnames:
            raise ValueError("a callback gauge takes no labels")
        self._callback = callback
        self._values: dict[LabelKey, float] = {}

    def set(self, value: float, **labels: object) -> None:
        """Set the series named by ``labels`` to ``value``."""
        key = self._key(labels)
        with self._lock:
            self._values[key] = float(value)

    def inc(self, amount: float = 1.0, **labels: object) -> None:
        """Add ``amount`` (may be negative)."""
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: object) -> float:
        """The current value of one series."""
        if self._callback is not None:
            return float(self._callback())
        key = self._key(labels)
        with self._lock:
            return self._values.get(key, 0.0)

    def series(self) -> list[tuple[dict[str, str], float]]:
        """Every label set with its value."""
        if self._callback is not None:
            return [({}, float(self._callback()))]
        with self._lock:
            items = sorted(self._values.items())
        return [(dict(zip(self.labelnames, key, strict=True)), value) for key, value in items]

    def render(self) -> list[str]:
        return [
            f"{self.name}{_labels_text(self.labelnames, list(labels.values()))} "
            f"{_format_value(value)}"
            for labels, value in self.series()
        ]

    def snapshot(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "series": [{"labels": labels, "value": value} for labels, value in self.series()],
        }


class _HistogramSeries:
    __slots__ = ("buckets", "count", "sum")

    def __init__(self, size: int) -> None:
        self.buckets = [0] * size
        self.count = 0
        self.sum = 0.0


class Histogram(_Metric):
    """Observations counted into cumulative buckets, with their sum and count."""

    kind = "histogram"

    def __init__(
        self,
        name: str,
        help_text: str,
        labelnames: Sequence[str] = (),
        buckets: Iterable[float] = DEFAULT_BUCKETS,
    ) -> None:
        super().__init__(name, help_text, labelnames)
        bounds = sorted(float(b) for b in buckets if not math.isinf(b))
        if not bounds:
            raise ValueError("a histogram needs at least one finite bucket")
        self.bounds: tuple[float, ...] = (*bounds, math.inf)
        self._series: dict[LabelKey, _HistogramSeries] = {}

    def observe(self, value: float, **labels: object) -> None:
        """Record one observation (e.g. a duration in seconds)."""
        key = self._key(labels)
        with self._lock:
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = _HistogramSeries(len(self.bounds))
            for i, bound in enumerate(self.bounds):
                if value <= bound:
                    series.buckets[i] += 1
                    break
            series.count += 1
            series.sum += value

    def count(self, **labels: object) -> int:
        """How many observations one series has."""
        key = self._key(labels)
        with self._lock:
            series = self._series.get(key)
            return series.count if series else 0

    def _items(self) -> list[tuple[LabelKey, list[int], int, float]]:
        with self._lock:
            return [
                (key, list(s.buckets), s.count, s.sum) for key, s in sorted(self._series.items())
            ]

    def render(self) -> list[str]:
        lines: list[str] = []
        for key, buckets, count, total in self._items():
            cumulative = 0
            for bound, n in zip(self.bounds, buckets, strict=True):
                cumulative += n
                le = f'le="{_format_value(bound)}"'
                lines.append(
                    f"{self.name}_bucket{_labels_text(self.labelnames, key, le)} {cumulative}"
                )
            labels = _labels_text(self.labelnames, key)
            lines.append(f"{self.name}_sum{labels} {_format_value(total)}")
            lines.append(f"{self.name}_count{labels} {count}")
        return lines

    def snapshot(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "series": [
                {
                    "labels": dict(zip(self.labelnames, key, strict=True)),
                    "count": count,
                    "sum": json_number(total),
                }
                for key, _buckets, count, total in self._items()
            ],
        }


def resident_memory_bytes() -> int:
    """The process's current resident set size (peak RSS where /proc is unavailable)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class MetricsRegistry:
    """Holds the metrics of one server instance and renders them."""

    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}
        self._lock = threading.Lock()
        self.started_monotonic = time.monotonic()
        self.started_at = datetime.now(timezone.utc)
        self.gauge(
            "process_uptime_seconds", "Seconds since the server started", callback=self.uptime
        )
        self.gauge(
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            callback=lambda: float(resident_memory_bytes()),
        )

    def uptime(self) -> float:
        """Seconds since this registry (the server) started."""
        return time.monotonic() - self.started_monotonic

    def _get_or_create(
        self, cls: type[_Metric], name: str, labelnames: Sequence[str], make: Callable[[], _Metric]
    ) -> _Metric:
        with self._lock:
            existing = self._metrics.get(name)
            if existing is None:
                metric = make()
                self._metrics[name] = metric
                return metric
        if type(existing) is not cls or existing.labelnames != tuple(labelnames):
            raise ValueError(f"metric {name} already exists with another type or labels")
        return existing

    def counter(self, name: str, help_text: str, labelnames: Sequence[str] = ()) -> Counter:
        """Get or create a counter."""
        metric = self._get_or_create(
            Counter, name, labelnames, lambda: Counter(name, help_text, labelnames)
        )
        assert isinstance(metric, Counter)
        return metric

    def gauge(
        self,
        name: str,
        help_text: str,
        labelnames: Sequence[str] = (),
        callback: Callable[[], float] | None = None,
    ) -> Gauge:
        """Get or create a gauge (with ``callback``, its value is read at render time)."""
        metric = self._get_or_create(
            Gauge, name, labelnames, lambda: Gauge(name, help_text, labelnames, callback)
        )
        assert isinstance(metric, Gauge)
        return metric

    def histogram(
        self,
        name: str,
        help_text: str,
        labelnames: Sequence[str] = (),
        buckets: Iterable[float] = DEFAULT_BUCKETS,
    ) -> Histogram:
        """Get or create a histogram."""
        metric = self._get_or_create(
            Histogram, name, labelnames, lambda: Histogram(name, help_text, labelnames, buckets)
        )
        assert isinstance(metric, Histogram)
        return metric

    def get(self, name: str) -> Counter | Gauge | Histogram | None:
        """A registered metric by name."""
        with self._lock:
            metric = self._metrics.get(name)
        return metric if isinstance(metric, Counter | Gauge | Histogram) else None

    def _all(self) -> list[_Metric]:
        with self._lock:
            return [self._metrics[name] for name in sorted(self._metrics)]

    def render_prometheus(self) -> str:
        """All metrics in the Prometheus text exposition format."""
        lines: list[str] = []
        for metric in self._all():
            lines.append(f"# HELP {metric.name} {_escape_help(metric.help)}")
            lines.append(f"# TYPE {metric.name} {metric.kind}")
            lines.extend(metric.render())
        return "\n".join(lines) + "\n"

    def snapshot(self) -> dict[str, Any]:
        """Every metric's current values, keyed by name (for the JSON view)."""
        return {metric.name: metric.snapshot() for metric in self._all()}
