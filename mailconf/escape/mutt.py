"""Escaping for mutt: not written yet."""

from __future__ import annotations
