#!/usr/bin/env python3
"""replica-watch heartbeats from a Python process: one file, standard library only.

Copy this file into your application. It does what the replica-watch agent does over HTTP,
from a background thread of your own process: every AGENT_INTERVAL_MS it POSTs a heartbeat to
``$AGGREGATOR_URL/api/v1/heartbeats`` (signed with HEARTBEAT_SECRET when that is set), and
when it is stopped it sends the goodbye that tells a scale-down from a crash. The wire format
is docs/heartbeat-protocol.md of replica-watch; this file is one implementation of it.

FastAPI (uvicorn runs the lifespan's end on SIGTERM, so the goodbye goes out)::

    import asyncio
    from contextlib import asynccontextmanager
    from fastapi import FastAPI
    import replica_watch_heartbeat

    @asynccontextmanager
    async def lifespan(app):
        heartbeats = replica_watch_heartbeat.start_from_env()
        yield
        await asyncio.to_thread(heartbeats.stop)  # the goodbye, within ~1.5 s

    app = FastAPI(lifespan=lifespan)

Flask: call ``start_from_env()`` once in the app factory. Django: in ``AppConfig.ready()``.
The goodbye is then sent at interpreter exit (``atexit``), which gunicorn and uWSGI workers
reach on SIGTERM. Several worker processes of one instance elect one sender between them (a
lock file, see ``single_sender``), so the instance is counted once.

As a script, for a demo: ``AGGREGATOR_URL=http://localhost:8080 python3 replica_watch_heartbeat.py``
sends heartbeats until SIGTERM or Ctrl-C, then the goodbye, and exits 0 (2 on a bad
environment; LOG_LEVEL error, warn, info or debug). ``--print-heartbeat`` prints one heartbeat
as it would be sent, and exits.

Variables (the agent's, with its defaults): AGGREGATOR_URL (required), AGGREGATOR_API_TOKEN,
AGENT_INSTANCE_ID (default $HOSTNAME, else the host name), AGENT_APP (default $DO_APP_ID, else
``default``), AGENT_COMPONENT (``backend``), DEPLOYMENT_ID, APP_VERSION, DO_REGION, POD_NAME,
NODE_NAME, HEARTBEAT_SECRET, AGENT_INTERVAL_MS (10000), AGENT_TTL_MS (30000), AGENT_PROBE_URL,
AGENT_PROBE_TIMEOUT_MS (2000, at most half the interval), AGENT_ENABLED (``false`` turns it
off; here it defaults to on, calling start is the opt-in).
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import logging
import math
import os
import platform
import re
import signal
import socket
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

try:  # Unix only; without it every process sends (see single_sender).
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "Config",
    "ConfigError",
    "Heartbeats",
    "canonical_json",
    "config_from_env",
    "signature_of",
    "start_from_env",
]
__version__ = "0.1.0"

log = logging.getLogger("replica_watch")

#: The variables this client reads (all of them the agent's; see the module docstring).
ENV_VARIABLES = (
    "AGENT_ENABLED",
    "AGGREGATOR_URL",
    "AGGREGATOR_API_TOKEN",
    "AGENT_INSTANCE_ID",
    "HOSTNAME",
    "AGENT_APP",
    "DO_APP_ID",
    "AGENT_COMPONENT",
    "DEPLOYMENT_ID",
    "APP_VERSION",
    "DO_REGION",
    "POD_NAME",
    "NODE_NAME",
    "HEARTBEAT_SECRET",
    "AGENT_INTERVAL_MS",
    "AGENT_TTL_MS",
    "AGENT_PROBE_URL",
    "AGENT_PROBE_TIMEOUT_MS",
)

# The wire contract (replica-watch shared/heartbeat-limits.ts): version, path and bounds.
SCHEMA_VERSION = 1
HEARTBEATS_PATH = "/api/v1/heartbeats"
MAX_HEARTBEAT_BYTES = 8 * 1024
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")
LABEL_MAX_LENGTH = 256
PROBE_ERROR_MAX_LENGTH = 512
SIGNATURE_FIELD = "sig"

#: The agent's defaults (replica-watch agent/config.ts AGENT_DEFAULTS).
DEFAULTS = {
    "app": "default",
    "component": "backend",
    "interval_ms": 10_000,
    # Below 100 ms the heartbeat traffic of a fleet costs more than it tells.
    "min_interval_ms": 100,
    # Three intervals: one lost heartbeat is not yet an outage.
    "ttl_ms": 30_000,
    "probe_timeout_ms": 2_000,
    # A send that hangs longer counts as failed; capped by the interval so ticks do not pile up.
    "send_timeout_ms": 5_000,
    # An instance must be gone within 2 s of SIGTERM: time for the last heartbeat and the goodbye.
    "stop_budget_ms": 1_500,
}

# Secrets shorter than this are refused, as the agent refuses them: they redact badly.
_SECRET_MIN_LENGTH = 8


# --------------------------------------------------------------------------------------------
# Configuration


class ConfigError(ValueError):
    """The environment is unusable; ``problems`` names every bad variable (never a secret's value)."""

    def __init__(self, problems: List[str]):
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(
            "invalid configuration (%d problem%s):\n  %s"
            % (count, "" if count == 1 else "s", "\n  ".join(self.problems))
        )


@dataclass(frozen=True)
class Config:
    """What one sender needs, parsed once (see config_from_env). Units are in the names."""

    aggregator_url: str
    instance_id: str
    app: str = DEFAULTS["app"]
    component: str = DEFAULTS["component"]
    api_token: Optional[str] = None
    heartbeat_secret: Optional[str] = None
    deployment_id: Optional[str] = None
    version: Optional[str] = None
    region: Optional[str] = None
    pod_name: Optional[str] = None
    node_name: Optional[str] = None
    interval_ms: int = DEFAULTS["interval_ms"]
    ttl_ms: int = DEFAULTS["ttl_ms"]
    probe_url: Optional[str] = None
    probe_timeout_ms: int = DEFAULTS["probe_timeout_ms"]
    enabled: bool = True

    def __repr__(self) -> str:  # never print the secrets
        return "Config(aggregator_url=%r, app=%r, component=%r, instance_id=%r, signed=%s)" % (
            _mask_url(self.aggregator_url),
            self.app,
            self.component,
            self.instance_id,
            self.heartbeat_secret is not None,
        )


class _EnvReader:
    """Reads typed values, collecting every problem; empty values count as unset."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self.problems: List[str] = []

    def raw(self, name: str) -> Optional[str]:
        value = self.env.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def problem(self, name: str, message: str, secret: bool = False) -> None:
        value = self.raw(name)
        shown = "" if value is None else "=" + ("(hidden)" if secret else json.dumps(_mask_url(value)))
        self.problems.append("%s%s: %s" % (name, shown, message))

    def name(self, name: str, fallback: str) -> str:
        value = self.raw(name)
        if value is None:
            return fallback
        if not NAME_PATTERN.match(value):
            self.problem(name, "must be 1-253 characters of A-Z a-z 0-9 . _ - starting with a letter or digit")
            return fallback
        return value

    def label(self, name: str) -> Optional[str]:
        value = self.raw(name)
        if value is not None and len(value) > LABEL_MAX_LENGTH:
            self.problem(name, "must be at most %d characters" % LABEL_MAX_LENGTH)
            return None
        return value

    def secret(self, name: str) -> Optional[str]:
        value = self.raw(name)
        if value is not None and len(value) < _SECRET_MIN_LENGTH:
            self.problem(name, "must be at least %d characters" % _SECRET_MIN_LENGTH, secret=True)
            return None
        return value

    def integer(self, name: str, fallback: int, minimum: int) -> int:
        value = self.raw(name)
        if value is None:
            return fallback
        if not re.match(r"^-?\d+$", value) or int(value) < minimum or int(value) > 2**53 - 1:
            self.problem(name, "must be an integer from %d to %d" % (minimum, 2**53 - 1))
            return fallback
        return int(value)

    def boolean(self, name: str, fallback: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return fallback
        if value.lower() in ("true", "1", "yes", "on"):
            return True
        if value.lower() in ("false", "0", "no", "off"):
            return False
        self.problem(name, "must be true or false")
        return fallback

    def url(self, name: str) -> Optional[str]:
        value = self.raw(name)
        if value is None:
            return None
        parsed = urllib.parse.urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            self.problem(name, "must be an http:// or https:// URL")
            return None
        return value


def config_from_env(env: Optional[Mapping[str, str]] = None, hostname: Optional[str] = None) -> Config:
    """Parses the agent's variables (os.environ by default); raises one ConfigError naming every bad one.

    ``hostname`` (default socket.gethostname()) is the instance id when neither AGENT_INSTANCE_ID
    nor HOSTNAME is set. AGGREGATOR_URL is required unless AGENT_ENABLED is false.
    """
    read = _EnvReader(os.environ if env is None else env)
    enabled = read.boolean("AGENT_ENABLED", True)
    host = read.raw("HOSTNAME") or hostname or socket.gethostname()
    if read.raw("AGENT_INSTANCE_ID") is None and not NAME_PATTERN.match(host):
        read.problem(
            "AGENT_INSTANCE_ID",
            "is not set and the host name %s is not a valid name (A-Z a-z 0-9 . _ -); set it" % json.dumps(host),
        )
    # The aggregator's AGGREGATOR_APP has the same fallback, so both agree without configuration.
    do_app_id = read.raw("DO_APP_ID")
    app_fallback = do_app_id if do_app_id is not None and NAME_PATTERN.match(do_app_id) else DEFAULTS["app"]

    interval_ms = read.integer("AGENT_INTERVAL_MS", DEFAULTS["interval_ms"], DEFAULTS["min_interval_ms"])
    ttl_ms = read.integer("AGENT_TTL_MS", DEFAULTS["ttl_ms"], 1)
    if ttl_ms <= interval_ms:
        read.problem(
            "AGENT_TTL_MS",
            "must be greater than AGENT_INTERVAL_MS (%d), or every heartbeat expires before the next" % interval_ms,
        )
    # The probe runs before each send, so it must end within the interval.
    probe_timeout_ms = read.integer(
        "AGENT_PROBE_TIMEOUT_MS", min(DEFAULTS["probe_timeout_ms"], interval_ms // 2), 1
    )
    if probe_timeout_ms >= interval_ms:
        read.problem("AGENT_PROBE_TIMEOUT_MS", "must be less than AGENT_INTERVAL_MS (%d)" % interval_ms)

    aggregator_url = read.url("AGGREGATOR_URL")
    if enabled and read.raw("AGGREGATOR_URL") is None:
        read.problem("AGGREGATOR_URL", "is not set: heartbeats have nowhere to go (or set AGENT_ENABLED=false)")

    config = Config(
        enabled=enabled,
        aggregator_url=aggregator_url or "",
        api_token=read.secret("AGGREGATOR_API_TOKEN"),
        heartbeat_secret=read.secret("HEARTBEAT_SECRET"),
        instance_id=read.name("AGENT_INSTANCE_ID", host),
        app=read.name("AGENT_APP", app_fallback),
        component=read.name("AGENT_COMPONENT", DEFAULTS["component"]),
        deployment_id=read.label("DEPLOYMENT_ID"),
        version=read.label("APP_VERSION"),
        region=read.label("DO_REGION"),
        pod_name=read.label("POD_NAME"),
        node_name=read.label("NODE_NAME"),
        interval_ms=interval_ms,
        ttl_ms=ttl_ms,
        probe_url=read.url("AGENT_PROBE_URL"),
        probe_timeout_ms=probe_timeout_ms,
    )
    if read.problems:
        raise ConfigError(read.problems)
    return config


def _mask_url(text: str) -> str:
    """The text with any password inside a URL replaced by ``***``."""
    return re.sub(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]*@", r"\1***@", text, flags=re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# Canonical JSON and the signature (replica-watch shared/signature.ts)


def canonical_json(value: Any, _top_level: bool = True, _skip_sig: bool = True) -> str:
    """The canonical text of a heartbeat: what is signed.

    JSON with the keys of every object sorted by UTF-16 code units, no whitespace, the top-level
    ``sig`` left out, numbers and strings exactly as JavaScript's JSON.stringify writes them
    (so that the aggregator, which re-serializes the JSON it decoded, gets the same text). Plain
    ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` is not enough: it
    writes ``5.0`` where JavaScript writes ``5``, ``1e-07`` for ``1e-7``, ``1e+16`` for
    ``10000000000000000``, ``-0.0`` for ``0``, ``NaN`` for ``null``, sorts keys by code point
    (JavaScript sorts by UTF-16 code unit, which differs past U+FFFF) and cannot encode a lone
    surrogate. Integers beyond ±2**53 are written as the double JavaScript would read them as.
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _js_string(value)
    if isinstance(value, (int, float)):
        return _js_number(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical_json(item, False) for item in value) + "]"
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError("object keys must be strings, not %r" % (key,))
        keys = sorted(value, key=lambda key: key.encode("utf-16-be", "surrogatepass"))
        parts = [
            _js_string(key) + ":" + canonical_json(value[key], False)
            for key in keys
            if not (_top_level and _skip_sig and key == SIGNATURE_FIELD)
        ]
        return "{" + ",".join(parts) + "}"
    raise TypeError("not a JSON value: %r" % (type(value).__name__,))


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _js_string(text: str) -> str:
    # json.dumps escapes exactly what JSON.stringify escapes (", \, control characters; \u00xx in
    # lowercase hex), except lone surrogates: a Python str holds them as characters, which
    # JSON.stringify writes as \udxxx escapes.
    return _LONE_SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group()), json.dumps(text, ensure_ascii=False))


_REPR = re.compile(r"^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$")


def _js_number(number: Any) -> str:
    """A number as ECMAScript's Number::toString writes it (JSON.stringify's form)."""
    if isinstance(number, int):
        if -(2**53) <= number <= 2**53:
            return str(number)
        try:
            number = float(number)
        except OverflowError:
            return "null"  # JavaScript reads it as ±Infinity, which JSON.stringify writes as null
    if not math.isfinite(number):
        return "null"
    if number == 0:
        return "0"  # -0 too
    sign = "-" if number < 0 else ""
    # repr() gives the shortest digits that round-trip, as JavaScript does; only the layout differs.
    match = _REPR.match(repr(abs(number)))
    if match is None:  # pragma: no cover - repr of a finite float always matches
        raise ValueError("unexpected float repr %r" % (number,))
    whole, fraction, exponent = match.group(1), match.group(2) or "", int(match.group(3) or 0)
    digits = whole + fraction
    point = len(whole) + exponent  # the value is 0.<digits> × 10^point
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + text


def signature_of(heartbeat: Mapping[str, Any], secret: str) -> str:
    """Lowercase hex HMAC-SHA256 of the canonical content under the secret (any ``sig`` is ignored)."""
    content = canonical_json(dict(heartbeat)).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), content, hashlib.sha256).hexdigest()


def serialize(heartbeat: Mapping[str, Any]) -> bytes:
    """The wire form: the canonical JSON of the heartbeat, ``sig`` included."""
    return canonical_json(dict(heartbeat), _skip_sig=False).encode("utf-8")


# --------------------------------------------------------------------------------------------
# Stats and the serving probe


def _read(path: str) -> Optional[str]:
    try:
        with open(path, "r", encoding="ascii", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _kib_field(text: Optional[str], field: str) -> Optional[int]:
    """A ``Field:   123 kB`` line of /proc/meminfo or /proc/self/status, in bytes."""
    if text is None:
        return None
    match = re.search(r"^%s:\s+(\d+)\s*kB" % re.escape(field), text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def _arch() -> str:
    machine = platform.machine().lower()
    # Node's names (process.arch), so that the fleet's `platform` values compare.
    return {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64", "i686": "ia32"}.get(
        machine, machine or "unknown"
    )


class StatsSampler:
    """The heartbeat's ``stats``, read from /proc and the cgroup on Linux, with portable fallbacks.

    Host figures (cpu_usage, mem_*, load_avg) are the machine's, as the agent reports them;
    ``container`` holds the cgroup's own limit and use (null when there is no cgroup to read).
    ``rss_bytes`` and ``heap_used_bytes`` are this Python process's: its resident set, and its
    resident anonymous memory (RssAnon: the heap and arenas), Python having no managed-heap figure
    like V8's heapUsed.
    """

    def __init__(self, proc_root: str = "/proc", cgroup_root: str = "/sys/fs/cgroup", disk_path: str = "/"):
        """``proc_root`` and ``cgroup_root`` are where /proc and the cgroup filesystem are (tests point them elsewhere)."""
        self.proc = proc_root
        self.cgroup = cgroup_root
        self.disk_path = disk_path
        self._cpu = self._host_cpu_times()
        self._container_cpu: Optional[Tuple[float, float]] = None
        self._started = time.monotonic()

    def _host_cpu_times(self) -> Optional[Tuple[int, int]]:
        text = _read(os.path.join(self.proc, "stat"))
        if text is None or not text.startswith("cpu "):
            return None
        fields = [int(x) for x in text.split("\n", 1)[0].split()[1:]]
        if len(fields) < 6:
            return None
        user, nice, system, idle, _iowait, irq = fields[:6]
        # What Node's os.cpus() sums (libuv): busy = user + nice + sys + irq; total = busy + idle.
        busy = user + nice + system + irq
        return busy, busy + idle

    def _cpu_usage(self) -> float:
        current = self._host_cpu_times()
        previous, self._cpu = self._cpu, current
        if current is None or previous is None:
            return 0.0
        busy, total = current[0] - previous[0], current[1] - previous[1]
        return min(1.0, max(0.0, busy / total)) if total > 0 else 0.0

    # The container's cgroup, read as the agent reads it (replica-watch agent/cgroup.ts): v2 in the
    # directory the "0::<path>" line of /proc/self/cgroup names, else v1 per controller.

    def _cgroup_lines(self) -> List[Tuple[List[str], str]]:
        text = _read(os.path.join(self.proc, "self", "cgroup")) or ""
        lines = []
        for line in text.splitlines():
            match = re.match(r"^\d+:([^:]*):(.*)$", line)
            if match:
                lines.append((match.group(1).split(","), match.group(2) or "/"))
        return lines

    def _container(self) -> Optional[Dict[str, Any]]:
        root = self.cgroup
        lines = self._cgroup_lines()
        unified = next((path for controllers, path in lines if controllers == [""]), None)
        if unified is not None:
            # In a container the namespace root is the container's own cgroup ("0::/").
            own = os.path.join(root, unified.lstrip("/"))
            for directory in (own, root):
                if _read(os.path.join(directory, "cgroup.controllers")) is not None:
                    return self._cgroup_v2(directory)
        return self._cgroup_v1(root, lines)

    @staticmethod
    def _count(text: Optional[str]) -> Optional[int]:
        if text is None:
            return None
        text = text.strip()
        return int(text) if re.match(r"^\d+$", text) and int(text) <= 2**53 - 1 else None

    def _usage_cores(self, used_us: Optional[float]) -> Optional[float]:
        """Cores the cgroup used since the previous sample; None on the first."""
        if used_us is None:
            return None
        now = time.monotonic()
        previous, self._container_cpu = self._container_cpu, (now, used_us)
        if previous is None or now <= previous[0] or used_us < previous[1]:
            return None
        return (used_us - previous[1]) / ((now - previous[0]) * 1e6)

    def _cgroup_v2(self, directory: str) -> Dict[str, Any]:
        def read(name: str) -> Optional[str]:
            text = _read(os.path.join(directory, name))
            return None if text is None else text.strip()

        memory_max = read("memory.max")
        quota, _, period = (read("cpu.max") or "").partition(" ")
        quota_us = None if quota == "max" else self._count(quota)
        period_us = self._count(period)
        usage = re.search(r"^usage_usec (\d+)$", read("cpu.stat") or "", re.MULTILINE)
        return {
            "cgroup_version": 2,
            "memory_limit_bytes": None if memory_max == "max" else self._count(memory_max),
            "memory_used_bytes": self._count(read("memory.current")),
            "cpu_quota_cores": quota_us / period_us if quota_us is not None and period_us else None,
            "cpu_usage_cores": self._usage_cores(int(usage.group(1)) if usage else None),
        }

    def _cgroup_v1(self, root: str, lines: List[Tuple[List[str], str]]) -> Optional[Dict[str, Any]]:
        def read(controller: str, name: str) -> Optional[str]:
            own = next((path for controllers, path in lines if controller in controllers), "/")
            for directory in (os.path.join(root, controller, own.lstrip("/")), os.path.join(root, controller)):
                text = _read(os.path.join(directory, name))
                if text is not None:
                    return text.strip()
            return None

        limit_text = read("memory", "memory.limit_in_bytes")
        quota_text = read("cpu", "cpu.cfs_quota_us")
        usage_text = read("cpuacct", "cpuacct.usage")
        if limit_text is None and quota_text is None and usage_text is None:
            return None  # no cgroup to read
        # v1 writes "no limit" as a huge number (the page-rounded maximum of a signed 64-bit value).
        unlimited = limit_text is not None and limit_text.isdigit() and int(limit_text) >= 2**60
        limit = None if unlimited else self._count(limit_text)
        quota_us = None if quota_text in (None, "-1") else self._count(quota_text)
        period_us = self._count(read("cpu", "cpu.cfs_period_us"))
        usage_ns = self._count(usage_text)
        return {
            "cgroup_version": 1,
            "memory_limit_bytes": limit,
            "memory_used_bytes": self._count(read("memory", "memory.usage_in_bytes")),
            "cpu_quota_cores": quota_us / period_us if quota_us is not None and period_us else None,
            "cpu_usage_cores": self._usage_cores(usage_ns / 1000 if usage_ns is not None else None),
        }

    def _memory(self) -> Tuple[int, int]:
        meminfo = _read(os.path.join(self.proc, "meminfo"))
        total = _kib_field(meminfo, "MemTotal")
        free = _kib_field(meminfo, "MemAvailable")  # what Node's os.freemem() reads
        if total is None or free is None:
            try:
                page = os.sysconf("SC_PAGE_SIZE")
                total = os.sysconf("SC_PHYS_PAGES") * page
                free = os.sysconf("SC_AVPHYS_PAGES") * page
            except (ValueError, OSError, AttributeError):
                total, free = 0, 0
        return total, free

    def _process_memory(self) -> Tuple[int, int]:
        status = _read(os.path.join(self.proc, "self", "status"))
        rss = _kib_field(status, "VmRSS")
        anon = _kib_field(status, "RssAnon")
        if rss is None:
            try:
                import resource

                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                rss = peak if sys.platform == "darwin" else peak * 1024  # the peak, lacking the current
            except (ImportError, OSError):
                rss = 0
        return rss, anon if anon is not None else rss

    def _uptimes(self) -> Tuple[float, float]:
        uptime_text = _read(os.path.join(self.proc, "uptime"))
        host = float(uptime_text.split()[0]) if uptime_text else time.monotonic()
        process = time.monotonic() - self._started
        stat = _read(os.path.join(self.proc, "self", "stat"))
        if uptime_text and stat:
            try:
                # Field 22 (after the parenthesised name): start time in clock ticks since boot.
                start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
                process = max(0.0, host - start_ticks / os.sysconf("SC_CLK_TCK"))
            except (IndexError, ValueError, OSError):
                pass
        return host, process

    def _disk(self) -> Tuple[Optional[int], Optional[int]]:
        try:
            fs = os.statvfs(self.disk_path)
            # f_bavail, not f_bfree: the space an unprivileged process can still write.
            return fs.f_blocks * fs.f_frsize, fs.f_bavail * fs.f_frsize
        except (OSError, AttributeError):
            return None, None

    def sample(self) -> Dict[str, Any]:
        """One ``stats`` object; never raises for a file it cannot read."""
        try:
            cpu_count = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cpu_count = os.cpu_count() or 1
        try:
            load = list(os.getloadavg())
        except (AttributeError, OSError):
            load = [0.0, 0.0, 0.0]
        total, free = self._memory()
        rss, anon = self._process_memory()
        disk_total, disk_free = self._disk()
        host_uptime, process_uptime = self._uptimes()
        try:
            container = self._container()
        except (OSError, ValueError):
            container = None
        return {
            "cpu_count": cpu_count,
            "cpu_usage": self._cpu_usage(),
            "load_avg": [max(0.0, x) for x in load[:3]],
            "mem_total_bytes": total,
            "mem_free_bytes": free,
            "rss_bytes": rss,
            "heap_used_bytes": anon,
            "disk_total_bytes": disk_total,
            "disk_free_bytes": disk_free,
            "host_uptime_s": host_uptime,
            "process_uptime_s": process_uptime,
            "platform": "%s-%s" % (sys.platform, _arch()),
            "node_version": "python-%s" % platform.python_version(),
            "container": container,
        }


def probe(url: str, timeout_s: float, now_ms: Callable[[], int]) -> Dict[str, Any]:
    """GETs the backend's health URL: the heartbeat's ``serving``. Never raises."""
    started = time.perf_counter()
    status: Optional[int] = None
    error: Optional[str] = None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="GET"), timeout=timeout_s) as response:
            status = response.status
            response.read(64 * 1024)
    except urllib.error.HTTPError as err:
        status = err.code
        err.close()
    except Exception as err:  # noqa: BLE001 - every failure is a result, not an exception
        reason = getattr(err, "reason", err)
        error = _mask_url("%s: %s" % (type(err).__name__, reason))[:PROBE_ERROR_MAX_LENGTH]
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    ok = status is not None and 200 <= status < 300
    if status is not None and not ok:
        error = "unexpected status %d" % status
    return {
        "ok": ok,
        "status": status,
        "latency_ms": latency_ms if status is not None else None,
        "error": error,
        "checked_at": now_ms(),
    }


# --------------------------------------------------------------------------------------------
# The sender


def _epoch_ms() -> int:
    return int(time.time() * 1000)


class SendError(Exception):
    """A heartbeat was not accepted: ``key`` names the failure (for logging it once), ``status`` the HTTP answer."""

    def __init__(self, key: str, message: str, status: Optional[int] = None, reason: Optional[str] = None):
        super().__init__(message)
        self.key = key
        self.status = status
        self.reason = reason


class Heartbeats:
    """Sends the heartbeats of one instance from a daemon thread; ``stop()`` sends the goodbye.

    ``single_sender`` (default True, Unix): the processes of one instance that share its temp
    directory (the workers of gunicorn, uvicorn, uWSGI) elect one sender through an exclusive
    lock on a file; the others stand by and take over, as a new boot, if the sender dies. Without
    it every worker would report the instance as its own boot and the counts would be wrong.
    ``clock`` returns epoch milliseconds.
    """

    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], int] = _epoch_ms,
        sampler: Optional[StatsSampler] = None,
        single_sender: bool = True,
        lock_dir: Optional[str] = None,
    ):
        self.config = config
        self._clock = clock
        self._sampler = sampler
        self._single_sender = single_sender
        self._lock_dir = lock_dir
        url = urllib.parse.urlsplit(config.aggregator_url) if config.aggregator_url else None
        self._headers = {"content-type": "application/json", "user-agent": "replica-watch-python/" + __version__}
        if config.api_token:
            self._headers["authorization"] = "Bearer " + config.api_token
        elif url is not None and (url.username or url.password):
            import base64

            pair = "%s:%s" % (urllib.parse.unquote(url.username or ""), urllib.parse.unquote(url.password or ""))
            self._headers["authorization"] = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
        if url is not None:
            netloc = url.hostname or ""
            if ":" in netloc:
                netloc = "[%s]" % netloc
            if url.port is not None:
                netloc += ":%d" % url.port
            self.endpoint = urllib.parse.urlunsplit(
                (url.scheme, netloc, url.path.rstrip("/") + HEARTBEATS_PATH, "", "")
            )
        else:
            self.endpoint = ""
        self._send_timeout_s = min(DEFAULTS["send_timeout_ms"], config.interval_ms) / 1000
        self._wake = threading.Event()
        self._state = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._stop_called = False
        self._stop_done = threading.Event()
        self._goodbye_sent = False
        self._lock_fd: Optional[int] = None
        self._lock_failed_logged = False
        self._standby_logged = False
        self._failing: Optional[str] = None
        #: The current boot (None until this process is the sender): random per start.
        self.boot_id: Optional[str] = None
        self.started_at: Optional[int] = None
        self._seq = 0
        #: Counters for tests and diagnostics.
        self.sent = 0
        self.failed = 0

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        return self.config.enabled

    @property
    def active(self) -> bool:
        """Whether this process is the instance's sender (it has a boot)."""
        return self.boot_id is not None

    def start(self) -> "Heartbeats":
        """Starts the background thread (the first heartbeat goes out at once). Idempotent."""
        with self._state:
            if self._thread is not None or self._stop_called or not self.config.enabled:
                return self
            if self._sampler is None:
                self._sampler = StatsSampler()
            self._thread = threading.Thread(target=self._run, name="replica-watch-heartbeats", daemon=True)
            self._thread.start()
        return self

    def stop(self, budget_s: float = DEFAULTS["stop_budget_ms"] / 1000) -> bool:
        """Stops the loop and sends the goodbye within ``budget_s``; True when it was accepted.

        Idempotent and thread-safe: later calls wait for the first and return its result.
        """
        with self._state:
            first = not self._stop_called
            self._stop_called = True
        if not first:
            self._stop_done.wait(budget_s)
            return self._goodbye_sent
        try:
            deadline = time.monotonic() + budget_s
            self._wake.set()
            thread = self._thread
            if thread is not None and thread is not threading.current_thread():
                # The goodbye must follow the last heartbeat, or that heartbeat would re-register the instance.
                thread.join(budget_s / 3)
            if self.active:
                goodbye = self._build("goodbye", None, None)
                try:
                    self._post(goodbye, max(0.05, deadline - time.monotonic()))
                    self._goodbye_sent = True
                    log.info("goodbye sent", extra={"fields": {"seq": goodbye["seq"]}})
                except SendError as err:
                    log.warning(
                        "goodbye not sent: the aggregator will see this instance expire instead",
                        extra={"fields": {"err": str(err)}},
                    )
            return self._goodbye_sent
        finally:
            self._stop_done.set()

    # -- the loop ----------------------------------------------------------------------------

    def _run(self) -> None:
        interval_s = self.config.interval_ms / 1000
        next_at = time.monotonic()
        while not self._wake.is_set():
            try:
                if self._elect():
                    self.tick()
            except Exception:  # noqa: BLE001 - the loop must outlive any one tick
                log.exception("heartbeat loop failed; trying again next interval")
            next_at += interval_s
            delay = next_at - time.monotonic()
            if delay < 0:  # a slow tick: start again from now rather than send a burst
                next_at, delay = time.monotonic(), 0.0
            self._wake.wait(delay)

    def _elect(self) -> bool:
        """Whether this process sends: it is the sender already, or takes the lock now."""
        if self.active:
            return True
        if self._single_sender and fcntl is not None:
            name = "replica-watch-%s-%s-%s.lock" % (self.config.app, self.config.component, self.config.instance_id)
            path = os.path.join(self._lock_dir or tempfile.gettempdir(), name)
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as err:
                if not self._lock_failed_logged:
                    self._lock_failed_logged = True
                    log.warning(
                        "cannot open the sender lock; sending without it",
                        extra={"fields": {"path": path, "err": str(err)}},
                    )
                fd = None
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(fd)
                    if not self._standby_logged:
                        self._standby_logged = True
                        log.info(
                            "standing by: another process of this instance sends its heartbeats",
                            extra={"fields": {"instance_id": self.config.instance_id}},
                        )
                    return False
                # Held until this process exits (never released on stop: a standby taking over
                # after the goodbye would bring the instance back).
                self._lock_fd = fd
                try:  # who holds it, for a person looking
                    os.ftruncate(fd, 0)
                    os.write(fd, str(os.getpid()).encode("ascii"))
                except OSError:
                    pass
        with self._state:
            if self._stop_called:
                return False
            self.boot_id = str(uuid.uuid4())
            self.started_at = self._clock()
            self._seq = 0
        log.info(
            "heartbeats started",
            extra={
                "fields": {
                    "instance_id": self.config.instance_id,
                    "app": self.config.app,
                    "component": self.config.component,
                    "boot_id": self.boot_id,
                    "endpoint": _mask_url(self.endpoint),
                    "signed": self.config.heartbeat_secret is not None,
                    "interval_ms": self.config.interval_ms,
                }
            },
        )
        if self.config.heartbeat_secret is None:
            log.warning(
                "HEARTBEAT_SECRET is not set: heartbeats are unauthenticated, and anyone who can reach "
                "the ingest endpoint can forge them"
            )
        return True

    def tick(self) -> None:
        """Probes, samples and sends one heartbeat (the loop calls it every interval). Never raises."""
        try:
            serving = None
            if self.config.probe_url:
                serving = probe(self.config.probe_url, self.config.probe_timeout_ms / 1000, self._clock)
            stats = self._sampler.sample() if self._sampler else None
            heartbeat = self._build("heartbeat", stats, serving)
            self._post(heartbeat, self._send_timeout_s)
        except SendError as err:
            self.failed += 1
            if self._failing != err.key:
                self._failing = err.key
                log.warning("heartbeat not accepted", extra={"fields": {"err": str(err), "status": err.status}})
            return
        except Exception as err:  # noqa: BLE001 - the loop must survive anything
            self.failed += 1
            if self._failing != "internal":
                self._failing = "internal"
                log.exception("heartbeat failed", extra={"fields": {"err": _mask_url(str(err))}})
            return
        self.sent += 1
        if self._failing is not None:
            log.info("heartbeats accepted again", extra={"fields": {"after": self._failing}})
            self._failing = None

    # -- building and sending ----------------------------------------------------------------

    def preview(self) -> Dict[str, Any]:
        """A heartbeat as the next tick would send it (signed when there is a secret), not sent."""
        with self._state:
            if self.boot_id is None:
                self.boot_id, self.started_at = str(uuid.uuid4()), self._clock()
        stats = self._sampler.sample() if self._sampler else None
        return self._build("heartbeat", stats, None)

    def _build(self, kind: str, stats: Optional[Dict[str, Any]], serving: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        config = self.config
        with self._state:
            seq = self._seq
            self._seq += 1
        heartbeat: Dict[str, Any] = {
            "v": SCHEMA_VERSION,
            "type": kind,
            "app": config.app,
            "component": config.component,
            "instance_id": config.instance_id,
            "deployment_id": config.deployment_id,
            "version": config.version,
            "region": config.region,
            "pod_name": config.pod_name,
            "node_name": config.node_name,
            "boot_id": self.boot_id,
            "seq": seq,
            "sent_at": self._clock(),
            "started_at": self.started_at,
            "interval_ms": config.interval_ms,
            "ttl_ms": config.ttl_ms,
            "serving": serving,
            "stats": stats,
        }
        if config.heartbeat_secret:
            heartbeat[SIGNATURE_FIELD] = signature_of(heartbeat, config.heartbeat_secret)
        return heartbeat

    def _post(self, heartbeat: Mapping[str, Any], timeout_s: float) -> str:
        """POSTs one heartbeat; returns the registry's outcome, raises SendError otherwise."""
        body = serialize(heartbeat)
        request = urllib.request.Request(self.endpoint, data=body, headers=self._headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                answer = _json_or_none(response.read(64 * 1024))
                return str((answer or {}).get("outcome", "accepted"))
        except urllib.error.HTTPError as err:
            answer = _json_or_none(err.read(64 * 1024))
            err.close()
            reason = (answer or {}).get("reason")
            detail = (answer or {}).get("detail") or (answer or {}).get("error") or ""
            if err.code == 401:
                message = (
                    "aggregator answered 401: set AGGREGATOR_API_TOKEN to its token, or HEARTBEAT_SECRET to its secret"
                )
            elif err.code == 429:
                message = "aggregator answered 429 (INGEST_RATE_LIMIT_PER_S); retry-after %s s" % err.headers.get(
                    "retry-after", "?"
                )
            else:
                message = "aggregator answered %d%s%s" % (
                    err.code,
                    " %s" % reason if reason else "",
                    ": %s" % detail if detail else "",
                )
            raise SendError("http %d %s" % (err.code, reason or ""), _mask_url(message), err.code, reason) from None
        except (urllib.error.URLError, OSError, ValueError) as err:
            reason = getattr(err, "reason", err)
            message = "aggregator unreachable at %s: %s" % (_mask_url(self.endpoint), _mask_url(str(reason)))
            raise SendError("network", message) from None


def _json_or_none(raw: bytes) -> Optional[Dict[str, Any]]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def start_from_env(
    env: Optional[Mapping[str, str]] = None,
    *,
    goodbye_at_exit: bool = True,
    single_sender: bool = True,
) -> Heartbeats:
    """Parses the environment and starts sending; the usual entry point from a web app.

    Returns the sender (``stop()`` sends the goodbye). With AGENT_ENABLED=false it returns one
    that never sends, so ``stop()`` is always safe to call. A bad environment raises ConfigError
    naming every bad variable: fail the start-up rather than run unobserved. With
    ``goodbye_at_exit`` the goodbye is also sent at interpreter exit, for servers whose shutdown
    hook is not at hand (Flask, Django under gunicorn or uWSGI).
    """
    env = os.environ if env is None else env
    config = config_from_env(env)
    heartbeats = Heartbeats(config, single_sender=single_sender)
    if not config.enabled:
        log.info("replica-watch heartbeats are off (AGENT_ENABLED=false)")
        return heartbeats
    heartbeats.start()
    if goodbye_at_exit:
        atexit.register(heartbeats.stop)
    return heartbeats


# --------------------------------------------------------------------------------------------
# Script mode


class _JsonLines(logging.Formatter):
    """One JSON object a line, like the agent's own log."""

    def format(self, record: logging.LogRecord) -> str:
        line: Dict[str, Any] = {
            "level": record.levelname.lower().replace("warning", "warn"),
            "message": record.getMessage(),
            "service": "replica-watch-python",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + ".%03dZ" % record.msecs,
        }
        line.update(getattr(record, "fields", {}))
        return json.dumps(line, ensure_ascii=False)


def main(argv: Optional[List[str]] = None) -> int:
    """Sends heartbeats until SIGTERM or SIGINT, then the goodbye. Exit codes: 0, 2 bad environment."""
    args = sys.argv[1:] if argv is None else argv
    if "-h" in args or "--help" in args:
        print(__doc__)
        return 0
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_JsonLines())
    log.addHandler(handler)
    levels = {"error": logging.ERROR, "warn": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}
    log.setLevel(levels.get(os.environ.get("LOG_LEVEL", "info").strip().lower(), logging.INFO))
    log.propagate = False
    try:
        config = config_from_env()
    except ConfigError as err:
        log.error("invalid configuration", extra={"fields": {"problems": err.problems}})
        return 2
    if "--print-heartbeat" in args:
        sampler = StatsSampler()
        time.sleep(0.1)  # so that cpu_usage measures something
        heartbeats = Heartbeats(config, sampler=sampler, single_sender=False)
        sys.stdout.write(serialize(heartbeats.preview()).decode("utf-8") + "\n")
        return 0
    if not config.enabled:
        log.info("replica-watch heartbeats are off (AGENT_ENABLED=false)")
        return 0
    stopping = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    heartbeats = Heartbeats(config).start()
    while not stopping.wait(0.5):
        pass
    heartbeats.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
