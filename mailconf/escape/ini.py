"""Escaping for ini: not written yet."""

from __future__ import annotations
