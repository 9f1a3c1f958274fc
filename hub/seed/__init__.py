"""``voxloop demo seed``: a realistic fleet with a year of feedback, for trying and for benchmarks.

Two parts: generator.py is the data model (stores, their hours and differences, and responses
whose scores really depend on what happened: seasonality, busy hours, queues, friendly staff),
pure and deterministic for a seed; writer.py puts it into the hub's database fast (bulk rows
in large transactions, the rollups built by the same accumulator ingest uses).
"""
