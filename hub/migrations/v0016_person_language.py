"""Each person's language for pages and emails (hub/i18n.py): 'de' or 'en', or NULL to follow
the browser's Accept-Language (German when it names neither)."""


def up(db, sql) -> None:
    sql("ALTER TABLE app_user ADD COLUMN language TEXT")
