"""Idle cost: CPU and memory of the production stack while nothing arrives.

What is measured
    The stack the systemd units of deploy/systemd/ run (gunicorn, one Celery worker, Celery beat,
    with the production settings, PostgreSQL and Redis) is started, waited for until /readyz
    answers 200 (a worker reads the stream), left to settle, and then
    watched for a window with no traffic: each process's CPU time (user + system, from
    /proc/<pid>/stat) over the window as a percentage of one core, and its memory as PSS
    (proportional set size, /proc/<pid>/smaps_rollup: pages shared between processes, such as
    those of gunicorn's preloaded workers, are split between them, so the column adds up).
    Budget for the whole stack: <= 0.5 % of a core and <= 300 MB.

    `--stack readme` starts what the README advised before the units existed (gunicorn with
    5 workers, a Celery worker with default options), for comparison in the same run.

How
    The bench database `footfall_bench` (PostgreSQL on 127.0.0.1, created and migrated here),
    Redis DB 2 with a stream of its own; gunicorn on a free port. Every process of each tree
    (gunicorn's arbiter and workers, Celery's main process and pool) is listed; the processes
    present at both ends of the window are measured.

Run
    .venv/bin/python bench/idle.py                  # ready, then settle 20 s, watch 60 s
    .venv/bin/python bench/idle.py --quick          # settle 10 s, watch 20 s
    .venv/bin/python bench/idle.py --stack readme   # the former advice
    .venv/bin/python bench/idle.py --check          # exit 1 when over budget

Results are printed and written to bench/results/idle.json.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/idle.py`: import the project, not bench/ siblings
    _root = str(Path(__file__).resolve().parent.parent)
    sys.path[:] = [_root, *(p for p in sys.path[1:] if p != _root)]

from bench import ROOT, bench_environ, delete_stream, free_port, print_table, setup_django, write_result

NAME = "idle"
BUDGET_CPU_PERCENT = 0.5
BUDGET_PSS_MB = 300.0
VENV_BIN = Path(sys.executable).parent
UNITS = ROOT / "deploy" / "systemd"
TICKS = os.sysconf("SC_CLK_TCK")


def unit_command(unit: str) -> list[str]:
    """The ExecStart of a deploy/systemd unit, with its install directory replaced by this checkout."""
    text = (UNITS / f"footfall-{unit}.service").read_text()
    match = re.search(r"^ExecStart=(.+)$", text, re.MULTILINE)
    assert match is not None, unit
    command = shlex.split(match.group(1).replace("/opt/footfall", str(ROOT)))
    command[0] = str(VENV_BIN / Path(command[0]).name)
    return command


def unit_environment(unit: str) -> dict[str, str]:
    """The Environment= settings of a deploy/systemd unit."""
    text = (UNITS / f"footfall-{unit}.service").read_text()
    return dict(line.split("=", 1) for line in re.findall(r"^Environment=(\S+)$", text, re.MULTILINE))


def commands(stack: str, port: int, workdir: Path) -> dict[str, list[str]]:
    if stack == "units":
        web, worker, beat = unit_command("web"), unit_command("worker"), unit_command("beat")
        web[web.index("--bind") + 1] = f"127.0.0.1:{port}"
        beat[beat.index("--schedule") + 1] = str(workdir / "beat-schedule")
        return {"web": web, "worker": worker, "beat": beat}
    celery = str(VENV_BIN / "celery")
    return {
        "web": [str(VENV_BIN / "gunicorn"), "analytics_site.wsgi", "--workers", "5", "--bind", f"127.0.0.1:{port}"],
        "worker": [celery, "-A", "analytics_site", "worker", "--loglevel", "INFO"],
        "beat": [celery, "-A", "analytics_site", "beat", "--loglevel", "INFO", "--schedule", str(workdir / "beat")],
    }


def children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def process_tree(root: int) -> list[int]:
    tree, found, todo = children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime, stime


def pss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def describe(pid: int) -> str:
    with contextlib.suppress(OSError):
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        text = " ".join(a.decode(errors="replace") for a in args if a)
        return re.sub(r"\S*/\.venv/bin/", "", text)[:60]
    return "?"


@dataclass
class Row:
    role: str
    pid: int
    command: str
    cpu_percent: float
    pss_mb: float


def watch(roots: dict[str, int], seconds: float) -> list[Row]:
    pids = {role: process_tree(pid) for role, pid in roots.items()}
    before = {pid: cpu_ticks(pid) for tree in pids.values() for pid in tree}
    started = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - started
    rows = []
    for role, tree in pids.items():
        for pid in tree:
            start, end = before.get(pid), cpu_ticks(pid)
            if start is None or end is None:
                continue
            cpu = (end - start) / TICKS / elapsed * 100
            rows.append(Row(role, pid, describe(pid), cpu, pss_kb(pid) / 1024))
    return rows


def wait_ready(port: int, timeout: float = 180.0) -> float:
    """Wait until /readyz answers 200 (the database, Redis and a worker reading the stream); return the seconds."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        # 503 (not ready yet) raises HTTPError, an OSError, like a refused connection.
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer,
        ):
            if answer.status == 200:
                return time.monotonic() - started
        time.sleep(0.5)
    raise SystemExit(f"the stack was not ready within {timeout:.0f} s")


def start(stack: str, port: int, workdir: Path, environ: dict[str, str]) -> dict[str, subprocess.Popen[bytes]]:
    started = {}
    for role, command in commands(stack, port, workdir).items():
        log = (workdir / f"{role}.log").open("ab")
        env = {**environ, **(unit_environment(role) if stack == "units" else {})}
        started[role] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return started


def stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", choices=["units", "readme"], default="units")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds before watching")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds watched")
    parser.add_argument("--quick", action="store_true", help="settle 10 s, watch 20 s")
    parser.add_argument("--check", action="store_true", help="exit 1 when over budget")
    args = parser.parse_args(argv)
    settle, seconds = (10.0, 20.0) if args.quick else (args.settle, args.seconds)

    stream = f"footfall:bench:idle:{uuid.uuid4().hex[:8]}"
    setup_django(stream)
    environ = {**os.environ, **bench_environ(stream), "LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryDirectory(prefix="footfall-idle-") as workdir:
        environ["ARCHIVE_STORAGE"] = str(Path(workdir) / "archive")
        port = free_port()
        processes = start(args.stack, port, Path(workdir), environ)
        try:
            ready = wait_ready(port)
            print(f"ready after {ready:.0f} s; settling {settle:.0f} s", flush=True)
            time.sleep(settle)
            dead = {role: p.returncode for role, p in processes.items() if p.poll() is not None}
            if dead:
                for role in dead:
                    print((Path(workdir) / f"{role}.log").read_text()[-2000:])
                raise SystemExit(f"exited before the window: {dead}")
            rows = watch({role: p.pid for role, p in processes.items()}, seconds)
        finally:
            stop(processes)
            delete_stream(stream)

    cpu, pss = sum(r.cpu_percent for r in rows), sum(r.pss_mb for r in rows)
    passed = cpu <= BUDGET_CPU_PERCENT and pss <= BUDGET_PSS_MB
    print(f"\nIdle, stack '{args.stack}', settled {settle:.0f} s, watched {seconds:.0f} s:\n")
    print_table(
        ["role", "pid", "process", "CPU % of a core", "PSS MB"],
        [[r.role, r.pid, r.command, round(r.cpu_percent, 3), round(r.pss_mb, 1)] for r in rows],
    )
    budget = f"budget <= {BUDGET_CPU_PERCENT} % and <= {BUDGET_PSS_MB:.0f} MB"
    print(f"\nall: {cpu:.2f} % of a core, {pss:.0f} MB PSS ({budget})")
    print("pass" if passed else "FAIL")
    write_result(
        NAME,
        {
            "parameters": {"stack": args.stack, "settle_seconds": settle, "seconds": seconds},
            "processes": [r.__dict__ for r in rows],
            "cpu_percent": cpu,
            "pss_mb": pss,
            "budget": {"cpu_percent_at_most": BUDGET_CPU_PERCENT, "pss_mb_at_most": BUDGET_PSS_MB},
            "passed": passed,
        },
    )
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
