"""`kpy events record` throughput and request count, `kpy events tail` speed and memory, against the emulator.

Run: .venv/bin/python bench/events.py [--quick] [--record N] [--tail N] [--runs R] [--only-tail]

record — N input events, 50% of them repeats of an earlier one (same object, reason and message), spread over
N/10 pods (10 inputs per pod, below the spam filter's burst of 25, one reason per distinct event so nothing is
aggregated). Measured through the whole pipeline (Recorder → Broadcaster → Correlator → BufferedSink → API
writer) into the emulator:
  * the CLI, `kpy events record --from-file FILE` in a subprocess (wall time includes start-up and resolving
    each pod), and
  * the library in-process (`RecordPipeline` + `ApiEventWriter` over a `RestClient`, refs built directly).
API requests are counted from the emulator's request log: event writes (POST/PATCH of events) and everything
(discovery, the GET of each pod). Targets: >= 2,000 events/s; event writes <= distinct events.

Client-side throttling: kpy, like client-go/kubectl, limits every client to 5 QPS / burst 10 unless --qps/--burst
are given. At 5 QPS no event recorder gets near 2,000 events/s (kubelet, for instance, gives its event client
its own --event-qps/--event-burst). So the bench runs the CLI the way a bulk user would, with
`--qps 5000 --burst 5000` (a kubectl-like flow passes --qps/--burst), and also shows one small run at the
defaults to make the cost of the default visible. The in-process run uses qps=-1 (client-go: no limiter).

tail — a namespace of N events (loaded with `emulator.create_object` on the emulator's loop, not over HTTP),
printed by `kpy events tail --no-watch -n NS` (table) and `-o json`, stdout to /dev/null, against
`kubectl events -n NS` and `kubectl get events -n NS -o json` in the same run (ratios kpy/kubectl; < 1 is
faster). Peak RSS of kpy at N and N/10 events: the growth for 10× the events must stay far below 10×.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from _common import ensure_bytecode, kpy_exe, kubectl_exe, peak_rss_kib, print_table

EVENT_PATHS = "/events"


# -- inputs ------------------------------------------------------------------------------------------------
def record_lines(count: int, lag: int = 100) -> tuple[list[dict[str, str]], int]:
    """``count`` inputs, half of them repeats of the input ``lag`` distinct events earlier. Returns (inputs,
    number of distinct events)."""
    distinct = count // 2

    def item(i: int) -> dict[str, str]:
        return {
            "for": f"pod/p-{i // 5:05d}",
            "type": "Warning" if i % 7 == 0 else "Normal",
            "reason": f"Reason{i % 5}",
            "message": f"event {i} happened",
        }

    order: list[int] = []
    for i in range(distinct):
        order.append(i)
        if i >= lag:
            order.append(i - lag)
    order.extend(range(max(0, distinct - lag), distinct))
    return [item(i) for i in order], distinct


def stored_event(namespace: str, i: int) -> dict[str, Any]:
    base = 1_700_000_000 + i
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base))
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"pod-{i % 997:04d}.{base:x}{i:06d}", "namespace": namespace},
        "involvedObject": {
            "kind": "Pod",
            "name": f"pod-{i % 997:04d}",
            "namespace": namespace,
            "apiVersion": "v1",
            "uid": f"00000000-0000-0000-0000-{i % 997:012d}",
        },
        "reason": ("Pulled", "Created", "Started", "BackOff")[i % 4],
        "message": f'Container image "registry.k8s.io/app:{i % 13}" already present on machine ({i})',
        "source": {"component": "kubelet", "host": f"node-{i % 20}"},
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1 + i % 3,
        "type": "Warning" if i % 4 == 3 else "Normal",
        "reportingComponent": "kubelet",
        "reportingInstance": f"node-{i % 20}",
    }


def seed_events(thread: Any, namespace: str, count: int) -> None:
    em = thread.emulator

    async def create() -> None:
        await em.create_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        for i in range(count):
            await em.create_object(stored_event(namespace, i))

    thread.call(create)


def write_requests(em: Any, start: int) -> tuple[int, int]:
    """(event writes, all requests) in the emulator's log since index ``start``."""
    log = em.requests[start:]
    writes = sum(1 for r in log if r.method in ("POST", "PATCH") and EVENT_PATHS in r.path)
    return writes, len(log)


def stored_counts(thread: Any, namespace: str) -> tuple[int, int]:
    """(events stored, sum of their counts) in ``namespace``."""
    em = thread.emulator

    def read() -> tuple[int, int]:
        items = em.store.list(("", "events"), namespace)
        return len(items), sum(int(o.get("count") or 1) for o in items)

    result: tuple[int, int] = thread.call(read)
    return result


# -- record ------------------------------------------------------------------------------------------------
def bench_record_cli(
    thread: Any, env: dict[str, str], count: int, namespace: str, qps: list[str]
) -> tuple[float, int, int, int, str]:
    """Returns (wall, event writes, all requests, distinct, summary)."""
    inputs, distinct = record_lines(count)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as fh:
        fh.writelines(json.dumps({**i, "namespace": namespace}) + "\n" for i in inputs)
        path = fh.name
    try:
        em = thread.emulator
        start = len(em.requests)
        argv = [kpy_exe(), "events", "record", "--from-file", path, *qps]
        t0 = time.perf_counter()
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"record failed ({proc.returncode}): {proc.stderr}")
        writes, total = write_requests(em, start)
        return wall, writes, total, distinct, proc.stderr.strip().splitlines()[-1]
    finally:
        os.unlink(path)


def bench_record_lib(thread: Any, count: int, namespace: str) -> tuple[float, int, int, int, str]:
    from kpy.config import ConnectionFlags, load_client_config
    from kpy.events import EventSource, ObjectRef, RecordPipeline
    from kpy.events.api import ApiEventWriter
    from kpy.events.sink import SinkOptions
    from kpy.rest import RestClient

    inputs, distinct = record_lines(count)
    refs = {i["for"]: ObjectRef("Pod", i["for"].split("/")[1], namespace) for i in inputs}
    em = thread.emulator

    async def run() -> tuple[float, str]:
        config = load_client_config(
            ConnectionFlags(kubeconfig=str(thread.kubeconfig_path), qps=-1.0), env={"HOME": "/nonexistent"}
        )
        async with RestClient(config) as client:
            await client.get_json("/version")  # connect before timing
            t0 = time.perf_counter()
            pipeline = RecordPipeline(
                ApiEventWriter(client),
                sink_options=SinkOptions(max_batch_wait=1.0),
                source=EventSource("bench", "bench-host"),
            )
            async with pipeline:
                for i in inputs:
                    await pipeline.record(refs[i["for"]], i["type"], i["reason"], i["message"])
            return time.perf_counter() - t0, pipeline.stats.summary()

    start = len(em.requests)
    wall, summary = asyncio.run(run())
    writes, total = write_requests(em, start)
    return wall, writes, total - 1, distinct, summary


# -- tail --------------------------------------------------------------------------------------------------
def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child): the CPU time is the client's own work, without the server's."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(argv)}\n{proc.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def output_lines(argv: list[str], env: dict[str, str]) -> int:
    out = subprocess.run(argv, env=env, capture_output=True, check=True).stdout
    return out.count(b"\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small run: 2,000 record inputs, 5,000/500 tail")
    parser.add_argument("--record", type=int, default=20_000, help="record inputs (half repeats)")
    parser.add_argument("--tail", type=int, default=50_000, help="events in the tail namespace")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only-tail", action="store_true", help="skip the record part")
    args = parser.parse_args()
    if args.quick:
        args.record, args.tail, args.runs = 2_000, 5_000, 1
    kubectl = kubectl_exe()
    from kpy.testing import EmulatorThread

    ensure_bytecode()
    with EmulatorThread(seed=True, history_window=1000) as thread:
        home = tempfile.mkdtemp(prefix="kpy-bench-home-")  # a cold, private discovery cache
        env = {**os.environ, "KUBECONFIG": str(thread.kubeconfig_path), "HOME": home, "NO_COLOR": "1"}
        env.pop("KUBERNETES_SERVICE_HOST", None)
        em = thread.emulator
        for ns in ("rec-cli", "rec-lib", "rec-default"):
            thread.call(em.create_object, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})

        # ---- record
        if not args.only_tail:
            rows: list[tuple[str, str, str, str, str]] = []

            def add(
                label: str,
                wall: float,
                inputs: int,
                writes: int,
                total: int,
                distinct: int,
                stored: tuple[int, int],
                summary: str,
                *,
                rate_target: bool = True,
            ) -> None:
                rate = inputs / wall
                rows.append(
                    (
                        label,
                        f"{rate:,.0f} ev/s ({wall:.2f} s)",
                        ">= 2,000 ev/s" if rate_target else "-",
                        ("yes" if rate >= 2000 else "NO") if rate_target else "-",
                        "",
                    )
                )
                rows.append(
                    (
                        "  event writes (POST+PATCH) / distinct events",
                        f"{writes} / {distinct}",
                        "<= distinct",
                        "yes" if writes <= distinct else "NO",
                        f"{writes / inputs * 1000:.0f} writes per 1,000 inputs",
                    )
                )
                rows.append(
                    (
                        "  all requests (discovery, pod GETs too)",
                        str(total),
                        "",
                        "",
                        f"{total / inputs * 1000:.0f} per 1,000 inputs",
                    )
                )
                rows.append(
                    (
                        "  stored events / sum of their counts",
                        f"{stored[0]} / {stored[1]}",
                        f"{distinct} / {inputs}",
                        "yes" if stored == (distinct, inputs) else "NO",
                        summary,
                    )
                )

            wall, writes, total, distinct, summary = bench_record_cli(
                thread, env, args.record, "rec-cli", ["--qps", "5000", "--burst", "5000"]
            )
            add(
                f"CLI --from-file, --qps 5000 --burst 5000, {args.record} inputs",
                wall,
                args.record,
                writes,
                total,
                distinct,
                stored_counts(thread, "rec-cli"),
                summary.removeprefix("events: "),
            )
            wall, writes, total, distinct, summary = bench_record_lib(thread, args.record, "rec-lib")
            add(
                f"library in-process, qps -1, {args.record} inputs",
                wall,
                args.record,
                writes,
                total,
                distinct,
                stored_counts(thread, "rec-lib"),
                summary,
            )
            small = 40
            wall, writes, total, distinct, summary = bench_record_cli(thread, env, small, "rec-default", [])
            add(
                f"CLI at the defaults (5 QPS, burst 10), {small} inputs",
                wall,
                small,
                writes,
                total,
                distinct,
                stored_counts(thread, "rec-default"),
                summary.removeprefix("events: "),
                rate_target=False,
            )
            print_table(
                "kpy events record into the emulator (50% of inputs repeat an earlier one)",
                rows,
                header=("measurement", "kpy", "target", "met", "detail"),
            )

        # ---- tail
        big, small_n = args.tail, args.tail // 10
        seed_events(thread, "tail-big", big)
        seed_events(thread, "tail-small", small_n)
        rows = []
        for label, kpy_args, kubectl_args in (
            ("table", [], ["events"]),
            ("json", ["-o", "json"], ["get", "events", "-o", "json"]),
        ):
            kpy_argv = [kpy_exe(), "events", "tail", "--no-watch", "-n", "tail-big", *kpy_args]
            ref_argv = None if kubectl is None else [kubectl, *kubectl_args, "-n", "tail-big"]
            if label == "table":
                got = output_lines(kpy_argv, env)
                if got != big + 1:
                    raise SystemExit(f"kpy printed {got} lines for {big} events")
            walls: dict[str, list[float]] = {"kpy": [], "kubectl": []}
            cpus: dict[str, list[float]] = {"kpy": [], "kubectl": []}
            for _ in range(args.runs):  # interleaved, so drift hits both tools alike
                for tool, argv in (("kpy", kpy_argv), ("kubectl", ref_argv)):
                    if argv is not None:
                        wall, cpu = timed(argv, env)
                        walls[tool].append(wall)
                        cpus[tool].append(cpu)
            k, r = (statistics.median(walls[t]) if walls[t] else float("nan") for t in ("kpy", "kubectl"))
            kc, rc = (statistics.median(cpus[t]) if cpus[t] else float("nan") for t in ("kpy", "kubectl"))
            rows.append(
                (
                    f"tail --no-watch {label}, {big} events: wall",
                    f"{big / k:,.0f} ev/s ({k:.2f} s)",
                    f"{big / r:,.0f} ev/s ({r:.2f} s)",
                    f"{k / r:.2f}",
                    "<= 1.0",
                )
            )
            rows.append(
                (
                    "  client CPU (user+sys, without the server)",
                    f"{big / kc:,.0f} ev/s ({kc:.2f} s)",
                    f"{big / rc:,.0f} ev/s ({rc:.2f} s)",
                    f"{kc / rc:.2f}",
                    "<= 1.0",
                )
            )
            rss_big = peak_rss_kib(kpy_argv, env=env)
            rss_small = peak_rss_kib([*kpy_argv[:5], "tail-small", *kpy_args], env=env)
            ref_rss = peak_rss_kib(ref_argv, env=env) if ref_argv is not None else 0
            rows.append(
                (
                    f"  peak RSS {label}: {big} vs {small_n} events",
                    f"{rss_big / 1024:.0f} vs {rss_small / 1024:.0f} MiB",
                    f"{ref_rss / 1024:.0f} MiB" if ref_rss else "-",
                    f"{rss_big / ref_rss:.2f}" if ref_rss else "-",
                    f"growth x{rss_big / rss_small:.1f} for 10x events (<< 10)",
                )
            )
        print_table(f"kpy events tail vs kubectl, median of {args.runs} runs (stdout to /dev/null)", rows)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
