"""``kubectl_complete-kpy``: completion of ``kubectl kpy <TAB>`` through kubectl's plugin completion protocol.

kubectl (>= 1.26) completes a plugin's arguments by running ``kubectl_complete-<plugin>`` from PATH with the
words typed after the plugin name, the last one being the word under completion (``""`` for a new word), and
reads one completion per line, optionally followed by a Cobra directive line ``:N``. This entry point feeds
those words to kpy's own completion (the same callbacks, cache and background refresh as ``kpy <TAB>``) and
answers ``:4`` (no file completion) when it offered something, ``:0`` (the shell's default) when not.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import sys
from collections.abc import Sequence

NO_FILE_COMP = 4
DEFAULT = 0


def completions(words: Sequence[str]) -> list[str]:
    """kpy's completions for ``kpy WORDS...`` (the last word is the one being completed)."""
    from kpy.cli.main import run

    words = list(words) or [""]
    line = ["kpy", *words]
    os.environ.update(
        {"_KPY_COMPLETE": "complete_bash", "COMP_WORDS": shlex.join(line), "COMP_CWORD": str(len(line) - 1)}
    )
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        run([])
    return [value for value in out.getvalue().split("\n") if value]


def main() -> None:
    values = completions(sys.argv[1:])
    directive = NO_FILE_COMP if values else DEFAULT
    sys.stdout.write("".join(f"{v}\n" for v in values) + f":{directive}\n")
