"""stub"""
from __future__ import annotations
from collections.abc import Sequence
from . import Imported, ReadOptions
NAME = "outlook"
TITLE = "outlook"

def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    raise NotImplementedError
