"""A FastAPI backend for App Platform built by the Python buildpack (no Dockerfile, so no
agent executable beside it): it sends its own heartbeats to replica-watch with the stdlib client
replica_watch_heartbeat.py, copied next to this file from replica-watch's examples/python/.

uvicorn runs the lifespan's end on SIGTERM: the client sends its goodbye there, so a scale-down
shows as `left` at once instead of `gone` a TTL later.
"""

import asyncio
from contextlib import asynccontextmanager

from fastapi import FastAPI

import replica_watch_heartbeat


@asynccontextmanager
async def lifespan(app: FastAPI):
    # Reads AGGREGATOR_URL, HEARTBEAT_SECRET, AGENT_APP, ... (the agent's variables); a bad value
    # fails the start-up with every problem named.
    heartbeats = replica_watch_heartbeat.start_from_env()
    try:
        yield
    finally:
        # The goodbye (within ~1.5 s), off the event loop.
        await asyncio.to_thread(heartbeats.stop)


app = FastAPI(lifespan=lifespan)


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/")
def index() -> dict:
    return {"hello": "from the backend"}
