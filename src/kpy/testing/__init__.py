"""kpy's Kubernetes API emulator: an in-process kube-apiserver stand-in for tests (``pip install kpy[testing]``).

    from kpy.testing import Emulator, EmulatorThread

    async with Emulator(seed=True) as em:            # 127.0.0.1:<random>, TLS, kubeconfig written
        os.environ["KUBECONFIG"] = str(em.kubeconfig_path)
        await em.create_object({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {...}})
        em.faults.fail_next(2, status=429, retry_after=1)   # scripted failures
        em.faults.compact()                                 # old resourceVersions now answer 410

    with EmulatorThread(seed=True) as t:              # for synchronous tests (subprocess CLIs)
        subprocess.run(["kubectl", "get", "pods"], env={..., "KUBECONFIG": str(t.kubeconfig_path)})
        t.call(t.emulator.faults.drop_watches)

A pytest fixture, one emulator per module::

    @pytest.fixture(scope="module")
    def emulator():
        with EmulatorThread() as thread:
            yield thread

What it serves (upstream semantics, checked by tests/integration/emulator with the real kubectl and the
``kubernetes`` client): discovery (legacy and aggregated), CRUD/list/watch of the types in
:mod:`kpy.testing.resources` plus CRDs, status subresources, strategic/merge/JSON/apply patches, label and
field selectors, limit/continue, watch with bookmarks/timeouts/410, server-side Table, events in both
core/v1 and events.k8s.io/v1, token and client-certificate auth, ``pods/NAME/portforward``, and fault
injection through ``Emulator.faults`` (:class:`kpy.testing.faults.Faults`). ``Emulator.requests`` logs the
last 10,000 requests (Authorization headers redacted; :class:`kpy.testing.requestlog.RequestLog`).

Layout: :mod:`.emulator` (lifecycle), :mod:`.server` (routes, middleware) with :mod:`.httpio` and
:mod:`.authn`, :mod:`.subresources` (one handler per subresource), :mod:`.api` (the verbs) with
:mod:`.listing`, :mod:`.validation`, :mod:`.conversion`, :mod:`.defaults`, :mod:`.fieldlabels`,
:mod:`.resources` (the served types), :mod:`.tables` (per API group), :mod:`.seed`, :mod:`.store`,
:mod:`.watch`. How to add a resource or a subresource/endpoint: see :mod:`kpy.testing.subresources`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kpy.testing.emulator import Emulator
    from kpy.testing.thread import EmulatorThread

__all__ = ["Emulator", "EmulatorThread"]


def __getattr__(name: str) -> Any:
    # Lazy: importing kpy.testing stays cheap until the emulator is used (aiohttp, cryptography).
    if name == "Emulator":
        from kpy.testing.emulator import Emulator

        return Emulator
    if name == "EmulatorThread":
        from kpy.testing.thread import EmulatorThread

        return EmulatorThread
    raise AttributeError(name)
