"""Benchmarks: they start real processes, drive load, and print figures. Tests never time anything."""
