"""Escaping for reg: not written yet."""

from __future__ import annotations
