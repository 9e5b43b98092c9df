"""A FastAPI backend for App Platform. The replica-watch agent runs beside it in the same
container (see Dockerfile: run-with-agent.sh starts both), so this code knows nothing of it:
the agent probes /health (AGENT_PROBE_URL) to tell "ready" from "actually serving".
"""

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/")
def index() -> dict:
    return {"hello": "from the backend"}
