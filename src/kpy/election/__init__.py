"""Leader election on a coordination.k8s.io/v1 Lease (client-go's tools/leaderelection), and running a
command only while holding it (``kpy elect``).

Layers: ``durations``/``config`` (flags and client-go's validation), ``record`` (Lease spec mapping),
``core`` (sans-I/O tryAcquireOrRenew), ``lock`` (LeaseLock over RestClient), ``elector`` (asyncio loops),
``process``/``runner`` (the child under the lease), ``health`` (/healthz, /metrics), ``status``.
"""

from kpy.election.config import ElectionConfig
from kpy.election.core import Create, ElectionCore, Held, Update
from kpy.election.elector import LeaderElector
from kpy.election.lock import LeaseLock, Lock
from kpy.election.record import LeaderElectionRecord
from kpy.election.runner import ElectionRunner, RunOptions
from kpy.gocompat.clock import Clock, FakeClock, RealClock

__all__ = [
    "Clock",
    "Create",
    "ElectionConfig",
    "ElectionCore",
    "ElectionRunner",
    "FakeClock",
    "Held",
    "LeaderElectionRecord",
    "LeaderElector",
    "LeaseLock",
    "Lock",
    "RealClock",
    "RunOptions",
    "Update",
]
