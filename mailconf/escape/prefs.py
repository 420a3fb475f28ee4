"""Escaping for prefs: not written yet."""

from __future__ import annotations
