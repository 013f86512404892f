"""kg: knowledge graphs of the methods, models, datasets, tasks, metrics and
code links that research-paper abstracts mention.

The analytics API is importable from here: `build`, `load`, the views
`bipartite`, `cooccurrence` and `evaluation_graph` (from `kg.api`), and
`write_network`/`read_network` (from `kg.exports`). They load on first use, so
``import kg`` stays fast and does not import spaCy.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

# Public name -> module that defines it, imported on first access (PEP 562).
_LAZY: dict[str, str] = {
    "build": "kg.api",
    "load": "kg.api",
    "bipartite": "kg.api",
    "cooccurrence": "kg.api",
    "evaluation_graph": "kg.api",
    "write_network": "kg.exports",
    "read_network": "kg.exports",
    "NETWORK_FORMATS": "kg.exports",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kg' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """The kg package, whose `build` attribute stays the `kg.api.build` function.

    `build` is also the name of the submodule `kg.build`, and the import
    system sets ``kg.build`` to that submodule whenever it is first imported.
    The setter ignores modules, so ``kg.build(...)`` keeps working; the
    submodule stays reachable as ``sys.modules["kg.build"]`` and through
    ``from kg.build import ...``.
    """

    @property
    def build(self) -> Any:
        override = self.__dict__.get("_build_override")
        if override is not None:
            return override
        return importlib.import_module("kg.api").build

    @build.setter
    def build(self, value: Any) -> None:
        if not isinstance(value, types.ModuleType):
            self.__dict__["_build_override"] = value


sys.modules[__name__].__class__ = _Package
