"""People signing in to the hub: sessions, CSRF, roles, and the sign-in pages."""
