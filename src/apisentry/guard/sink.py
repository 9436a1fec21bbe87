"""Non-blocking event sinks. The request path only appends to a queue; a daemon thread turns
records into redacted events and writes them in batches. When the writer falls behind, the
queue is bounded and extra records are counted as dropped rather than slowing the API down."""

from __future__ import annotations

import queue
import sys
import threading
from pathlib import Path
from typing import Any

import orjson

from apisentry.guard.events import CallRecord, event_row


class Sink:
    def __init__(self, max_queue: int = 100_000, batch: int = 1000, flush_s: float = 0.5) -> None:
        self._q: queue.Queue[CallRecord | None] = queue.Queue(max_queue)
        self.batch = batch
        self.flush_s = flush_s
        self.dropped = 0
        self.written = 0
        self.errors = 0
        # Opened here, not in the writer thread: a store that cannot be opened, or a folder that
        # does not exist, fails where the app is set up, not silently in a thread after it started.
        self._open()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()

    def emit(self, rec: CallRecord) -> None:
        try:
            self._q.put_nowait(rec)
        except queue.Full:
            self.dropped += 1

    def close(self) -> None:
        self._q.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        pending: list[dict[str, Any]] = []
        done = False
        while not done:
            try:
                rec = self._q.get(timeout=self.flush_s)
                if rec is None:
                    done = True
                else:
                    pending.append(event_row(rec))
            except queue.Empty:
                pass
            except Exception as e:
                self.errors += 1
                print(f"apisentry guard sink: record skipped: {e}", file=sys.stderr)
            if pending and (done or len(pending) >= self.batch or self._q.empty()):
                try:
                    self._write(pending)
                    self.written += len(pending)
                except Exception as e:
                    self.errors += len(pending)
                    print(f"apisentry guard sink: {len(pending)} events not written: {e}", file=sys.stderr)
                pending = []
        self._close()

    def _open(self) -> None:
        pass

    def _write(self, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        pass


class JsonlSink(Sink):
    """Events as JSON Lines, appended to `path`."""

    def __init__(self, path: str | Path, **kw: Any) -> None:
        self.path = Path(path)
        super().__init__(**kw)

    def _open(self) -> None:
        self._f = self.path.open("ab")

    def _write(self, rows: list[dict[str, Any]]) -> None:
        self._f.write(b"".join(orjson.dumps(r, default=str) + b"\n" for r in rows))
        self._f.flush()

    def _close(self) -> None:
        self._f.close()


class StoreSink(Sink):
    """Events into the DuckDB store, where the rest of apisentry (inventory, detection) reads them."""

    def __init__(self, db: str, **kw: Any) -> None:
        self.db = db
        super().__init__(**kw)

    def _open(self) -> None:
        from apisentry.store import Store

        self._store = Store(self.db)

    def _write(self, rows: list[dict[str, Any]]) -> None:
        self._store.append_events(rows)

    def _close(self) -> None:
        self._store.close()


class MemorySink(Sink):
    """Keeps events in a list: for tests and for embedding."""

    def __init__(self, **kw: Any) -> None:
        self.rows: list[dict[str, Any]] = []
        super().__init__(**kw)

    def _write(self, rows: list[dict[str, Any]]) -> None:
        self.rows.extend(rows)
