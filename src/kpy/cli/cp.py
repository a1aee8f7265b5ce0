"""``kpy cp``: kubectl cp (tar over exec, the same argument forms) that verifies and resumes.

After a copy every regular file's size and sha256 are compared on both ends (when the container has
``sha256sum``; kpy says when it does not) and any difference exits 1; a copy from a pod whose stream breaks
resumes where it stopped (``--retries``, default 3) and never leaves a truncated file; an image without
``tar`` is copied file by file with ``cat`` (``-v 1`` says which way was used). Symlinks in the pod are
skipped with kubectl's warning. A progress bar goes to stderr when it is a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

from kpy.cli.command import ClientOptions, RunContext, add_command, argument, flag, option
from kpy.dataclasslite import dataclass

EXAMPLES = """

Examples:

  # Copy the local file pods.json to pods.json in pod web (relative to the container's working directory)
  kpy cp pods.json web:pods.json

  # Copy it back, resuming up to 5 times if the stream breaks, then compare size and sha256 on both ends
  kpy cp web:pods.json pods-copy.json --retries 5

  # Copy a file into container web of pod web in namespace default, saying how it was copied
  kpy cp job.sh default/web:job.sh -c web -v 1

  # Copy a local directory into the pod and back
  kpy cp . web:examples
  kpy cp web:examples examples-copy
"""

T = TypeVar("T")

HELP = (
    "Copy files and directories to and from containers, then check that both ends have the same bytes "
    "(size and sha256 of every file)." + EXAMPLES
)


@dataclass(frozen=True)
class CpOptions(ClientOptions):
    """``kpy cp <file-spec-src> <file-spec-dest> [-c CONTAINER] [--retries N] [--no-verify] [--no-preserve]``."""

    args: tuple[str, ...] = argument(metavar="<file-spec-src> <file-spec-dest>", multiple=True)
    container: str = option(
        "-c",
        "--container",
        default="",
        help="Container name. If omitted, use the kubectl.kubernetes.io/default-container annotation for "
        "selecting the container to be attached or the first container in the pod will be chosen",
    )
    retries: int = option(
        "--retries",
        default=3,
        help="Set number of retries to complete a copy operation from a container. Specify 0 to disable or "
        "any negative value for infinite retrying.",
    )
    verify: bool = flag(
        "--verify/--no-verify", default=True, help="Compare size and sha256 of every file on both ends."
    )
    no_preserve: bool = flag(
        "--no-preserve",
        help="The copied file/directory's ownership and permissions will not be preserved in the container",
    )

    def validate(self) -> None:
        from kpy.errors import UsageError

        if len(self.args) != 2:
            raise UsageError("source and destination are required")

    def one_shot(self) -> bool:
        """No event loop (``kpy.rest.blocking``): the execs are dialled and run by the copy's threads."""
        return True

    async def run(self, ctx: RunContext) -> int:
        return await run_cp(self, ctx)


async def run_cp(options: CpOptions, ctx: RunContext) -> int:
    from pathlib import Path

    from kpy.exec.cp import CopyError, RemoteRunner, copy_from_pod, copy_to_pod
    from kpy.exec.cpspec import check_specs, parse_file_spec
    from kpy.exec.target import default_container

    src, dest = parse_file_spec(options.args[0]), parse_file_spec(options.args[1])
    check_specs(src, dest)
    remote = src if src.remote else dest
    err = sys.stderr
    verbose = max(ctx.verbosity, options.flags.verbosity) >= 1

    def warn(message: str) -> None:
        progress.clear()
        print(f"warning: {message}", file=err)

    progress = _Progress(err)
    async with ctx.client(options.flags) as client:
        namespace = remote.namespace or options.flags.namespace or client.config.namespace
        container = options.container
        if not container:
            pod = await client.get_json(f"/api/v1/namespaces/{namespace}/pods/{remote.pod}")
            container, notice = default_container(pod)
            if notice:
                print(notice, file=err)
        blocking = client.blocking()  # then the copy runs in this thread, and the execs dial from it
        loop = None if blocking else _running_loop()
        runner = RemoteRunner(client, loop, namespace, remote.pod, container)
        retries = options.retries if options.retries >= 0 else 1 << 30
        try:
            if src.remote:
                report = await _call(
                    blocking,
                    lambda: copy_from_pod(
                        runner,
                        src.path,
                        Path(dest.path),
                        retries=retries,
                        verify=options.verify,
                        warn=warn,
                        progress=progress.add,
                    ),
                )
            else:
                report = await _call(
                    blocking,
                    lambda: copy_to_pod(
                        runner,
                        Path(src.path),
                        dest.path,
                        verify=options.verify,
                        preserve=not options.no_preserve,
                        warn=warn,
                        progress=progress.add,
                    ),
                )
        except CopyError as exc:
            progress.clear()
            print(f"error: {exc}", file=err)
            return exc.exit_code
        finally:
            progress.close()
    if verbose:
        how = "tar" if report.method == "tar" else "cat, one exec per file (no tar in the container)"
        print(f"copied {report.files} files, {report.bytes} bytes via {how}", file=err)
    if report.verified is None and options.verify:
        print("warning: not verified: the container has no sha256sum", file=err)
    elif report.verified is False:
        for line in report.mismatches:
            print(f"error: verification failed: {line}", file=err)
        return 1
    elif verbose:
        print(f"verified: size and sha256 of {report.files} files match", file=err)
    return 0


def _running_loop() -> Any:
    import asyncio

    return asyncio.get_running_loop()


async def _call(blocking: bool, fn: Callable[[], T]) -> T:
    """``fn()`` here without an event loop, else in a worker thread (the loop dials the execs)."""
    if blocking:
        return fn()
    from kpy.streams.workers import run_in_thread

    return await run_in_thread(fn, name="kpy-cp")


class _Progress:
    """Bytes and rate on stderr while copying, only when stderr is a terminal (rich, imported then)."""

    def __init__(self, stream: Any) -> None:
        self.bar: Any = None
        self.task: Any = None
        if stream.isatty():
            from rich.console import Console
            from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

            self.bar = Progress(
                DownloadColumn(), TransferSpeedColumn(), console=Console(file=stream), transient=True
            )
            self.task = self.bar.add_task("copy", total=None)
            self.bar.start()

    def add(self, n: int) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, n)

    def clear(self) -> None:
        self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def register(app: Any) -> None:
    add_command(app, "cp", CpOptions, help=HELP)
