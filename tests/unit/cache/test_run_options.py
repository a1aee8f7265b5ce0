"""``kpy on``'s options are checked before anything is contacted, in pflag's / kubectl's words."""

from __future__ import annotations

import pytest

from kpy.cache.run import OnOptions, check_command, parse_events, validate
from kpy.errors import UsageError


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"command": ()}, "a command to run is required after '--' (kpy on RESOURCE -- CMD)"),
        (
            {"name": "web", "all_namespaces": True},
            "a resource cannot be retrieved by name across all namespaces",
        ),
        ({"workers": 0}, "--workers must be at least 1, got 0"),
        ({"max_retries": -2}, "--max-retries must be -1 (unlimited) or more, got -2"),
        ({"timeout": -1.0}, "--timeout must not be negative"),
        ({"retry_qps": 0.0}, "--retry-qps must be positive and --retry-burst at least 1"),
        (
            {"on": "add,bogus"},
            'invalid argument "add,bogus" for "--on" flag: want a list of add, update, delete, sync',
        ),
        ({"when": "{.status"}, "error parsing --when: unclosed action"),
        (
            {"metrics_address": "nope"},
            'invalid --metrics-address "nope": want HOST:PORT (e.g. 127.0.0.1:8080 or :8080)',
        ),
    ],
)
def test_bad_options(changes: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"resource": "pods", "command": ("true",)}
    with pytest.raises(UsageError) as info:
        validate(OnOptions(**{**base, **changes}))  # type: ignore[arg-type]
    assert str(info.value) == message


def test_good_options_become_the_controllers() -> None:
    got = validate(OnOptions("pods", ("true",), on="delete, Update", workers=3, max_retries=-1, when="{.x}"))
    assert got.events == frozenset({"Deleted", "Modified"})
    assert (got.workers, got.max_retries, got.when is not None) == (3, -1, True)
    assert parse_events("add,update,delete,sync") == frozenset({"Added", "Modified", "Deleted", "Sync"})


def test_a_command_that_cannot_run_is_refused_like_a_shell() -> None:
    assert check_command(("/no/such/file",)) == (
        127,
        'error: exec: "/no/such/file": no such file or directory',
    )
    assert check_command(("/",)) == (126, 'error: exec: "/": permission denied')
    assert check_command(("no-such-command-kpy",)) == (
        127,
        'error: exec: "no-such-command-kpy": executable file not found in $PATH',
    )
    assert check_command(("true",)) is None
