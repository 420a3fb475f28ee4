"""Escaping for msmtp: not written yet."""

from __future__ import annotations
