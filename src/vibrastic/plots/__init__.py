"""Matplotlib helpers shared by labs and lessons: each returns a Figure (never shows it)."""

# ---- re-exports (one line per helper module) ----
