"""The phone page: which response used a receipt's QR code, and rate-limit counters shared
by every hub process."""

STATEMENTS = [
    # One response per receipt: the first response id that answers a receipt-bound token
    # claims the receipt; its own later versions (partial -> complete) still pass.
    """CREATE TABLE phone_receipt (
        store_id INTEGER NOT NULL REFERENCES store (id),
        receipt TEXT NOT NULL,
        response_id {uuid} NOT NULL REFERENCES response (id),
        claimed_at {ts} NOT NULL,
        PRIMARY KEY (store_id, receipt))""",
    # Fixed-window counters per bucket ("t:<token hash>", "a:<keyed hash of the client
    # address>"); neither a token nor an address is stored in clear.
    """CREATE TABLE phone_rate_limit (
        bucket TEXT PRIMARY KEY,
        window_start BIGINT NOT NULL,
        hits INTEGER NOT NULL)""",
    "CREATE INDEX phone_rate_limit_window ON phone_rate_limit (window_start)",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
