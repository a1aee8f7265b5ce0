"""`kpy logs -f` over many pods: lag and peak RSS while every pod writes a steady stream (bench/logs.py --follow).

N pods labelled app=flood each write RATE lines a second (the emulator appends them on its loop, every 10 ms,
each line ending in the wall-clock nanoseconds it was written at); `kpy logs -f -l app=flood --max-streams N`
prints them to a pipe this process reads. Every block read gives one lag sample (now minus the stamp of its
last line). Reported: lines received vs written, the median and 95th percentile lag in the first and in the
last 10 s (no growth: the last window's median is not above the first's by more than the noise), and kpy's
peak RSS (VmHWM). Targets (issue 18): no lag growth over 60 s, peak RSS < 100 MiB.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import threading
import time
from typing import Any

from _common import ensure_bytecode, kpy_exe, kubectl_exe, print_table

TICK = 0.01


def _vm_hwm_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def follow_bench(pods: int, rate: int, seconds: float) -> None:
    ensure_bytecode()
    kubectl = kubectl_exe()
    tools = {"kpy": [kpy_exe(), "logs", "-f", "-l", "app=flood", "--tail", "0", "--max-streams", str(pods)]}
    if kubectl is not None:
        tools["kubectl"] = [kubectl, "logs", "-f", "-l", "app=flood", "--tail", "0", "--prefix"]
        tools["kubectl"] += ["--max-log-requests", str(pods)]
    results = {tool: _run(argv, pods, rate, seconds) for tool, argv in tools.items()}
    ours, ref = results["kpy"], results.get("kubectl")
    rows = []
    for label, key, unit in [
        ("lines received / written", "received", "%"),
        ("lag median, s 5-15", "lag_first", "ms"),
        ("lag median, last 10 s", "lag_last", "ms"),
        ("lag p95, last 10 s", "p95_last", "ms"),
        ("client CPU per s", "cpu", "s"),
        ("peak RSS", "rss", "MiB"),
    ]:
        kpy_value, ref_value = ours[key], ref[key] if ref else float("nan")
        ratio = kpy_value / ref_value if ref_value else float("nan")
        target = {"lag_last": "no growth", "rss": "< 100 MiB", "received": "100 %"}.get(key, "")
        rows.append((label, f"{kpy_value:.2f} {unit}", f"{ref_value:.2f} {unit}", f"{ratio:.2f}", target))
    print_table(f"kpy logs -f vs kubectl logs -f, {pods} pods x {rate} lines/s, {seconds:.0f} s each", rows)


def _run(argv: list[str], pods: int, rate: int, seconds: float) -> dict[str, float]:
    from kpy.testing import EmulatorThread

    with EmulatorThread() as thread:
        em = thread.emulator
        names = [f"flood-{i:02d}" for i in range(pods)]

        def arrange() -> None:
            for name in names:
                spec = {"containers": [{"name": "c", "image": "x"}]}
                em.api.create(
                    em.logs.pods,
                    "default",
                    {"metadata": {"name": name, "labels": {"app": "flood"}}, "spec": spec},
                )
                em.logs.run_pod("default", name)

        thread.call(arrange)
        state: dict[str, Any] = {"stop": False, "written": 0, "late_ticks": 0}

        async def writer() -> None:
            start = time.monotonic()
            done = 0  # lines per pod so far
            pad = "x" * 60
            while not state["stop"]:
                due = int((time.monotonic() - start) * rate)
                if due > done:
                    if due - done > rate * TICK * 2:
                        state["late_ticks"] += 1
                    stamp = time.time_ns()
                    lines = [f"{pad} {done + k} {stamp}" for k in range(due - done)]
                    for name in names:
                        em.logs.append("default", name, "c", *lines)
                    state["written"] += len(lines) * pods
                    done = due
                await asyncio.sleep(TICK)

        env = {**os.environ, "KUBECONFIG": str(thread.kubeconfig_path), "NO_COLOR": "1"}
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout is not None
        samples: list[tuple[float, float]] = []  # (seconds since start, lag in ms)
        received = 0

        def following() -> int:
            return sum(1 for name in names if em.logs.containers[("default", name, "c")].streams)

        deadline = time.monotonic() + 60
        while thread.call(following) < pods and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)  # every stream open before the first line: none is missed by --tail 0
        started = time.monotonic()
        thread.call(lambda: [asyncio.get_running_loop().create_task(writer())])

        def read() -> None:
            nonlocal received
            fd = proc.stdout.fileno()  # type: ignore[union-attr]
            tail = b""
            while True:
                block = os.read(fd, 1 << 20)
                if not block:
                    return
                received += block.count(b"\n")
                block = tail + block
                end = block.rfind(b"\n")
                if end < 0:
                    tail = block
                    continue
                last = block[block.rfind(b"\n", 0, end) + 1 : end]
                tail = block[end + 1 :]
                stamp = last.rsplit(b" ", 1)[-1]
                if stamp.isdigit():
                    samples.append((time.monotonic() - started, (time.time_ns() - int(stamp)) / 1e6))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        while time.monotonic() - started < seconds and proc.poll() is None:
            time.sleep(0.5)
        state["stop"] = True
        rss = _vm_hwm_kib(proc.pid) if proc.poll() is None else 0
        cpu = _cpu_seconds(proc.pid) if proc.poll() is None else float("nan")
        time.sleep(1.0)  # let the last lines arrive before counting
        proc.terminate()
        proc.wait(10)
        reader.join(10)

    def window(lo: float, hi: float) -> tuple[float, float]:
        lags = sorted(lag for t, lag in samples if lo <= t < hi)
        if not lags:
            return float("nan"), float("nan")
        return statistics.median(lags), lags[int(len(lags) * 0.95)]

    first, last = window(5.0, 15.0), window(seconds - 10.0, seconds)
    return {
        "received": 100 * received / max(1, state["written"]),
        "lag_first": first[0],
        "lag_last": last[0],
        "p95_last": last[1],
        "cpu": cpu / seconds,
        "rss": rss / 1024,
    }
