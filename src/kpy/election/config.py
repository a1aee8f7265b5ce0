"""The election's timing parameters and client-go's validation rules (plus kpy's own safety rule).

client-go (tools/leaderelection ``NewLeaderElector``) requires LeaseDuration > RenewDeadline >
JitterFactor × RetryPeriod and all three > 0, checked in that order with the messages reproduced here. kpy adds
one rule of its own so that the child is stopped before anyone else can lead:
``grace period <= 0.9 × leaseDurationSeconds − RenewDeadline``.

A Lease stores whole seconds (``leaseDurationSeconds``), and the other candidates judge expiry with that
stored value, so every safety computation uses the truncated whole-second value, not the flag.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpy.errors import ElectionError
from kpy.gocompat.duration import MILLISECOND, SECOND, format_duration

JITTER_FACTOR = 1.2
#: fraction of a lease kpy trusts its own clock for (10% margin for clock-rate drift between machines)
SAFETY_FRACTION_TENTHS = 9
#: client-go's HealthzAdaptor tolerance used by kube-controller-manager and kube-scheduler
HEALTHZ_TOLERANCE = 20.0


@dataclass(frozen=True)
class ElectionConfig:
    """Timings in nanoseconds (Go ``time.Duration``); the ``*_s`` properties give float seconds."""

    lease_duration_ns: int = 15 * SECOND
    renew_deadline_ns: int = 10 * SECOND
    retry_period_ns: int = 2 * SECOND
    grace_period_ns: int = 3 * SECOND

    @property
    def lease_duration(self) -> float:
        return self.lease_duration_ns / SECOND

    @property
    def renew_deadline(self) -> float:
        return self.renew_deadline_ns / SECOND

    @property
    def retry_period(self) -> float:
        return self.retry_period_ns / SECOND

    @property
    def grace_period(self) -> float:
        return self.grace_period_ns / SECOND

    @property
    def lease_duration_seconds(self) -> int:
        """What goes into the Lease: ``int(LeaseDuration / time.Second)`` like client-go."""
        return self.lease_duration_ns // SECOND

    @property
    def request_timeout(self) -> float:
        """Per-request API timeout: max(1 s, RenewDeadline / 2), so a hung request cannot outlive the lease."""
        return max(1.0, self.renew_deadline / 2)

    @property
    def safe_hold(self) -> float:
        """Seconds after a successful renewal's send time until which the child may run, grace included."""
        return self.lease_duration_seconds * SAFETY_FRACTION_TENTHS / 10

    def validate(self) -> None:
        """client-go's rules with its messages (same order), then kpy's grace-period rule."""
        validate_client_go(self.lease_duration_ns, self.renew_deadline_ns, self.retry_period_ns)
        if self.lease_duration_ns < SECOND:
            raise ElectionError(
                f"--lease-duration {format_duration(self.lease_duration_ns)} is too short: a Lease stores whole "
                "seconds (leaseDurationSeconds), so it must be at least 1s"
            )
        if self.grace_period_ns < 0:
            raise ElectionError("--grace-period must not be negative")
        limit = self.lease_duration_seconds * SECOND * SAFETY_FRACTION_TENTHS // 10 - self.renew_deadline_ns
        if self.grace_period_ns > limit:
            if limit <= 0:
                raise ElectionError(
                    f"--renew-deadline {format_duration(self.renew_deadline_ns)} leaves no time to stop the "
                    f"command: 0.9 × --lease-duration ({self.lease_duration_seconds}s) − --renew-deadline must be "
                    "positive; shorten --renew-deadline or lengthen --lease-duration"
                )
            raise ElectionError(
                f"--grace-period {format_duration(self.grace_period_ns)} is too long: it must be at most "
                f"0.9 × --lease-duration − --renew-deadline = {format_duration(limit)} so the command is stopped "
                "before another candidate can take the lease; shorten --grace-period (or --renew-deadline), "
                "or lengthen --lease-duration"
            )


def validate_client_go(lease_duration_ns: int, renew_deadline_ns: int, retry_period_ns: int) -> None:
    """``NewLeaderElector``'s checks, in its order, with its messages."""
    if lease_duration_ns <= renew_deadline_ns:
        raise ElectionError("leaseDuration must be greater than renewDeadline")
    # Go: time.Duration(JitterFactor*float64(RetryPeriod)) truncates toward zero
    if renew_deadline_ns <= int(JITTER_FACTOR * float(retry_period_ns)):
        raise ElectionError("renewDeadline must be greater than retryPeriod*JitterFactor")
    if lease_duration_ns < 1:
        raise ElectionError("leaseDuration must be greater than zero")
    if renew_deadline_ns < 1:
        raise ElectionError("renewDeadline must be greater than zero")
    if retry_period_ns < 1:
        raise ElectionError("retryPeriod must be greater than zero")


def jittered(period: float, rand: float, factor: float = JITTER_FACTOR) -> float:
    """apimachinery ``wait.Jitter``: period + rand × factor × period, rand in [0, 1)."""
    if factor <= 0.0:
        factor = 1.0
    return period + rand * factor * period


__all__ = [
    "HEALTHZ_TOLERANCE",
    "JITTER_FACTOR",
    "MILLISECOND",
    "ElectionConfig",
    "jittered",
    "validate_client_go",
]
