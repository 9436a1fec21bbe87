"""SQL fragments shared by the per-provider normalisers."""

# Any ISO-8601 spelling (Z, offsets, nanoseconds) to a naive UTC TIMESTAMP; the connection
# runs with TimeZone=UTC so the TIMESTAMPTZ -> TIMESTAMP cast is the UTC wall clock.
def utc_time(expr: str) -> str:
    return f"try_cast(try_cast({expr} AS TIMESTAMPTZ) AS TIMESTAMP)"


def true_text(expr: str) -> str:
    """JSON booleans arrive as 'true'/'false' text; some producers write "True" or "yes"."""
    return f"(CASE WHEN {expr} IS NULL THEN NULL ELSE lower({expr}) IN ('true', 'yes', '1') END)"
