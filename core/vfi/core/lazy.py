"""Registries of "module:attribute" strings, imported on first use.

Listing what a registry holds (models, backends, datasets, data kinds, op facets) must not import
the heavy libraries behind each entry, so entries are stored as import paths and resolved only
when one is used:

    BACKENDS = LazyRegistry("backend", {"torch": "vfi.runtime.backends.torch_backend:TorchRunner"})
    cls = BACKENDS.load("torch")
"""

from __future__ import annotations

import importlib

from vfi.core.errors import InputError


def load_object(path: str):
    """The object named by "package.module:attribute" (or the module itself for "package.module")."""
    module_name, _, attribute = path.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


class LazyRegistry(dict):
    """A dict of name -> "module:attribute" whose `load` imports the entry.

    Args:
        what: what an entry is, for the error message ("backend", "dataset").
        entries: the initial name -> import path mapping, in preference order.
        parameter: the library parameter a name comes from, passed on to `InputError` so that a
            front end can name its own option.
    """

    def __init__(self, what: str, entries: dict[str, str] | None = None, parameter: str | None = None):
        super().__init__(entries or {})
        self.what = what
        self.parameter = parameter

    def path(self, name: str) -> str:
        """The import path registered as `name`; `InputError` listing the known names otherwise."""
        try:
            return self[name]
        except KeyError:
            parameters = (self.parameter,) if self.parameter else ()
            raise InputError(f"{self.what} {name!r} is unknown; choose one of {', '.join(self)}", *parameters) from None

    def load(self, name: str):
        """Import and return the object registered as `name`."""
        return load_object(self.path(name))
