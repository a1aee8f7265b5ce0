"""The JSONPath the apiserver evaluates for CRD ``additionalPrinterColumns`` and ``selectableFields``: client-go's
``util/jsonpath`` on ``{<path>}`` with missing keys allowed, first result only. kpy's own engine
(:mod:`kpy.jsonpath`, kubectl's dialect) does it; compiled templates are cached per path.
"""

from __future__ import annotations

import functools
from typing import Any

from kpy.errors import TemplateError
from kpy.jsonpath import INVALID, Template, parse


@functools.lru_cache(maxsize=512)
def compile_path(path: str) -> Template | None:
    """``{path}`` compiled (a path already in braces is taken as is); None when it does not parse."""
    text = path.strip()
    try:
        return parse(text if text.startswith("{") else "{" + text + "}", allow_missing_keys=True)
    except TemplateError:
        return None


def first_value(obj: Any, path: str) -> tuple[bool, Any]:
    """(found, value) of the first result of ``path`` in ``obj`` (``FindResults(...)[0][0]``)."""
    template = compile_path(path)
    if template is None:
        return False, None
    try:
        results = template.find(obj)
    except TemplateError:
        return False, None
    if not results or not results[0] or results[0][0] is INVALID:
        return False, None
    return True, results[0][0]
