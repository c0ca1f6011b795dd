"""An outside fuzzer on the API: Schemathesis, driven by the OpenAPI document the app serves.

Schemathesis runs as its own program (the `schemathesis` command, as anyone would
run it) against the app served on a free loopback port, with a write token. It
reads /api/v1/openapi.json and throws thousands of requests at every operation,
valid and not: no answer may be a crash, and every status, header and body must
be one the document promises.
"""

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from shared_models import api_tokens, db
from shared_models.models import User
from tests.support.apps import make_app
from tests.support.machine import free_port

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# Enough to find the bugs it found while the API was written (see the report in the
# commit that added it), small enough for about half a minute per layout; a fixed seed
# keeps the suite repeatable. To hunt further, run it by hand with a larger -n, no seed.
MAX_EXAMPLES = 20
SEED = 20261201
# A hard stop, far above a normal run: the test must end even if the run hangs.
TIME_LIMIT = 240
# Schemathesis's phases, run as two tests of about the same length: the boundary
# values of every parameter, then random requests and sequences of calls that follow
# the document's links (there are no examples in the document to replay).
PHASES = {"coverage": "coverage", "fuzzing": "examples,fuzzing,stateful"}


class QuietRequestHandler(WSGIRequestHandler):
    """The development server's handler, without a log line for each of thousands of requests."""

    def log_request(self, *args, **kwargs):
        pass


@pytest.fixture
def served_api(layout, database_url):
    """The layout's app on a free loopback port, answering crashes as production does; its URL."""
    # Served on 127.0.0.1, which the testing PUBLIC_URL's host (localhost) is not.
    app = make_app(
        layout, database_url, PROPAGATE_EXCEPTIONS=False, TRUSTED_HOSTS=["127.0.0.1", "localhost"]
    )
    server = make_server(
        "127.0.0.1", free_port(), app, threaded=True, request_handler=QuietRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def write_token(served_api):
    """A writer with a published post and a draft, and a write token of theirs."""
    from shared_models import accounts, publishing

    app, _ = served_api
    with app.app_context():
        writer = accounts.sign_up(
            "writer", "writer@example.com", "correct-horse-battery", confirmed=True
        )
        publishing.create_post(writer, "Published", "Some *Markdown*.", True)
        publishing.create_post(writer, "Draft", "Not yet.", False)
        _, secret = api_tokens.create_token(db.session.get(User, writer.id), "fuzzer", "write")
    return secret


@pytest.mark.slow
@pytest.mark.parametrize("phases", PHASES.values(), ids=PHASES.keys())
def test_schemathesis_finds_no_broken_promise_in_the_openapi_document(
    served_api, write_token, tmp_path, phases
):
    _, url = served_api
    assert SCHEMATHESIS.exists(), "schemathesis is a dev dependency: run `make install`"

    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{url}/api/v1/openapi.json",
            "--header",
            f"Authorization: Bearer {write_token}",
            "--phases",
            phases,
            "--checks",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--no-color",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
    )

    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert "No issues found" in run.stdout
