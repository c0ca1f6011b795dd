"""Test-only WSGI app: the real `deploy.wsgi` app plus one route that waits on PostgreSQL."""

# First, as in production: deploy.wsgi patches gevent, then builds the real site.
from deploy.wsgi import app

# isort: split
import psycopg.waiting
from flask import request
from sqlalchemy import text

from shared_models import db


@app.get("/_probe/pg-sleep")
def pg_sleep():
    """Hold a pooled connection while PostgreSQL sleeps: a slow query, on demand."""
    db.session.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": request.args["seconds"]})
    return {
        # The function psycopg settled on when it was imported: a blocking one stalls gevent.
        "wait_function": psycopg.waiting.wait.__name__,
        "pool_size": db.engine.pool.size(),
    }


__all__ = ["app"]
