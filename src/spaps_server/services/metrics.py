"""The server's metrics on ``prometheus_client``: one ``CollectorRegistry`` per app instance,
exposed as Prometheus text at ``/api/metrics`` and read back, from the same collectors, for
the JSON of ``/api/metrics/json``.

Each ``MetricsRegistry`` owns its own ``CollectorRegistry`` (never the library's global
``REGISTRY``), so two apps built in one process count independently. It always holds

* ``http_requests_total{method,route,status}`` and
  ``http_request_duration_seconds{method,route,status}`` (a histogram), recorded by the HTTP
  middleware through :meth:`MetricsRegistry.observe_http_request`; ``route`` is the route
  template (``/_dev/mailbox/{message_id}``), never the raw path, so no id or token reaches a
  label;
* ``process_uptime_seconds`` and ``process_resident_memory_bytes``, read when scraped.

Domain services declare their own instruments on the registry they are given
(``ctx.metrics``) and never import ``prometheus_client`` themselves::

    logins = metrics.counter("spaps_auth_logins_total", "Successful sign-ins", ("method",))
    logins.inc(method="password")

``counter``/``gauge``/``histogram`` are get-or-create: declaring the same name again returns
the same instrument; another type or label set under that name raises ``ValueError``.

Several worker processes
------------------------
prometheus_client keeps each process's numbers in memory, so with several workers a scrape
would see only the worker that answered. Its multiprocess mode fixes that: every process
writes its values to memory-mapped files in one directory and the scrape sums the files.
To use it:

1. create an empty directory (empty it on every deployment: stale files are summed too);
2. start every worker with ``PROMETHEUS_MULTIPROC_DIR`` set to it in the environment. The
   variable must be set before the process starts, because prometheus_client chooses where
   values live when it is imported; a ``MetricsRegistry`` created with the variable set
   after that refuses to start rather than expose partial numbers.

With the variable set, ``/api/metrics`` and ``/api/metrics/json`` read the directory through
``prometheus_client.multiprocess.MultiProcessCollector``: counters and histograms are summed
over all workers, live or exited; gauges follow their ``multiprocess_mode`` (default
``"all"``: one series per ``pid``). The two process gauges describe the worker that answered
the scrape. Apps in the same process share that process's files, so in this mode they no
longer count independently (a server process holds one app).
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import prometheus_client
from prometheus_client import CollectorRegistry, values
from prometheus_client.exposition import choose_encoder, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

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

HTTP_LABELS = ("method", "route", "status")
# Any other method a client sends is counted as "other", so clients cannot mint series.
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

GaugeMode = Literal[
    "all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum", "mostrecent"
]

Series = list[tuple[dict[str, str], float]]


def json_number(value: float) -> int | float:
    """An integral float as ``int`` (counts read better as ``3`` than ``3.0`` in JSON)."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return int(value)
    return value


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


_Wrapped = TypeVar(
    "_Wrapped", prometheus_client.Counter, prometheus_client.Gauge, prometheus_client.Histogram
)


class _Instrument(Generic[_Wrapped]):
    """A prometheus_client metric plus label checking and reads of its current values."""

    kind = "untyped"

    def __init__(self, name: str, labelnames: Sequence[str], metric: _Wrapped) -> None:
        self.name = name
        self.labelnames: tuple[str, ...] = tuple(labelnames)
        self._metric: _Wrapped = metric
        # Label values -> the library's child for them. Instruments are updated on every
        # request (the HTTP metrics twice), and the library's own lookup validates and locks
        # each time; this map holds exactly the children the library keeps anyway.
        self._children: dict[tuple[str, ...], _Wrapped] = {}

    def _child(self, labels: Mapping[str, object]) -> _Wrapped:
        if not self.labelnames:
            self._check(labels)
            return self._metric
        try:
            key = tuple([str(labels[name]) for name in self.labelnames])
        except KeyError:
            key = ()
        if len(key) != len(labels) or not key:
            self._check(labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._metric.labels(*key)
        return child

    def _check(self, labels: Mapping[str, object]) -> None:
        if set(labels) != set(self.labelnames):
            raise ValueError(
                f"metric {self.name} takes labels {list(self.labelnames)}, got {sorted(labels)}"
            )

    def _samples(self, sample_name: str) -> Series:
        """This process's samples called ``sample_name``, ordered by label values."""
        found = [
            (dict(sample.labels), sample.value)
            for family in self._metric.collect()
            for sample in family.samples
            if sample.name == sample_name
        ]
        return sorted(found, key=lambda item: [item[0].get(n, "") for n in self.labelnames])

    def _value_of(self, sample_name: str, labels: Mapping[str, object]) -> float:
        self._check(labels)
        wanted = {name: str(labels[name]) for name in self.labelnames}
        for found, value in self._samples(sample_name):
            if found == wanted:
                return value
        return 0.0


class Counter(_Instrument[prometheus_client.Counter]):
    """A monotonically increasing count per label set."""

    kind = "counter"

    def inc(self, amount: float = 1.0, **labels: object) -> None:
        """Add ``amount`` (non-negative) to the series named by ``labels``."""
        if amount < 0:
            raise ValueError("a counter cannot decrease")
        self._child(labels).inc(amount)

    def value(self, **labels: object) -> float:
        """This process's value of one series (0 if never incremented)."""
        return self._value_of(self.name, labels)

    def total(self) -> float:
        """This process's sum over all label sets."""
        return sum(value for _, value in self.series())

    def series(self) -> Series:
        """Every label set with its value, in this process."""
        return self._samples(self.name)


class Gauge(_Instrument[prometheus_client.Gauge]):
    """A value that goes up and down."""

    kind = "gauge"

    def set(self, value: float, **labels: object) -> None:
        """Set the series named by ``labels`` to ``value``."""
        self._child(labels).set(value)

    def inc(self, amount: float = 1.0, **labels: object) -> None:
        """Add ``amount`` (may be negative)."""
        self._child(labels).inc(amount)

    def value(self, **labels: object) -> float:
        """This process's value of one series."""
        return self._value_of(self.name, labels)


class Histogram(_Instrument[prometheus_client.Histogram]):
    """Observations counted into cumulative buckets, with their sum and count."""

    kind = "histogram"

    def observe(self, value: float, **labels: object) -> None:
        """Record one observation (e.g. a duration in seconds)."""
        self._child(labels).observe(value)

    def count(self, **labels: object) -> int:
        """How many observations one series has, in this process."""
        return int(self._value_of(f"{self.name}_count", labels))


Instrument = Counter | Gauge | Histogram


class _ProcessCollector:
    """``process_uptime_seconds`` and ``process_resident_memory_bytes``, read at scrape."""

    def __init__(self, registry: MetricsRegistry) -> None:
        self._registry = registry

    def describe(self) -> list[GaugeMetricFamily]:
        """The families this collector yields (so the registry can refuse name clashes)."""
        return [
            GaugeMetricFamily("process_uptime_seconds", "Seconds since the server started"),
            GaugeMetricFamily("process_resident_memory_bytes", "Resident memory size in bytes"),
        ]

    def collect(self) -> list[GaugeMetricFamily]:
        """The current uptime and resident memory of this process."""
        uptime, memory = self.describe()
        uptime.add_metric([], self._registry.uptime())
        memory.add_metric([], float(resident_memory_bytes()))
        return [uptime, memory]


def _multiprocess_dir(configured: str | os.PathLike[str] | None) -> Path | None:
    raw = configured if configured is not None else os.environ.get(MULTIPROCESS_DIR_ENV)
    if not raw:
        return None
    path = Path(raw)
    if not path.is_dir():
        raise ValueError(f"{MULTIPROCESS_DIR_ENV} is not a directory: {path}")
    if not getattr(values.ValueClass, "_multiprocess", False):
        raise RuntimeError(
            f"{MULTIPROCESS_DIR_ENV} must be set before the process starts: prometheus_client "
            "was imported without it and keeps this process's values in memory only"
        )
    return path


class MetricsRegistry:
    """The metrics of one server instance, on a ``CollectorRegistry`` of its own.

    ``multiprocess_dir`` defaults to ``$PROMETHEUS_MULTIPROC_DIR``; when set, exposition and
    the JSON snapshot aggregate every process writing to that directory (module docstring).
    """

    def __init__(self, *, multiprocess_dir: str | os.PathLike[str] | None = None) -> None:
        self.started_monotonic = time.monotonic()
        self.registry = CollectorRegistry()
        self._instruments: dict[str, Instrument] = {}
        self._lock = threading.Lock()
        self.multiprocess_dir = _multiprocess_dir(multiprocess_dir)
        process = _ProcessCollector(self)
        if self.multiprocess_dir is None:
            self.registry.register(process)
            self._exposed = self.registry
        else:
            self._exposed = CollectorRegistry()
            MultiProcessCollector(self._exposed, path=str(self.multiprocess_dir))  # type: ignore[no-untyped-call]
            self._exposed.register(process)
        self.http_requests = self.counter(
            "http_requests_total", "Total HTTP requests received", HTTP_LABELS
        )
        self.http_request_duration = self.histogram(
            "http_request_duration_seconds", "HTTP request latency in seconds", HTTP_LABELS
        )
        # (method, route template, status) -> both HTTP series, looked up once per request.
        self._http_series: dict[
            tuple[str, str, int], tuple[prometheus_client.Counter, prometheus_client.Histogram]
        ] = {}

    def uptime(self) -> float:
        """Seconds since this registry (the server) started."""
        return time.monotonic() - self.started_monotonic

    def observe_http_request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        """Count one HTTP request and its latency under its route template and status."""
        known = method if method in HTTP_METHODS else "other"
        key = (known, route, status)
        series = self._http_series.get(key)
        if series is None:
            labels = {"method": known, "route": route, "status": status}
            series = self._http_series[key] = (
                self.http_requests._child(labels),
                self.http_request_duration._child(labels),
            )
        count, duration = series
        count.inc()
        duration.observe(seconds)

    def _declare(self, kind: type[Instrument], name: str, labelnames: Sequence[str]) -> Any:
        existing = self._instruments.get(name)
        if existing is None:
            return None
        if type(existing) is not kind or existing.labelnames != tuple(labelnames):
            raise ValueError(f"metric {name} already exists with another type or labels")
        return existing

    def counter(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
        """Get or create a counter; its name ends in ``_total`` (as it is exposed)."""
        if not name.endswith("_total"):
            raise ValueError(f"a counter's name ends in _total: {name!r}")
        with self._lock:
            found: Counter | None = self._declare(Counter, name, labelnames)
            if found is None:
                metric = prometheus_client.Counter(
                    name, documentation, labelnames, registry=self.registry
                )
                found = self._instruments[name] = Counter(name, labelnames, metric)
            return found

    def gauge(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        *,
        multiprocess_mode: GaugeMode = "all",
    ) -> Gauge:
        """Get or create a gauge (``multiprocess_mode``: how workers' values combine)."""
        with self._lock:
            found: Gauge | None = self._declare(Gauge, name, labelnames)
            if found is None:
                metric = prometheus_client.Gauge(
                    name,
                    documentation,
                    labelnames,
                    registry=self.registry,
                    multiprocess_mode=multiprocess_mode,
                )
                found = self._instruments[name] = Gauge(name, labelnames, metric)
            return found

    def histogram(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        buckets: Iterable[float] = DEFAULT_BUCKETS,
    ) -> Histogram:
        """Get or create a histogram (``buckets``: finite upper bounds; +Inf is added)."""
        with self._lock:
            found: Histogram | None = self._declare(Histogram, name, labelnames)
            if found is None:
                metric = prometheus_client.Histogram(
                    name, documentation, labelnames, registry=self.registry, buckets=list(buckets)
                )
                found = self._instruments[name] = Histogram(name, labelnames, metric)
            return found

    def get(self, name: str) -> Instrument | None:
        """A declared instrument by name."""
        with self._lock:
            return self._instruments.get(name)

    def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """The body and content type answering a scrape with this ``Accept`` header
        (Prometheus text 0.0.4 unless OpenMetrics is asked for)."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self._exposed), content_type

    def render_prometheus(self) -> str:
        """All metrics in the Prometheus text exposition format 0.0.4."""
        return generate_latest(self._exposed).decode("utf-8")

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every metric's current values, keyed by exposed name, read from the same
        collectors as the exposition (summed over processes in multiprocess mode)."""
        result: dict[str, dict[str, Any]] = {}
        for family in self._exposed.collect():
            if family.type == "counter":
                name = f"{family.name}_total"
                series = _series(family, name)
                result[name] = {
                    "type": "counter",
                    "total": json_number(sum(value for _, value in series)),
                    "series": [
                        {"labels": labels, "value": json_number(value)} for labels, value in series
                    ],
                }
            elif family.type == "histogram":
                sums = {_label_key(labels): value for labels, value in _series(family, "_sum")}
                result[family.name] = {
                    "type": "histogram",
                    "series": [
                        {
                            "labels": labels,
                            "count": json_number(count),
                            "sum": json_number(sums.get(_label_key(labels), 0.0)),
                        }
                        for labels, count in _series(family, "_count")
                    ],
                }
            elif family.type == "gauge":
                result[family.name] = {
                    "type": "gauge",
                    "series": [
                        {"labels": labels, "value": value}
                        for labels, value in _series(family, family.name)
                    ],
                }
        return result


def _label_key(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def _series(family: Metric, sample_name: str) -> Series:
    """The family's samples called ``sample_name`` (or the family name plus that suffix),
    ordered by their labels."""
    if sample_name.startswith("_"):
        sample_name = family.name + sample_name
    found = [(dict(s.labels), s.value) for s in family.samples if s.name == sample_name]
    return sorted(found, key=lambda item: _label_key(item[0]))
