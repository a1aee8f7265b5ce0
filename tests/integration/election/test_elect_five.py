"""Five ``kpy elect`` processes on one Lease: one child at a time, failover after SIGKILL and after a graceful
exit, a forbidden Lease (retried), the health endpoint, and the default identity.

Bounds come from the algorithm: after the leader dies, a follower takes over no sooner than LeaseDuration
after the dead leader's last renewal reached the server. How soon after that (LeaseDuration + 2.2 ×
RetryPeriod; 2.2 × RetryPeriod after a release) is a speed, measured by bench/elect.py, not here: the waits
below only have deadlines that a hang exhausts.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import Api, kpy
from tests.integration.election.electhelpers import (
    LEASE,
    LINUX_ONLY,
    PATIENCE,
    RETRY,
    TIMINGS,
    Pool,
    assert_exclusive,
    last_lease_write,
    pid_alive,
    wait_until,
)

pytestmark = LINUX_ONLY


@pytest.fixture
def lease_name() -> str:
    return f"l-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def pool(emu: Any, tmp_path: Path, lease_name: str) -> Iterator[Pool]:
    p = Pool(emu.kubeconfig_path, tmp_path, lease_name, TIMINGS)
    try:
        yield p
    finally:
        p.close()


def lease_spec(emu: Any, name: str) -> dict[str, Any]:
    api = Api(emu.emulator.url, emu.emulator.ca_pem, emu.emulator.token)
    code, body = api.call("GET", f"/apis/coordination.k8s.io/v1/namespaces/default/leases/{name}")
    assert code == 200, body
    return dict(body["spec"])


def test_five_electors_one_child_at_a_time_through_kill_and_graceful_exit(
    emu: Any, pool: Pool, lease_name: str
) -> None:
    idents = [f"e{i}" for i in range(5)]
    for ident in idents:
        pool.spawn(ident)

    # 1. one leader; the four others see it and keep campaigning without starting anything
    first = wait_until(lambda: pool.runs(), PATIENCE, "the first child")[0]
    for ident in idents:
        if ident != first.ident:
            wait_until(
                lambda i=ident: f"new leader: {first.ident}" in pool.by_ident(i).stderr(),
                PATIENCE,
                f"{ident} to observe the leader",
            )
    # a follower that ignored the renewals would take over within LeaseDuration + 2.2 × RetryPeriod
    hold_until = time.monotonic() + LEASE + 2.2 * RETRY + 0.5
    while time.monotonic() < hold_until:
        assert len(pool.runs()) == 1, [r.ident for r in pool.runs()]
        time.sleep(0.05)
    assert all(e.alive() for e in pool.electors)
    assert lease_spec(emu, lease_name)["holderIdentity"] == first.ident

    # 2. SIGKILL the leader's kpy: its child dies with it (PDEATHSIG), another candidate takes over
    leader = pool.by_ident(first.ident)
    killed_at = time.monotonic()
    leader.proc.send_signal(signal.SIGKILL)
    assert leader.proc.wait(PATIENCE) == -signal.SIGKILL
    wait_until(lambda: not pid_alive(first.pid), PATIENCE, "the killed leader's child to die with it")
    second = wait_until(lambda: pool.runs()[1:], LEASE + 2.2 * RETRY + PATIENCE, "a new leader's child")[0]
    assert second.ident != first.ident
    # not before a lease duration after the killed leader's last renewal reached the server (how soon after
    # that is a speed: bench/elect.py)
    assert second.start >= last_lease_write(emu, lease_name, killed_at) + LEASE
    assert lease_spec(emu, lease_name)["holderIdentity"] == second.ident

    # 3. the new leader's command exits by itself (SIGTERM to the child, which exits 0): kpy releases the
    #    lease at once and another candidate leads within about one (jittered) RetryPeriod
    second_kpy = pool.by_ident(second.ident)
    os.kill(second.pid, signal.SIGTERM)
    assert second_kpy.proc.wait(PATIENCE) == 0  # the command's exit code
    assert f"released lease default/{lease_name}" in second_kpy.stderr()
    third = wait_until(lambda: pool.runs()[2:], PATIENCE, "a third leader's child")[0]
    stopped = next(r for r in pool.runs() if r.pid == second.pid)
    assert stopped.stopped
    assert third.ident not in (first.ident, second.ident)

    runs = assert_exclusive(pool.journal)
    assert [r.ident for r in runs] == [first.ident, second.ident, third.ident]
    spec = lease_spec(emu, lease_name)
    assert spec["holderIdentity"] == third.ident
    assert spec["leaseTransitions"] == 2
    # the three survivors are still campaigning, none started a child
    assert sum(e.alive() for e in pool.electors) == 3


def test_forbidden_lease_is_retried_with_one_line_each_time_until_access_is_granted(
    emu: Any, pool: Pool, lease_name: str
) -> None:
    """client-go retries a 403 forever (RBAC is often granted after the workload starts); so does kpy, saying
    why on one line per try instead of sitting silent or exiting."""
    message = (
        f'leases.coordination.k8s.io "{lease_name}" is forbidden: User "system:serviceaccount:default:app" '
        'cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "default"'
    )
    emu.call(emu.emulator.faults.fail_next, 100000, 403, match=f"/leases/{lease_name}$", message=message)
    try:
        e = pool.spawn("f")
        line = f"error retrieving resource lock default/{lease_name}: {message}"
        wait_until(lambda: e.stderr().count(line) >= 3, 30, "three reports of the 403")
        assert e.alive()
        assert set(e.stderr().splitlines()) == {line}
        assert pool.runs() == []
    finally:
        emu.call(emu.emulator.faults.clear)
    # access granted: the next try acquires and the command starts
    wait_until(lambda: pool.runs(), 30, "the child once the lease is allowed")
    assert f"acquired lease default/{lease_name} as f" in e.stderr()


def test_health_address_serves_healthz_and_leader_metrics(emu: Any, pool: Pool, lease_name: str) -> None:
    leader = pool.spawn("h1", "--health-address", "127.0.0.1:0")
    first = wait_until(lambda: pool.runs(), PATIENCE, "the leader's child")[0]
    assert first.ident == "h1"
    follower = pool.spawn("h2", "--health-address", "127.0.0.1:0")
    wait_until(lambda: "new leader: h1" in follower.stderr(), PATIENCE, "the follower to see the leader")

    def url_of(e: Any) -> str:
        m = re.search(r"^serving /healthz and /metrics on (http://127\.0\.0\.1:\d+)$", e.stderr(), re.M)
        assert m, e.stderr()
        return m.group(1)

    def get(url: str) -> tuple[int, str]:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()

    name = f'name="default/{lease_name}"'
    status, body = get(url_of(leader) + "/healthz")
    assert (status, body) == (200, "ok")
    status, metrics = get(url_of(leader) + "/metrics")
    assert status == 200
    assert f"leader_election_master_status{{{name}}} 1\n" in metrics
    assert f"kpy_elect_child_running{{{name}}} 1\n" in metrics
    assert f"kpy_elect_child_starts_total{{{name}}} 1\n" in metrics

    status, body = get(url_of(follower) + "/healthz")
    assert (status, body) == (200, "ok")  # followers are healthy
    _, metrics = get(url_of(follower) + "/metrics")
    assert f"leader_election_master_status{{{name}}} 0\n" in metrics
    assert f"kpy_elect_child_running{{{name}}} 0\n" in metrics


def test_default_identity_is_hostname_and_a_uuid(emu: Any, pool: Pool, lease_name: str) -> None:
    pool.spawn(None, mode="identity", name="anon")
    wait_until(lambda: pool.runs(), PATIENCE, "the child")
    ident_file = Path(str(pool.journal) + ".identity")
    identity = wait_until(lambda: ident_file.exists() and ident_file.read_text(), PATIENCE, "KPY_IDENTITY")
    hostname = re.escape(socket.gethostname())
    assert re.fullmatch(
        hostname + r"_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", identity
    ), identity
    assert lease_spec(emu, lease_name)["holderIdentity"] == identity


@pytest.mark.parametrize(
    "args",
    [
        ["elect", "--lease", "x"],
        ["elect", "--lease", "x", "--"],
        ["elect", "--lease", "x", "echo", "hi"],
    ],
)
def test_missing_double_dash_is_a_usage_error(emu: Any, args: list[str]) -> None:
    res = kpy(*args, kubeconfig=emu.kubeconfig_path, timeout=30)
    assert res.code == 1, res  # usage errors exit 1, as kubectl
    assert res.err.strip().splitlines()[1:] == ["See 'kpy elect --help' for usage."]
    assert "after '--' (kpy elect --lease NAME -- CMD)" in res.err
    assert res.out == ""
