"""SQL fragments shared by the per-provider normalisers."""

# Any ISO-8601 spelling (Z, offsets, nanoseconds) to a naive UTC TIMESTAMP; the connection
# runs with TimeZone=UTC so the TIMESTAMPTZ -> TIMESTAMP cast is the UTC wall clock.
def utc_time(expr: str) -> str:
    # Times ending in Z (all of CloudTrail's) are UTC already: a plain TIMESTAMP cast is 2.5x
    # faster than going through TIMESTAMPTZ. That cast ignores offsets, so others take the long way.
    return (f"CASE WHEN {expr} LIKE '%Z' THEN try_cast({expr} AS TIMESTAMP) "
            f"ELSE try_cast(try_cast({expr} AS TIMESTAMPTZ) AS TIMESTAMP) END")


def true_text(expr: str) -> str:
    """JSON booleans arrive as 'true'/'false' text; some producers write "True" or "yes"."""
    return f"(CASE WHEN {expr} IS NULL THEN NULL ELSE lower({expr}) IN ('true', 'yes', '1') END)"
