"""Beyond one machine: two app hosts behind one nginx share one PostgreSQL and nothing else.

The app keeps no state in its processes (sessions are signed cookies, data is in
the database), so nginx may send each request to either host, and losing one host
loses no GET: nginx passes it to the other.
"""

import os
import signal
import time

import pytest

from deploy import LAYOUTS
from deploy.processes import wait_until
from tests.deploy.stacks import Load, Visitor, start_stack
from tests.support.postgres import TEMPLATE_DATABASE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=LAYOUTS)
def two_hosts(request, tmp_path_factory, postgresql_server):
    """One nginx in front of two gunicorns ("hosts" inkpot-1 and inkpot-2), one database."""
    database = postgresql_server.create_database(template=TEMPLATE_DATABASE)
    stack = None
    try:
        stack = start_stack(
            request.param,
            tmp_path_factory.mktemp(f"two-hosts-{request.param}"),
            app_count=2,
            migrate=False,  # a copy of the migrated template
            settings={"DATABASE_URL": postgresql_server.url(database)},
            workers=1,
        )
        yield stack
    finally:
        if stack is not None:
            stack.stop(graceful=False)  # graceful stops are tested in test_stack.py
        postgresql_server.drop_database(database)


def dashboard_hits(stack, program: str) -> int:
    """Signed-in dashboard pages this host served, by its access log."""
    log = stack.read_log(f"{program}-access.log")
    return sum(1 for line in log.splitlines() if '"GET /dashboard/ HTTP/1.1" 200 ' in line)


def test_a_visitor_stays_signed_in_whichever_host_answers(two_hosts):
    visitor = Visitor(two_hosts.url, mailbox=two_hosts.config.mail_dir)
    visitor.sign_up("roaming")
    for _ in range(8):
        page = visitor.get("/dashboard/")
        assert page.status == 200  # not a redirect to /login
        assert "roaming" in page.text
    wait_until(
        lambda: all(
            dashboard_hits(two_hosts, program) for program in two_hosts.config.app_programs
        ),
        10,
        "both hosts to have served the signed-in dashboard",
    )
    # Straight to each host, bypassing nginx: the same cookie signs in on either.
    for port in two_hosts.config.app_ports:
        direct = Visitor(f"http://127.0.0.1:{port}")
        direct.cookies = dict(visitor.cookies)
        page = direct.get("/dashboard/")
        assert page.status == 200
        assert "roaming" in page.text


def test_losing_one_host_loses_no_get(two_hosts):
    visitor = Visitor(two_hosts.url, mailbox=two_hosts.config.mail_dir)
    visitor.sign_up(f"steady-{two_hosts.config.layout}")

    def read_dashboard(_):
        reader = Visitor(two_hosts.url)
        reader.cookies = dict(visitor.cookies)
        return reader.get("/dashboard/")

    doomed = two_hosts.master_pid("inkpot-1")
    with Load(read_dashboard, threads=2) as load:
        time.sleep(0.5)
        killed_at = time.monotonic()
        # The whole host at once: master and workers share a process group.
        os.killpg(doomed, signal.SIGKILL)
        time.sleep(2)  # serving on one host, while supervisor brings the other back
    assert len([o for o in load.outcomes if o.started > killed_at]) > 20
    # Requests to the dead host are passed to the live one. Only a response the dead
    # host had already begun to send cannot be taken back and retried.
    assert load.failures(started_after=killed_at) == []
    assert len(load.failures()) <= 1
    assert all(o.status == "200" for o in load.outcomes if o.started > killed_at)
    two_hosts.wait_until_serving()  # supervisor restarted the lost host
