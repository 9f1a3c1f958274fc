"""Comment search with the database's own full-text engine (hub/queries/comment_search.py).

SQLite: ``comment_fts``, an FTS5 table over the comment answers (``answer`` rows of kind text
with a text), external content (the text stays in ``answer``; the index holds the words), kept
by triggers on ``answer`` in the writing transaction: an insert adds the comment, an update of
its text (erasure blanks it) or a delete takes the old words out. Tokenizer unicode61 with
``remove_diacritics 0``: German umlauts are letters of their own ("schön" is not "schon",
"Bär" not "Bar"), while case folds for every letter ("Ü" finds "ü", which LIKE cannot).

PostgreSQL: ``comment_search`` (answer id, the language the comment is counted under, its
tsvector) with a GIN index; the document is ``to_tsvector('german', text)`` for German
comments and ``to_tsvector('english', text)`` for every other (the themes count a language
they do not analyse as English), of the text with its punctuation made spaces: PostgreSQL's
parser would otherwise skip whatever looks like a markup tag and keep "window.__pwned" or
"example.org/kasse" as one token, where SQLite and the search's parser see words. Ingest
adds the rows with the language from hub/services/rollups.py ``comment_language``; a changed
text (erasure) drops its row by trigger; a deleted answer takes its row along (ON DELETE
CASCADE). The comments a hub already holds are filled here with their page's language (the
migrations sit below the language detection of the services): 'de' pages German, the others
English.
"""

from peewee import SqliteDatabase

SQLITE = [
    "CREATE VIRTUAL TABLE comment_fts USING fts5("
    "text, content='answer', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "INSERT INTO comment_fts (rowid, text) SELECT id, text FROM answer "
    "WHERE kind = 'text' AND text IS NOT NULL AND text <> ''",
    """CREATE TRIGGER comment_fts_insert AFTER INSERT ON answer
        WHEN new.kind = 'text' AND new.text IS NOT NULL AND new.text <> ''
        BEGIN INSERT INTO comment_fts (rowid, text) VALUES (new.id, new.text); END""",
    """CREATE TRIGGER comment_fts_delete AFTER DELETE ON answer
        WHEN old.kind = 'text' AND old.text IS NOT NULL AND old.text <> ''
        BEGIN INSERT INTO comment_fts (comment_fts, rowid, text) VALUES ('delete', old.id, old.text); END""",
    """CREATE TRIGGER comment_fts_update AFTER UPDATE OF kind, text ON answer
        BEGIN
            INSERT INTO comment_fts (comment_fts, rowid, text) SELECT 'delete', old.id, old.text
                WHERE old.kind = 'text' AND old.text IS NOT NULL AND old.text <> '';
            INSERT INTO comment_fts (rowid, text) SELECT new.id, new.text
                WHERE new.kind = 'text' AND new.text IS NOT NULL AND new.text <> '';
        END""",
]

POSTGRES = [
    """CREATE TABLE comment_search (
        answer_id BIGINT PRIMARY KEY REFERENCES answer (id) ON DELETE CASCADE,
        language TEXT NOT NULL,
        document TSVECTOR NOT NULL)""",
    "INSERT INTO comment_search (answer_id, language, document) "
    "SELECT a.id, CASE WHEN left(lower(r.locale), 2) = 'de' THEN 'de' ELSE 'en' END, "
    "to_tsvector(CASE WHEN left(lower(r.locale), 2) = 'de' THEN 'german' ELSE 'english' END::regconfig, "
    "regexp_replace(a.text, '[[:punct:]]+', ' ', 'g')) "
    "FROM answer a JOIN response r ON r.id = a.response_id "
    "WHERE a.kind = 'text' AND a.text IS NOT NULL AND a.text <> ''",
    "CREATE INDEX comment_search_document ON comment_search USING GIN (document)",
    """CREATE FUNCTION comment_search_forget() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN DELETE FROM comment_search WHERE answer_id = OLD.id; RETURN NULL; END $$""",
    """CREATE TRIGGER comment_search_forget AFTER UPDATE OF kind, text ON answer
        FOR EACH ROW WHEN (NEW.text IS DISTINCT FROM OLD.text OR NEW.kind IS DISTINCT FROM OLD.kind)
        EXECUTE FUNCTION comment_search_forget()""",
]


def up(db, sql) -> None:
    for statement in SQLITE if isinstance(db, SqliteDatabase) else POSTGRES:
        db.execute_sql(statement)
