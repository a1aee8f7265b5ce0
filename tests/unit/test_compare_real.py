"""bench/compare_real.py's normalisation must not hide real differences (it runs against clusters only)."""

from __future__ import annotations

import pytest
from bench.compare_real import norm_klog, norm_ports, norm_program, same_but_ages


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("web    1/1     Running   0          9s\n", "web    1/1     Running   0          10s\n"),
        ("w1  3  5m\n", "w1  3  5m10s\n"),
        ("335d (x3 over 335d)   Normal\n", "335d (x3 over 336d)   Normal\n"),
        ("worker   7 (23s ago)   25s\n", "worker   7 (24s ago)   26s\n"),
    ],
)
def test_ages_a_few_seconds_apart_count_as_equal(a: str, b: str) -> None:
    assert same_but_ages(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("web 1/1 Running 0 9s\n", "web 1/2 Running 0 9s\n"),  # not an age
        ("a 5m\n", "a 7m\n"),  # ages further apart than two runs
        ("a 5m\n", "a 5m\nb 1s\n"),  # a line more
        ("pod/web 1/1\n", "web 1/1\n"),
        ("", "No resources found\n"),
    ],
)
def test_other_differences_stay_differences(a: str, b: str) -> None:
    assert not same_but_ages(a, b)


def test_normalisers_touch_only_what_they_name() -> None:
    assert norm_program("See 'kpy get -h' for help") == "See 'kubectl get -h' for help"
    assert norm_program("error: kpy failed") == "error: kpy failed"
    assert norm_ports("Forwarding from 127.0.0.1:41234 -> 80\nHandling connection for 41234\n") == (
        "Forwarding from 127.0.0.1:PORT -> 80\nHandling connection for PORT\n"
    )
    assert norm_klog('E1203 09:32:40.358478   30816 portforward.go:424] "x"\n') == (
        'EMMDD hh:mm:ss.uuuuuu PID portforward.go:424] "x"\n'
    )
