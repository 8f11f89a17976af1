"""Live updates for the classroom pages: an in-process event bus fed by the grading.

Graded checks are published here: by the in-process grading's ``on_change`` (SQLite), or, on
PostgreSQL, by a task that ``LISTEN``s to ``vibrastic_submissions`` so a verdict written by a
worker on another host reaches every web process. Each server-sent-events stream subscribes
with its own bounded queue; a slow reader loses old events, never blocks the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

from sqlalchemy import Engine

from vibrastic.platform.classroom.grading import CHANNEL

log = logging.getLogger(__name__)


class EventBus:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[dict]]:
        queue: asyncio.Queue[dict] = asyncio.Queue(maxsize=256)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    def _deliver(self, event: dict) -> None:
        for queue in list(self._queues):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)

    def publish(self, event: dict) -> None:
        """Publish from any thread (grading workers are threads)."""
        if self._loop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._deliver, event)


async def listen_postgres(engine: Engine, bus: EventBus,
                          listening: asyncio.Event | None = None) -> None:
    """Relay ``NOTIFY vibrastic_submissions`` into the bus until cancelled (reconnects);
    ``listening`` is set once the first ``LISTEN`` is in place."""
    import psycopg

    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                if listening is not None:
                    listening.set()
                async for note in conn.notifies():
                    with contextlib.suppress(ValueError):
                        bus._deliver(json.loads(note.payload))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database went away: try again shortly
            log.warning("LISTEN %s failed (%s); retrying", CHANNEL, exc)
            await asyncio.sleep(2)
