"""What the terminal, the phone page and the hub must agree on: pure code, no I/O.

See shared/README.md for the rule and why it holds.
"""
