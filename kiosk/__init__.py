"""The exit terminal: capture a tap durably, sync it to the hub exactly once."""
