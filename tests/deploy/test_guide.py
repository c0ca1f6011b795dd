"""deploy/README.md, read as an operator follows it: its shell blocks against the shipped files.

No server is touched. The blocks are parsed into commands (who runs them, with
what arguments), checked for syntax, and compared with the configs they install:
the paths they create, the files and make targets they use, the owners they give.
"""

import grp
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
import redis

from deploy import render
from deploy.env_file import DEFAULT_ENV_FILE, read_env_file
from deploy.processes import accept_connections, system_program, wait_until
from deploy.stack import Stack
from shared_web.config import REDIS_PASSWORD_PLACEHOLDER
from tests.deploy.guide import (
    ENV_EXAMPLE,
    GUIDE,
    NGINX_SITE,
    OPERATOR,
    REDIS_CONFS,
    SUDO_PATH,
    WRAPPER,
    Block,
    app_may_change,
    app_user,
    code_folder,
    commands_of,
    guide_commands,
    guide_ownership,
    named,
    nginx_paths,
    options,
    paths_root_trusts,
    redis_directives,
    shell_blocks,
    supervisor_log_files,
    supervisor_programs,
)
from tests.support.machine import unavailable

# --- The tests -------------------------------------------------------------------


def test_nothing_root_writes_or_trusts_is_in_the_app_users_hands():
    # The app user owning a folder root writes into (gunicorn's log folder, say)
    # could swap a file there for a link to any file, and root would write to it.
    state, user = guide_ownership(), app_user()
    trusted = paths_root_trusts()
    assert supervisor_log_files() <= trusted
    assert PurePosixPath("/etc/inkpot/inkpot.env") in trusted

    in_the_apps_hands = {
        str(path): str(folder)
        for path in trusted
        for folder in [path, *path.parents]
        if app_may_change(state.get(folder), user)
    }
    assert not in_the_apps_hands, "the app user may change these (path: by way of)"


def test_the_app_user_owns_only_folders_nothing_of_root_is_in():
    state, user = guide_ownership(), app_user()
    owned = {path for path, entry in state.items() if entry.owner == user}
    # The SQLite folder: proof that this test reads an owner the guide gives.
    assert owned == {PurePosixPath("/var/lib/inkpot")}
    for path in paths_root_trusts():
        assert not any(path.is_relative_to(folder) for folder in owned), path


# The app user's stand-in on this machine, for the tests that switch users for real.
STAND_IN = "nobody"


@pytest.fixture
def scratch():
    """A temporary folder the stand-in user may enter, as /var/log is; removed afterwards."""
    if os.geteuid() != 0:
        unavailable("creates folders owned by other users: needs root")
    if system_program("runuser") is None:
        unavailable("runuser is not installed (util-linux)")
    try:
        pwd.getpwnam(STAND_IN)
    except KeyError:
        unavailable(f"there is no user {STAND_IN!r} to stand in for the app's")
    folder = Path(tempfile.mkdtemp(prefix="inkpot-guide-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def with_the_stand_in(argv: list[str]) -> list[str]:
    """An `install` command with the app user and group replaced by the stand-in's."""
    user = pwd.getpwnam(STAND_IN)
    stand_ins = {"-o": STAND_IN, "-g": grp.getgrgid(user.pw_gid).gr_name}
    return [
        stand_ins.get(option, word) if word == app_user() else word
        for option, word in zip(["", *argv], argv, strict=False)
    ]


def redirect_and_log(scratch: Path, log_folder: Path) -> str:
    """The attack: the app user swaps the log for a link to a root-only file, root logs.

    Returns what the root-only file then holds.
    """
    secret = scratch / "root-only"
    secret.write_text("root's own\n")
    secret.chmod(0o600)
    log = log_folder / "error.log"
    log.write_text("")  # supervisord (root) made it at its first start
    swap = f'rm -f "{log}" && ln -s "{secret}" "{log}"'
    subprocess.run(["runuser", "-u", STAND_IN, "--", "sh", "-c", swap], timeout=30, check=False)
    with open(log, "a") as output:  # what supervisord, as root, does with a log line
        output.write("[INFO] Booting worker\n")
    return secret.read_text()


def test_the_log_folder_as_the_guide_makes_it_keeps_roots_writes_where_they_belong(scratch):
    (log_file, *_) = supervisor_log_files()
    (command,) = [c for c in named("install") if c.argv[-1] == str(log_file.parent)]
    log_folder = scratch / log_file.parent.relative_to("/")
    log_folder.parent.mkdir(parents=True)
    # The guide's own command, in the scratch folder, the stand-in taking the app user's place.
    argv = with_the_stand_in(command.argv[:-1])
    subprocess.run([*argv, str(log_folder)], check=True, timeout=30)

    assert redirect_and_log(scratch, log_folder) == "root's own\n"
    assert (log_folder / "error.log").read_text() == "[INFO] Booting worker\n"


def test_a_log_folder_the_app_user_owned_would_send_roots_writes_anywhere(scratch):
    # The folder as the guide used to make it: the attack the test above fends off.
    log_folder = scratch / "var" / "log" / "inkpot"
    log_folder.parent.mkdir(parents=True)
    install = ["install", "-d", "-o", app_user(), "-g", app_user(), "-m", "0750"]
    subprocess.run([*with_the_stand_in(install), str(log_folder)], check=True, timeout=30)

    assert redirect_and_log(scratch, log_folder) == "root's own\n[INFO] Booting worker\n"


def nginx_log_files() -> set[PurePosixPath]:
    nginx = nginx_paths(NGINX_SITE.read_text())
    return nginx["access_log"] | nginx["error_log"]


def first_run_of_nginx() -> int:
    """Where the guide first runs nginx on the site (`nginx -t` opens, and makes, its logs)."""
    return next(n for n, c in enumerate(guide_commands()) if c.argv[0] == "nginx")


def test_nginxs_log_files_are_root_and_adms_before_nginx_first_opens_them():
    state, commands = guide_ownership(), guide_commands()
    assert len(nginx_log_files()) == 2
    for log_file in nginx_log_files():
        entry = state.get(log_file)
        assert entry is not None, f"the guide does not make {log_file}"
        assert (entry.owner, entry.group) == ("root", "adm"), log_file
        assert entry.mode & 0o040 and not entry.mode & 0o007, oct(entry.mode)
        made = [
            number
            for number, command in enumerate(commands)
            if command.argv[0] in {"touch", "install", "chown", "chmod"}
            and str(log_file) in command.argv
        ]
        assert max(made) < first_run_of_nginx(), f"{log_file} is made after nginx runs"


def test_debians_default_site_is_gone_before_nginx_first_runs():
    # Its default_server would answer other names with nginx's welcome page.
    (removal,) = [c for c in named("rm") if "/etc/nginx/sites-enabled/default" in c.argv]
    assert guide_commands().index(removal) < first_run_of_nginx()


def run_nginx_t(scratch: Path) -> None:
    """`nginx -t` on a config with the site's log directives, their files in the scratch folder."""
    nginx = system_program("nginx")
    if nginx is None:
        unavailable("nginx is not installed (apt-get install nginx)")
    lines = [f'pid "{scratch}/nginx.pid";', "events {}", "http {"]
    lines += [f'    {kind}_temp_path "{scratch}/{kind}";' for kind in render.TEMP_PATHS]
    for directive, paths in nginx_paths(NGINX_SITE.read_text()).items():
        if directive in {"access_log", "error_log"}:
            lines += [f'    {directive} "{scratch}{path}";' for path in sorted(paths)]
    config = scratch / "nginx.conf"
    config.write_text("\n".join([*lines, "}", ""]))
    checked = subprocess.run(
        [nginx, "-t", "-p", f"{scratch}/", "-e", f"{scratch}/startup.log", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_nginx_keeps_the_owner_and_mode_the_guide_gives_its_log_files(scratch):
    # The guide's own commands, on the same paths inside the scratch folder.
    (scratch / "var" / "log" / "nginx").mkdir(parents=True)
    for command in guide_commands()[: first_run_of_nginx()]:
        if any(PurePosixPath(word) in nginx_log_files() for word in command.argv):
            argv = [f"{scratch}{w}" if w.startswith("/var/log/") else w for w in command.argv]
            subprocess.run(argv, check=True, timeout=30)

    run_nginx_t(scratch)

    for log_file in nginx_log_files():
        made = (scratch / log_file.relative_to("/")).stat()
        assert (made.st_uid, made.st_gid) == (0, grp.getgrnam("adm").gr_gid)
        assert stat.S_IMODE(made.st_mode) == 0o640


def test_log_files_nginx_makes_itself_are_world_readable(scratch):
    # What the commands above prevent: nginx, as root, makes a missing log 0644 root:root.
    (scratch / "var" / "log" / "nginx").mkdir(parents=True)

    run_nginx_t(scratch)

    for log_file in nginx_log_files():
        assert stat.S_IMODE((scratch / log_file.relative_to("/")).stat().st_mode) == 0o644


def test_every_shell_block_is_valid_bash():
    for block in shell_blocks(GUIDE.read_text()):
        checked = subprocess.run(
            ["bash", "-n"], input=block.text, capture_output=True, text=True, timeout=30
        )
        assert checked.returncode == 0, f"{block.section}: {checked.stderr}"


def test_the_repository_files_the_guide_uses_exist():
    top_level = {path.name for path in render.REPOSITORY.iterdir() if not path.name.startswith(".")}
    checkout = f"{code_folder()}/"
    used = set()
    for command in guide_commands(on_server=False):
        for word in command.argv:
            relative = word.removeprefix(checkout)
            if relative.split("/")[0] in top_level and "/" in relative:
                used.add(relative)
    assert {"deploy/inkpot.env.example", "deploy/inkpot-flask", "deploy/render.py"} <= used
    for path in used:
        assert (render.REPOSITORY / path).exists(), path


def makefile_targets() -> set[str]:
    text = (render.REPOSITORY / "Makefile").read_text()
    return set(re.findall(r"^([\w-]+):", text, re.MULTILINE))


def test_every_make_target_the_guide_runs_exists():
    called = {
        word
        for command in guide_commands(on_server=False)
        if command.argv[0] == "make"
        for word in command.argv[1:]
        if "=" not in word
    }
    assert called
    assert called <= makefile_targets()


def test_a_server_gets_the_production_install_without_development_tools():
    installs = named("make")
    assert installs
    assert all(c.argv[1:] == ["install-production"] for c in installs), installs
    recipe = subprocess.run(
        ["make", "-n", "-C", str(render.REPOSITORY), "install-production", "PYTHON=python3"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    assert "pip install" in recipe
    assert "-e ." in recipe
    assert "[dev]" not in recipe


def test_the_env_file_is_where_every_reader_looks_for_it():
    (copied,) = [c for c in named("install") if "deploy/inkpot.env.example" in c.argv]
    env_file = copied.argv[-1]
    assert f'INKPOT_ENV_FILE="{env_file}"' in supervisor_programs()["inkpot"]["environment"]
    assert str(DEFAULT_ENV_FILE) == env_file
    assert f"${{INKPOT_ENV_FILE:-{env_file}}}" in WRAPPER.read_text()
    # Step 7 reads LAYOUT from it too.
    (static,) = [c for c in guide_commands() if "static-locations" in c.argv]
    assert static.argv[static.argv.index("--env-file") + 1] == env_file


def test_the_code_is_where_the_configs_look_for_it():
    (clone,) = [c for c in named("git") if c.argv[1] == "clone"]
    checkout = PurePosixPath(clone.argv[-1])
    assert code_folder() == checkout
    gunicorn = shlex.split(supervisor_programs()["inkpot"]["command"])[0]
    assert PurePosixPath(gunicorn).is_relative_to(checkout / ".venv")
    assert nginx_paths(NGINX_SITE.read_text())["alias"] == {checkout / "deploy" / "errors"}


def test_the_log_folder_the_guide_makes_holds_every_log_supervisor_writes():
    folders = {PurePosixPath(c.argv[-1]) for c in named("install") if "-d" in c.argv}
    for log_file in supervisor_log_files():
        assert log_file.parent in folders, log_file


def test_the_configs_go_where_their_programs_read_them():
    copies = {c.argv[1]: c.argv[2] for c in named("cp")}
    assert copies["deploy/supervisor/inkpot.conf"].startswith("/etc/supervisor/conf.d/")
    assert copies["deploy/supervisor/inkpot.conf"].endswith(".conf")
    site = PurePosixPath(copies["deploy/nginx/inkpot.conf"])
    assert site.parent == PurePosixPath("/etc/nginx/sites-available")
    links = {c.argv[-1]: c.argv[-2] for c in named("ln")}
    assert links[f"/etc/nginx/sites-enabled/{site.name}"] == f"../sites-available/{site.name}"
    # The static locations go where the site includes them.
    (snippet,) = [arg for c in named("tee") for arg in c.argv[1:]]
    assert PurePosixPath(snippet) in nginx_paths(NGINX_SITE.read_text())["include"]


def test_the_flask_wrapper_is_linked_where_sudo_finds_it():
    (link,) = [c for c in named("ln") if c.argv[-1].endswith("/inkpot-flask")]
    assert link.argv[-2] == f"{code_folder()}/deploy/inkpot-flask"
    assert str(PurePosixPath(link.argv[-1]).parent) in SUDO_PATH


def test_flask_runs_only_through_the_wrapper_and_no_block_relies_on_another():
    # A shell function or variable lives only in the shell that defined it.
    for block in shell_blocks(GUIDE.read_text()):
        assert not re.search(r"^\s*[\w-]+\s*\(\)\s*\{", block.text, re.MULTILINE), block.section
    for command in guide_commands():
        assert command.argv[0] != "flask" and not command.argv[0].endswith("/flask"), command
        if command.argv[0] == "inkpot-flask":
            assert command.actor == "root", f"{command}: the wrapper switches user with runuser"
    assert len(named("inkpot-flask")) >= 3  # the schema, the admin, a new version's schema


def test_the_layout_comes_from_the_env_file_not_the_guide():
    for command in guide_commands():
        assert "--layout" not in command.argv, command


def test_the_logs_are_read_with_sudo():
    readers = [c for c in guide_commands() if any(a.startswith("/var/log/") for a in c.argv)]
    assert {c.argv[0] for c in readers} >= {"grep", "tail"}
    for command in readers:
        assert command.actor == "root", command


def test_supervisorctl_names_programs_the_configs_define():
    programs = supervisor_programs()
    for command in named("supervisorctl"):
        action, *rest = command.argv[1:]
        # A bare `status` names no program: it shows them all.
        if action in {"status", "start", "stop", "restart", "tail"} and rest:
            assert rest[-1] in programs or rest[-2] in programs, command
        elif action == "signal":
            assert rest[1] in programs, command


def test_the_guide_waits_out_startsecs_before_expecting_running():
    # supervisor says STARTING until a program has stayed up for startsecs.
    programs = supervisor_programs()
    for block in shell_blocks(GUIDE.read_text()):
        commands = commands_of(block)
        for position, command in enumerate(commands):
            started = any(
                c.argv[:1] == ["supervisorctl"] and c.argv[1] in {"update", "start", "restart"}
                for c in commands[:position]
            )
            # Only a status right after (re)starting expects RUNNING; watching needs no wait.
            if command.argv[:2] == ["supervisorctl", "status"] and started:
                waits = [c for c in commands[:position] if c.argv[0] == "sleep"]
                assert waits, f"{block.section}: status without a wait"
                # A bare `status` shows every program: wait out the slowest to start.
                named = command.argv[2:] or list(programs)
                slowest = max(int(programs[name]["startsecs"]) for name in named)
                assert int(waits[-1].argv[1]) > slowest


def test_health_checks_of_the_app_name_the_sites_host():
    # The app answers only its own host name (TRUSTED_HOSTS from PUBLIC_URL).
    for command in named("curl"):
        if any(re.match(r"https?://(127\.0\.0\.1|localhost)[:/]", a) for a in command.argv):
            assert "-H" in command.argv or "--resolve" in command.argv, command
            if "-H" in command.argv:
                assert command.argv[command.argv.index("-H") + 1].startswith("Host: "), command


def test_certbot_gets_the_certificate_only_and_reloads_nginx_after_renewals():
    # `certbot --nginx` alone edits the site, and the config's HTTPS comment then
    # adds a second `listen 443`.
    (certbot,) = named("certbot")
    assert certbot.argv[1] == "certonly"
    assert "--nginx" in certbot.argv
    assert certbot.argv[certbot.argv.index("--deploy-hook") + 1] == "systemctl reload nginx"
    assert "certbot certonly --nginx" in NGINX_SITE.read_text()
    after = guide_commands()[guide_commands().index(certbot) :]
    assert ["nginx", "-t"] in [c.argv for c in after]


def test_the_settings_the_guide_names_are_in_the_env_file():
    guide = GUIDE.read_text()
    named_settings = set(re.findall(r"`([A-Z][A-Z0-9_]+)=", guide))
    sizing = guide[guide.index("| setting (env file)") : guide.index("gevent overlaps")]
    named_settings |= set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", sizing, re.MULTILINE))
    assert {"PSYCOPG_WAIT_FUNC", "WEB_CONCURRENCY", "GUNICORN_BIND"} <= named_settings
    example = ENV_EXAMPLE.read_text()
    for name in named_settings:
        assert re.search(rf"^#?{name}=", example, re.MULTILINE), name


def test_the_log_table_names_the_configs_log_files():
    guide = GUIDE.read_text()
    table = guide[
        guide.index("| log | what |") : guide.index("```sh", guide.index("| log | what |"))
    ]
    listed = {PurePosixPath(p) for p in re.findall(r"^\| `(/var/log/[^`]+)`", table, re.MULTILINE)}
    nginx = nginx_paths(NGINX_SITE.read_text())
    shipped = supervisor_log_files() | nginx["access_log"] | nginx["error_log"]
    assert shipped <= listed
    # The rest is supervisord's own log, where Debian's package puts it.
    assert listed - shipped == {PurePosixPath("/var/log/supervisor/supervisord.log")}


def test_the_guide_says_forms_need_https_where_the_site_is_first_opened():
    guide = GUIDE.read_text()
    step_7 = guide[guide.index("### 7. nginx") : guide.index("### 8. HTTPS")]
    assert "open <http://blog.example.com/> in a browser" in step_7
    assert "forms\nneed HTTPS" in step_7


# --- Redis ------------------------------------------------------------------------

# The systemd unit of Debian's (and Ubuntu's) redis-server package for more instances.
REDIS_INSTANCE_UNIT = Path("/lib/systemd/system/redis-server@.service")


def redis_installs() -> dict[str, PurePosixPath]:
    """Each shipped Redis config the guide installs, and where it goes."""
    return {
        c.argv[-2]: PurePosixPath(c.argv[-1])
        for c in named("install")
        if c.argv[-2].startswith("deploy/redis/")
    }


def enabled_redis_instances() -> list[str]:
    (enable,) = [c for c in named("systemctl") if "enable" in c.argv]
    return [unit.removeprefix("redis-server@") for unit in enable.argv if "@" in unit]


def shipped(name: str) -> dict[str, str]:
    return redis_directives(render.DEPLOY / "redis" / name)


def test_each_redis_config_goes_where_its_systemd_instance_reads_it():
    installs = redis_installs()
    assert set(installs) == {f"deploy/redis/{conf.name}" for conf in REDIS_CONFS}
    assert len(enabled_redis_instances()) == len(installs) == 2
    for source, target in installs.items():
        # redis-server@NAME reads /etc/redis/redis-NAME.conf and waits for its pid file.
        instance = target.name.removeprefix("redis-").removesuffix(".conf")
        assert target == PurePosixPath(f"/etc/redis/redis-{instance}.conf")
        assert instance in enabled_redis_instances()
        pidfile = redis_directives(render.REPOSITORY / source)["pidfile"]
        assert pidfile == f"/run/redis-{instance}/redis-server.pid"
    if REDIS_INSTANCE_UNIT.exists():  # the unit as this machine's package ships it
        unit = REDIS_INSTANCE_UNIT.read_text()
        assert "ExecStart=/usr/bin/redis-server /etc/redis/redis-%i.conf " in unit
        assert "PIDFile=/run/redis-%i/redis-server.pid" in unit


def test_debians_own_passwordless_redis_is_stopped_before_ours_takes_its_port():
    commands = [c.argv for c in guide_commands()]
    disable = commands.index(["systemctl", "disable", "--now", "redis-server"])
    starts = ["systemctl", "enable", "--now"]
    enable = next(number for number, argv in enumerate(commands) if argv[:3] == starts)
    assert disable < enable
    assert shipped("inkpot.conf")["port"] == "6379"  # the port Debian's own listened on


def test_the_redis_configs_hold_the_password_for_root_and_redis_only():
    state, user = guide_ownership(), app_user()
    assert len(redis_installs()) == 2
    for target in redis_installs().values():
        entry = state[target]
        assert (entry.owner, entry.group) == ("root", "redis"), target
        assert entry.mode & 0o007 == 0, f"{target}: readable by every user"
        assert not app_may_change(entry, user)


def test_both_redis_instances_listen_on_loopback_and_ask_for_a_password():
    assert len(REDIS_CONFS) == 2
    for conf in REDIS_CONFS:
        directives = redis_directives(conf)
        assert directives["bind"].split() == ["127.0.0.1", "-::1"], conf.name
        assert directives["protected-mode"] == "yes", conf.name
        assert directives["requirepass"] == REDIS_PASSWORD_PLACEHOLDER, conf.name


def test_the_page_caches_evictions_cannot_touch_the_queue_or_the_counts():
    queue, cache = shipped("inkpot.conf"), shipped("inkpot-cache.conf")
    # The queue's instance never evicts, and has no limit that would make it refuse work.
    assert queue["maxmemory-policy"] == "noeviction"
    assert "maxmemory" not in queue
    # The cache's is bounded, and drops its least recently used copies when full.
    assert re.fullmatch(r"[1-9]\d*mb", cache["maxmemory"])
    assert cache["maxmemory-policy"] == "allkeys-lru"
    assert cache["save"] == '""' and cache["appendonly"] == "no"
    assert queue["port"] != cache["port"]


def test_every_redis_url_carries_the_password_of_the_instance_it_names():
    ports = {name: int(shipped(name)["port"]) for name in ("inkpot.conf", "inkpot-cache.conf")}
    wanted = {
        "RATELIMIT_STORAGE_URI": ports["inkpot.conf"],
        "CELERY_BROKER_URL": ports["inkpot.conf"],
        "CACHE_REDIS_URL": ports["inkpot-cache.conf"],
    }
    example = read_env_file(ENV_EXAMPLE)
    urls = {name: value for name, value in example.items() if value.startswith("redis")}
    assert set(urls) == set(wanted)
    for name, url in urls.items():
        parts = urlsplit(url)
        assert (parts.hostname, parts.port) == ("127.0.0.1", wanted[name]), name
        assert parts.password == REDIS_PASSWORD_PLACEHOLDER, name
    # The guide puts one new password in place of the placeholder, in the same block,
    # in the env file and in both Redis configs.
    (block,) = [b for b in shell_blocks(GUIDE.read_text()) if "requirepass" in b.text]
    commands = [c.argv for c in commands_of(block)]
    (made,) = [argv for argv in commands if argv[0].startswith("redis_password=")]
    assert made == ["redis_password=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"]
    seds = [argv for argv in commands if argv[0] == "sed"]
    (in_env_file,) = [argv for argv in seds if argv[-1] == str(DEFAULT_ENV_FILE)]
    assert f"s/{REDIS_PASSWORD_PLACEHOLDER}/$redis_password/g" in in_env_file
    (in_redis,) = [argv for argv in seds if "/etc/redis/" in argv[-1]]
    assert in_redis[-3] == (
        f"s/^requirepass {REDIS_PASSWORD_PLACEHOLDER}$/requirepass $redis_password/"
    )
    assert set(in_redis[-2:]) == {str(target) for target in redis_installs().values()}


@pytest.fixture
def redis_tools():
    for program in ("redis-server", "redis-cli"):
        if system_program(program) is None:
            unavailable(f"{program} is not installed (apt-get install redis-server)")


def test_another_user_of_the_machine_can_neither_read_nor_write_redis(scratch, redis_tools):
    for program, conf_name in render.REDIS_CONFIGS.items():
        # The shipped config with a password put in, as the guide does, on free ports.
        stack = Stack("functional", scratch / "run")
        (scratch / "run" / program).mkdir(parents=True)
        conf = scratch / f"{program}.conf"
        render.write_private(conf, render.local_redis(stack, program))
        port = stack.redis_ports[program]
        server = subprocess.Popen(
            [system_program("redis-server"), str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(lambda p=port: accept_connections([p]), 10, f"{conf_name}'s redis-server")
            for command in (["SET", "planted", "x"], ["KEYS", "*"], ["CONFIG", "GET", "*"]):
                answer = subprocess.run(
                    ["runuser", "-u", STAND_IN, "--", "redis-cli", "-p", str(port), *command],
                    capture_output=True,
                    text=True,
                    timeout=30,
                    check=False,
                )
                assert "NOAUTH Authentication required" in answer.stdout + answer.stderr
            owner = redis.Redis(port=port, password=stack.redis_password(), socket_timeout=5)
            assert owner.dbsize() == 0
        finally:
            server.terminate()
            server.wait(timeout=10)


def test_another_user_cannot_read_the_password_from_the_installed_config(scratch):
    try:
        grp.getgrnam("redis")
    except KeyError:
        unavailable("there is no group redis (apt-get install redis-server)")
    assert len(redis_installs()) == 2
    for source in redis_installs():
        # The guide's own command, into the scratch folder.
        (command,) = [c for c in named("install") if c.argv[-2] == source]
        target = scratch / PurePosixPath(command.argv[-1]).name
        subprocess.run([*command.argv[:-1], str(target)], cwd=render.REPOSITORY, check=True)
        read = subprocess.run(
            ["runuser", "-u", STAND_IN, "--", "cat", str(target)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert read.returncode != 0 and "requirepass" not in read.stdout, source


def test_the_parser_reads_who_runs_a_command_and_its_options():
    block = Block("x", "cd /srv && sudo install -o root -g inkpot -m 0640 a /etc/inkpot/env", True)
    cd, install = commands_of(block)
    assert (cd.actor, cd.argv) == (OPERATOR, ["cd", "/srv"])
    assert install.actor == "root"
    assert options(install.argv[1:], "ogm") == (
        {"o": "root", "g": "inkpot", "m": "0640"},
        ["a", "/etc/inkpot/env"],
    )
    (as_postgres,) = commands_of(Block("x", "sudo -u postgres createdb x", True))
    assert (as_postgres.actor, as_postgres.argv) == ("postgres", ["createdb", "x"])
