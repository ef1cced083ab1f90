"""Ingest throughput: `POST /api/event` requests/s under gunicorn, against a bare Django view.

What is measured
    Requests per second that gunicorn (sync workers, the same number for both) serves for
    a browser pageview/custom-event POST, for two servers started side by side in one run:

    - footfall: the product itself (analytics_site.wsgi, production settings) in Redis
      mode: each request is validated, its site looked up (cached), pseudonymised (visitor
      hash, GeoIP country) and appended to a Redis stream (DB 2, a bench-only key);
    - bare: the same WSGI app and settings with /api/event answered by a view that only
      returns JsonResponse({"ok": True}, status=202) (bench/settings_bare.py,
      bench/bare_urls.py), so the middleware stack and URL resolution are identical.

    The figure that matters is the ratio footfall / bare (budget: >= 0.70): it tells what
    share of a bare Django request's throughput the ingest endpoint keeps, largely
    independent of the machine. The bare view is reached Django's usual way, through the
    whole middleware stack; the product answers its ingest paths ahead of the middleware they
    do not use (tracker/ingest/middleware.py), and that shortcut is part of what is measured.
    Requests/s per core (per second of server CPU time: gunicorn workers and Redis) are
    printed beside it.

How
    The bench database `footfall_bench` (PostgreSQL on 127.0.0.1) is created and migrated
    and a site is registered. Both servers bind to 127.0.0.1 with TRUSTED_PROXY_HOPS=1 and
    the rate limit off. The load generator is wrk (Debian package `wrk`) with a generated Lua
    script posting realistic text/plain bodies (Plausible short field names, ~300 paths,
    several referrers, 20% custom events with props), browser user agents, an Origin header
    and a random client address in X-Forwarded-For, as a reverse proxy would add. Without
    wrk a threaded Python http.client load generator is used instead; it saturates before
    the servers do, so its ratio is only indicative and the budget is reported as not
    checked (--check then fails).

    Each measurement is preceded by a warm-up against the same server; the servers are
    measured alternately (bare, footfall, bare, footfall) for the same duration, and the
    median requests/s of each is reported. The status codes of all responses are counted
    (every one must be 202) and the Redis stream is checked to hold one entry per accepted
    footfall request, then deleted. Worker CPU time per request is read from /proc.

Run
    .venv/bin/python bench/ingest.py            # 10 s per measurement, 2 rounds
    .venv/bin/python bench/ingest.py --quick    # 3 s per measurement
    .venv/bin/python bench/ingest.py --check    # exit 1 when the ratio is under budget

Results are printed and written to bench/results/ingest.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/ingest.py`: import the project, not bench/ siblings
    _root = str(Path(__file__).resolve().parent.parent)
    sys.path[:] = [_root, *(p for p in sys.path[1:] if p != _root)]

from bench import (
    BENCH_REDIS_URL,
    ROOT,
    bench_environ,
    delete_stream,
    ensure_site,
    free_port,
    median,
    print_table,
    relative_to_root,
    setup_django,
    write_result,
)

NAME = "ingest"
BUDGET_RATIO = 0.70
STREAM = "footfall:bench:ingest"
DOMAIN = "bench.footfall.test"
HOST = "127.0.0.1"
FOOTFALL_SETTINGS = "analytics_site.settings.production"
BARE_SETTINGS = "bench.settings_bare"
SERVER_START_TIMEOUT = 60.0
# Hard caps for the fallback Python load generator.
PY_CLIENT_MAX_REQUESTS = 2_000_000

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70",
]
REFERRERS = [
    "",
    "",
    "",
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://t.co/",
    "https://news.ycombinator.com/",
    "https://someones-blog.example.net/2024/a-post",
    f"https://{DOMAIN}/",
    f"https://{DOMAIN}/blog/",
]
SECTIONS = ["blog", "docs", "products", "help", "changelog"]
CUSTOM_EVENTS = [
    ("Signup", '{"plan":"pro","method":"email"}'),
    ("Outbound Link: Click", '{"url":"https://github.com/footfall"}'),
    ("File Download", '{"url":"https://bench.footfall.test/files/guide.pdf"}'),
    ("404", '{"path":"/old-page"}'),
]


def _paths(rng: random.Random, count: int = 300) -> list[str]:
    paths = ["/", "/pricing", "/about", "/contact", "/login", "/signup"]
    while len(paths) < count:
        section = rng.choice(SECTIONS)
        slug = "-".join(
            rng.choice(["fast", "privacy", "analytics", "setup", "guide", "web", "team", "api"]) for _ in range(3)
        )
        query = rng.choice(
            ["", "", "", "?utm_source=newsletter&utm_medium=email&utm_campaign=launch", "?ref=producthunt"]
        )
        paths.append(f"/{section}/{slug}-{len(paths)}{query}")
    return paths


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for this ASCII data


def lua_script(seed: int = 7) -> str:
    """The wrk script: a random realistic event per request, and a count of every status code."""
    rng = random.Random(seed)
    paths = ",\n  ".join(_lua_string(p) for p in _paths(rng))
    agents = ",\n  ".join(_lua_string(a) for a in AGENTS)
    referrers = ",\n  ".join(_lua_string(r) for r in REFERRERS)
    customs = ",\n  ".join(f"{{{_lua_string(n)}, {_lua_string(p)}}}" for n, p in CUSTOM_EVENTS)
    return f"""-- Generated by bench/ingest.py: realistic browser events for POST /api/event.
local domain = {_lua_string(DOMAIN)}
local paths = {{
  {paths}
}}
local agents = {{
  {agents}
}}
local referrers = {{
  {referrers}
}}
local customs = {{
  {customs}
}}
local threads = {{}}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  statuses = {{}}
  math.randomseed(os.time() + thread_id * 7919)
end

local function json_escape(s)
  return (s:gsub('\\\\', '\\\\\\\\'):gsub('"', '\\\\"'))
end

function request()
  local url = "https://" .. domain .. paths[math.random(#paths)]
  local referrer = referrers[math.random(#referrers)]
  local body
  if math.random(100) <= 20 then
    local custom = customs[math.random(#customs)]
    body = string.format('{{"n":"%s","u":"%s","d":"%s","r":"%s","p":%s}}',
      json_escape(custom[1]), json_escape(url), domain, json_escape(referrer), custom[2])
  else
    body = string.format('{{"n":"pageview","u":"%s","d":"%s","r":"%s","w":1440}}',
      json_escape(url), domain, json_escape(referrer))
  end
  local ip = string.format("%d.%d.%d.%d", math.random(1, 223), math.random(0, 255),
    math.random(0, 255), math.random(1, 254))
  local headers = {{
    ["Content-Type"] = "text/plain",
    ["User-Agent"] = agents[math.random(#agents)],
    ["Origin"] = "https://" .. domain,
    ["X-Forwarded-For"] = ip,
  }}
  return wrk.format("POST", "/api/event", headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {{}}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      totals[code] = (totals[code] or 0) + n
    end
  end
  local parts = {{}}
  for code, n in pairs(totals) do
    table.insert(parts, string.format('"%d":%d', code, n))
  end
  io.write("STATUS_COUNTS {{" .. table.concat(parts, ",") .. "}}\\n")
end
"""


# --- servers ----------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    settings_module: str
    port: int
    workers: int
    log_path: Path
    threads: int = 1
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/api/event"

    def start(self, environ: dict[str, str]) -> None:
        env = {**os.environ, **environ, "DJANGO_SETTINGS_MODULE": self.settings_module}
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "analytics_site.wsgi:application",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "gthread" if self.threads > 1 else "sync",
            "--threads",
            str(self.threads),
            "--log-level",
            "warning",
            "--backlog",
            "2048",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited at start:\n{self.log_path.read_text()[-3000:]}")
            try:
                status, _ = http_post(self.port, b"", method="GET")
            except OSError:
                time.sleep(0.2)
                continue
            if status == 405:
                return
            raise RuntimeError(f"{self.name} server answered GET /api/event with {status}, expected 405")
        raise RuntimeError(f"{self.name} server did not start within {SERVER_START_TIMEOUT:.0f} s")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def worker_cpu_seconds(self) -> float | None:
        """utime + stime of the worker processes, from /proc (None where there is no /proc)."""
        pids = self.worker_pids()
        times = [process_cpu_seconds(pid) for pid in pids]
        if not pids or None in times:
            return None
        return sum(t for t in times if t is not None)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # gunicorn's master stops its workers gracefully
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def http_post(port: int, body: bytes, method: str = "POST") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        headers = {"Content-Type": "text/plain", "User-Agent": AGENTS[0], "X-Forwarded-For": "203.0.113.7"}
        conn.request(method, "/api/event", body=body if method == "POST" else None, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def sanity_check(server: Server) -> None:
    body = json.dumps({"n": "pageview", "u": f"https://{DOMAIN}/bench-sanity", "d": DOMAIN}).encode()
    status, answer = http_post(server.port, body)
    if status != 202:
        raise RuntimeError(f"{server.name}: a valid event was answered {status}: {answer[:300]!r}")


# --- load generation ------------------------------------------------------------------------------


@dataclass
class Measurement:
    server: str
    round: int
    seconds: float
    requests: int
    requests_per_second: float
    statuses: dict[str, int]
    non_202: int
    socket_errors: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    # CPU time per measured request: the server's workers, redis-server, the load generator,
    # and the whole machine (every process and the kernel, from /proc/stat). None without /proc.
    cpu_ms_per_request: dict[str, float | None] = field(default_factory=dict)
    generator: str = "wrk"


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def parse_wrk(output: str) -> dict[str, Any]:
    """Pull requests/s, request count, latency percentiles, socket errors and statuses out of wrk."""
    parsed: dict[str, Any] = {"latency_ms": {}, "socket_errors": {}, "statuses": {}}
    if match := re.search(r"Requests/sec:\s+([\d.]+)", output):
        parsed["requests_per_second"] = float(match.group(1))
    if match := re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output):
        parsed["requests"] = int(match.group(1))
        parsed["seconds"] = _ms(match.group(2) + match.group(3)) / 1000
    for percentile, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.MULTILINE):
        parsed["latency_ms"][f"p{percentile}"] = round(_ms(value), 3)
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        parsed["socket_errors"] = dict(
            zip(("connect", "read", "write", "timeout"), map(int, match.groups()), strict=True)
        )
    if match := re.search(r"^STATUS_COUNTS (\{.*\})$", output, re.MULTILINE):
        parsed["statuses"] = {str(k): int(v) for k, v in json.loads(match.group(1)).items()}
    return parsed


def run_wrk(wrk: str, script: Path, server: Server, seconds: float, threads: int, connections: int) -> dict[str, Any]:
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        server.url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr or result.stdout}")
    parsed = parse_wrk(result.stdout)
    if "requests_per_second" not in parsed:
        raise RuntimeError(f"could not read wrk's output:\n{result.stdout}")
    return parsed


def run_python_client(server: Server, seconds: float, connections: int) -> dict[str, Any]:
    """Fallback load generator: `connections` threads posting with http.client, reconnecting as needed."""
    rng = random.Random(11)
    paths = _paths(rng)
    bodies = [
        json.dumps({"n": "pageview", "u": f"https://{DOMAIN}{p}", "d": DOMAIN, "r": rng.choice(REFERRERS)}).encode()
        for p in paths
    ]
    statuses: Counter[str] = Counter()
    errors = Counter[str]()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    per_thread_cap = PY_CLIENT_MAX_REQUESTS // max(1, connections)

    def worker(index: int) -> None:
        local: Counter[str] = Counter()
        local_errors = 0
        conn: http.client.HTTPConnection | None = None
        for sent in range(per_thread_cap):
            if time.monotonic() >= deadline:
                break
            if conn is None:
                conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
            try:
                conn.request(
                    "POST",
                    "/api/event",
                    body=bodies[(index + sent) % len(bodies)],
                    headers={
                        "Content-Type": "text/plain",
                        "User-Agent": AGENTS[(index + sent) % len(AGENTS)],
                        "X-Forwarded-For": f"198.51.{index}.{sent % 250 + 1}",
                    },
                )
                response = conn.getresponse()
                response.read()
                local[str(response.status)] += 1
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                local_errors += 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()
        with lock:
            statuses.update(local)
            errors["read"] += local_errors

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=seconds + 30)
    elapsed = time.monotonic() - started
    total = sum(statuses.values())
    return {
        "requests": total,
        "seconds": elapsed,
        "requests_per_second": total / elapsed if elapsed else 0.0,
        "statuses": dict(statuses),
        "socket_errors": dict(errors),
        "latency_ms": {},
    }


class Load:
    """Runs one timed load against a server with wrk, or with the Python fallback."""

    def __init__(self, threads: int, connections: int, workdir: Path) -> None:
        self.threads = threads
        self.connections = connections
        self.wrk = shutil.which("wrk")
        self.script = workdir / "ingest.lua"
        self.script.write_text(lua_script())

    @property
    def generator(self) -> str:
        return "wrk" if self.wrk else "python-http.client"

    def run(self, server: Server, seconds: float) -> dict[str, Any]:
        if self.wrk:
            return run_wrk(self.wrk, self.script, server, seconds, self.threads, self.connections)
        return run_python_client(server, seconds, self.connections)

    def measure(self, server: Server, seconds: float, round_number: int) -> Measurement:
        before = cpu_counters(server)
        raw = self.run(server, seconds)
        after = cpu_counters(server)
        statuses = raw["statuses"]
        requests = int(raw.get("requests", 0))
        cpu_ms: dict[str, float | None] = {}
        for key in before:
            start, end = before[key], after[key]
            cpu_ms[key] = (
                round((end - start) * 1000 / requests, 3)
                if start is not None and end is not None and requests
                else None
            )
        known = [cpu_ms.get(k) for k in ("workers", "redis", "load_generator")]
        machine = cpu_ms.get("machine")
        if machine is not None and None not in known:
            # Everything else: the kernel's share outside these processes, and any other work on the machine.
            cpu_ms["other"] = round(machine - sum(k for k in known if k is not None), 3)
        return Measurement(
            server=server.name,
            round=round_number,
            seconds=round(float(raw.get("seconds", seconds)), 2),
            requests=requests,
            requests_per_second=round(float(raw["requests_per_second"]), 1),
            statuses=statuses,
            non_202=sum(n for code, n in statuses.items() if code != "202") + max(0, requests - sum(statuses.values())),
            socket_errors=raw.get("socket_errors", {}),
            latency_ms=raw.get("latency_ms", {}),
            cpu_ms_per_request=cpu_ms,
            generator=self.generator,
        )


# --- CPU accounting (Linux /proc; every figure is None elsewhere) ----------------------------------


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of one process, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # fields 14 and 15 of stat


def _proc_stat_ticks() -> list[int] | None:
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    return [int(v) for v in first[1:9]]  # user nice system idle iowait irq softirq steal


def machine_cpu_seconds() -> float | None:
    """Busy time of all CPUs (user, nice, system, irq, softirq), in seconds."""
    ticks = _proc_stat_ticks()
    if ticks is None:
        return None
    return (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]) / os.sysconf("SC_CLK_TCK")


def steal_seconds() -> float | None:
    """CPU time the hypervisor gave to other guests while this one wanted it (noise, not load)."""
    ticks = _proc_stat_ticks()
    return None if ticks is None else ticks[7] / os.sysconf("SC_CLK_TCK")


def redis_server_pid() -> int | None:
    import redis

    client = redis.Redis.from_url(BENCH_REDIS_URL)
    try:
        pid = client.info("server").get("process_id")
    except redis.RedisError:
        return None
    finally:
        client.close()
    return int(pid) if pid and Path(f"/proc/{pid}/stat").exists() else None


_REDIS_PID = -1


def cpu_counters(server: Server) -> dict[str, float | None]:
    global _REDIS_PID
    if _REDIS_PID == -1:
        _REDIS_PID = redis_server_pid() or 0
    # wrk once it has been waited for; the Python fallback generator runs in this process.
    children = resource.getrusage(resource.RUSAGE_CHILDREN if shutil.which("wrk") else resource.RUSAGE_SELF)
    return {
        "workers": server.worker_cpu_seconds(),
        "redis": process_cpu_seconds(_REDIS_PID) if _REDIS_PID else None,
        "load_generator": children.ru_utime + children.ru_stime,
        "machine": machine_cpu_seconds(),
        "steal": steal_seconds(),
    }


# --- the benchmark --------------------------------------------------------------------------------


def stream_length() -> int:
    """Entries in the bench stream's partitions."""
    import redis

    from tracker.connections import partition_streams

    client = redis.Redis.from_url(BENCH_REDIS_URL)
    try:
        return sum(int(client.xlen(stream)) for stream in partition_streams())
    finally:
        client.close()


CPU_COLUMNS = {
    "workers": "cpu workers",
    "redis": "cpu redis",
    "load_generator": "cpu load",
    "other": "cpu other",
    "machine": "cpu machine",
}
# Above this share of the machine's CPU time, something besides the benchmark was busy.
OTHER_CPU_WARNING = 0.15


def per_core_rate(measurements: list[Measurement], server: str) -> float:
    """Requests a second that one core's worth of server CPU time (gunicorn workers and Redis) serves,
    the median over the server's rounds: a figure that does not depend on how many cores there are."""
    rates = []
    for m in measurements:
        cpu_ms = (m.cpu_ms_per_request.get("workers") or 0) + (m.cpu_ms_per_request.get("redis") or 0)
        if m.server == server and cpu_ms > 0:
            rates.append(1000 / cpu_ms)
    return median(rates) if rates else float("nan")


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="short warm-ups and measurements (3 s)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when the ratio is under {BUDGET_RATIO}")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per server (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--server-threads", type=int, default=1, help="threads per gunicorn worker (gthread when > 1; default 1, sync)"
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--rounds", type=int, default=2, help="alternations bare/footfall (default 2)")
    parser.add_argument("--duration", type=float, help="seconds per measurement (default 10, --quick 3)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up before each (default 3, --quick 1)")
    args = parser.parse_args(argv)
    args.duration = args.duration or (3.0 if args.quick else 10.0)
    args.warmup = args.warmup or (1.0 if args.quick else 3.0)
    if not 1 <= args.rounds <= 10 or not 0 < args.duration <= 120 or not 0 < args.warmup <= 60:
        parser.error("rounds must be 1-10, duration at most 120 s and warm-up at most 60 s")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    environ = bench_environ(STREAM, TRUSTED_PROXY_HOPS="1")
    setup_django(STREAM, TRUSTED_PROXY_HOPS="1")
    ensure_site(DOMAIN)
    from django.db import connections

    connections.close_all()
    delete_stream(STREAM)

    measurements: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="footfall-bench-") as tmp:
        workdir = Path(tmp)
        load = Load(args.threads, args.connections, workdir)
        servers = {
            name: Server(name, settings_module, free_port(), args.workers, workdir / f"{name}.log", args.server_threads)
            for name, settings_module in (("bare", BARE_SETTINGS), ("footfall", FOOTFALL_SETTINGS))
        }
        accepted_by_footfall = 0
        try:
            for server in servers.values():
                server.start(environ)
                sanity_check(server)
            accepted_by_footfall += 1  # the sanity event
            print(
                f"load: {load.generator} -t{args.threads} -c{args.connections}, {args.workers} sync workers per "
                f"server, {args.rounds} rounds of {args.warmup:.0f} s warm-up + {args.duration:.0f} s measured"
            )
            for round_number in range(1, args.rounds + 1):
                for name in ("bare", "footfall"):
                    server = servers[name]
                    warm = load.run(server, args.warmup)
                    measurement = load.measure(server, args.duration, round_number)
                    measurements.append(measurement)
                    if name == "footfall":
                        accepted_by_footfall += int(warm["statuses"].get("202", 0)) + measurement.statuses.get("202", 0)
                    print(
                        f"  round {round_number} {name:<8} {measurement.requests_per_second:>9,.1f} req/s "
                        f"({measurement.non_202} not 202)",
                        flush=True,
                    )
        finally:
            for server in servers.values():
                server.stop()
        in_stream = stream_length()
        delete_stream(STREAM)

    bare = [m.requests_per_second for m in measurements if m.server == "bare"]
    footfall = [m.requests_per_second for m in measurements if m.server == "footfall"]
    bare_median, footfall_median = median(bare), median(footfall)
    ratio = footfall_median / bare_median if bare_median else 0.0
    per_core = {server: per_core_rate(measurements, server) for server in ("bare", "footfall")}
    non_202 = sum(m.non_202 for m in measurements)
    # The Python fallback client saturates before the servers do, which flatters the ratio:
    # without wrk the budget is reported as not checked (and --check fails).
    checkable = load.generator == "wrk"
    passed = ratio >= BUDGET_RATIO and non_202 == 0 and checkable

    print()
    nan = float("nan")
    print_table(
        ["server", "round", "req/s", "requests", "not 202", "p50 ms", "p99 ms", *CPU_COLUMNS.values()],
        [
            [
                m.server,
                m.round,
                m.requests_per_second,
                m.requests,
                m.non_202,
                m.latency_ms.get("p50", nan),
                m.latency_ms.get("p99", nan),
                *(_or_nan(m.cpu_ms_per_request.get(key)) for key in CPU_COLUMNS),
            ]
            for m in measurements
        ],
    )
    print("(CPU ms per request: gunicorn workers, redis-server, load generator, anything else, whole machine)")
    busy = [
        m
        for m in measurements
        if max(m.cpu_ms_per_request.get("other") or 0, m.cpu_ms_per_request.get("steal") or 0)
        > OTHER_CPU_WARNING * (m.cpu_ms_per_request.get("machine") or 1)
    ]
    if busy:
        rounds = ", ".join(f"{m.server} {m.round}" for m in busy)
        print(f"WARNING: other work (or hypervisor steal) over {OTHER_CPU_WARNING:.0%} of the CPU in: {rounds}; noisy")
    print()
    print(f"median bare      {bare_median:>10,.1f} req/s")
    print(f"median footfall  {footfall_median:>10,.1f} req/s")
    verdict = ("met" if passed else "MISSED") if checkable else "NOT CHECKED (no wrk: the Python client is the limit)"
    print(f"ratio            {ratio:>10.3f}   budget >= {BUDGET_RATIO:.2f}: {verdict}")
    print(
        f"req/s per core   {per_core['bare']:>10,.1f} bare, {per_core['footfall']:,.1f} footfall"
        " (one core's worth of CPU time in the server: gunicorn workers + redis-server)"
    )
    # wrk stops with up to `connections` requests in flight, which the server may still have accepted.
    in_flight = args.connections * 2 * args.rounds
    stream_ok = accepted_by_footfall <= in_stream <= accepted_by_footfall + in_flight
    print(
        f"stream entries   {in_stream:>10,}   (202s seen from footfall: {accepted_by_footfall:,}, + in flight at stops)"
    )
    if not stream_ok:
        print("WARNING: the stream does not hold one entry per accepted request")
    if non_202:
        print(f"WARNING: {non_202} responses were not 202")

    path = write_result(
        NAME,
        {
            "mode": "redis",
            "quick": args.quick,
            "parameters": {
                "generator": load.generator,
                "wrk_threads": args.threads,
                "connections": args.connections,
                "gunicorn_workers": args.workers,
                "gunicorn_threads": args.server_threads,
                "worker_class": "gthread" if args.server_threads > 1 else "sync",
                "rounds": args.rounds,
                "warmup_seconds": args.warmup,
                "measure_seconds": args.duration,
                "settings": FOOTFALL_SETTINGS,
                "baseline_settings": BARE_SETTINGS,
            },
            "budget": {"ratio_at_least": BUDGET_RATIO},
            "bare_requests_per_second": bare_median,
            "footfall_requests_per_second": footfall_median,
            "ratio": round(ratio, 4),
            "requests_per_second_per_core": per_core,
            "non_202": non_202,
            "stream_entries": in_stream,
            "footfall_202": accepted_by_footfall,
            "stream_matches_202s": stream_ok,
            "passed": passed if checkable else None,
            "measurements": [asdict(m) for m in measurements],
        },
    )
    print(f"written to {relative_to_root(path)}")
    if args.check and not passed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
