"""Escaping for fetchmail: not written yet."""

from __future__ import annotations
