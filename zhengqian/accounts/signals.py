"""Roles are memoised per user object; a changed matrix must not linger in a long request."""

from __future__ import annotations
