"""The terminal's screens: one .kv layout per screen, the classes in screens.py."""
