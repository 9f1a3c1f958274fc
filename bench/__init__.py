"""Benchmarks of the hub, run from the repository root (``.venv/bin/python -m bench.<name>``).

Each benchmark measures one figure on this machine in one run and prints it next to a
reference measured in the same run; docs/performance.md says how to read the figures.
"""
