"""The rendered configs, deploy/gunicorn.conf.py and `make serve`'s checks, without servers."""

import os
import runpy
import shlex
import stat

import pytest

import deploy.serve
from deploy import LAYOUTS, layout_module, render
from deploy.processes import system_program
from deploy.stack import Stack

GUNICORN_CONF = str(render.DEPLOY / "gunicorn.conf.py")


def load_gunicorn_conf(monkeypatch, env_file, **environment) -> dict:
    """The settings deploy/gunicorn.conf.py resolves, executed as gunicorn executes it."""
    for name in ("WEB_CONCURRENCY", "GUNICORN_BIND", "GUNICORN_CONTROL_SOCKET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INKPOT_ENV_FILE", str(env_file))
    return runpy.run_path(GUNICORN_CONF)


def test_serve_without_nginx_says_how_to_install_it_and_fails(monkeypatch, capsys):
    monkeypatch.setattr(deploy.serve, "find_nginx", lambda: None)
    assert deploy.serve.main(["--layout", "functional"]) == 1
    assert "apt-get install nginx" in capsys.readouterr().err


def test_serve_without_redis_says_how_to_install_it_and_fails(monkeypatch, capsys):
    monkeypatch.setattr(deploy.serve, "find_nginx", lambda: "/usr/sbin/nginx")
    monkeypatch.setattr(deploy.serve, "system_program", lambda name: None)
    assert deploy.serve.main(["--layout", "functional"]) == 1
    assert "apt-get install redis-server" in capsys.readouterr().err


def test_rendering_fails_loudly_when_a_shipped_value_it_swaps_is_gone():
    shipped = (render.DEPLOY / "nginx" / "inkpot.conf").read_text()
    edited = shipped.replace("server_name inkpot.example.com;", "server_name blog.example.org;")
    with pytest.raises(render.RenderError, match="server_name"):
        render.swap(edited, "inkpot.conf", [(r"^    server_name inkpot\.example\.com;", "x")])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_static_locations_cover_every_static_route_of_the_app(layout):
    app = layout_module(layout).create_app(
        {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    routes = {
        rule.rule.removesuffix("<path:filename>")
        for rule in app.url_map.iter_rules()
        if rule.endpoint == "static" or rule.endpoint.endswith(".static")
    }
    locations = render.static_locations(layout)
    assert "/static/" in routes
    for prefix in routes:
        assert f"location ^~ {prefix} {{" in locations


def test_static_locations_are_for_the_layout_the_env_file_names(tmp_path, capsys):
    env_file = tmp_path / "inkpot.env"
    env_file.write_text("APP_ENV=production\nLAYOUT='divisional'\n")
    assert render.main(["static-locations", "--env-file", str(env_file)]) == 0
    assert capsys.readouterr().out == render.static_locations("divisional")

    env_file.write_text("LAYOUT=flat\n")
    with pytest.raises(SystemExit):
        render.main(["static-locations", "--env-file", str(env_file)])
    assert "LAYOUT='flat' is not one of functional, divisional" in capsys.readouterr().err


def gunicorn_command(supervisord_conf: str) -> list[str]:
    """The command line of the rendered [program:inkpot]."""
    line = next(line for line in supervisord_conf.splitlines() if "bin/gunicorn " in line)
    return shlex.split(line.removeprefix("command="))


def worker_command(supervisord_conf: str) -> list[str]:
    """The command line of the rendered [program:inkpot-worker]: sh, -c, its script."""
    section = supervisord_conf[supervisord_conf.index("[program:inkpot-worker]") :]
    line = next(line for line in section.splitlines() if line.startswith("command="))
    return shlex.split(line.removeprefix("command="))


@pytest.mark.smoke
def test_a_stack_as_deployed_runs_the_shipped_commands_and_the_local_programs(tmp_path):
    config = Stack("functional", tmp_path)
    render.render(config)
    conf = config.supervisord_conf.read_text()
    assert gunicorn_command(conf)[1:] == ["--config", str(render.DEPLOY / "gunicorn.conf.py")]
    # The shipped worker: sh loads the web app's env file, then becomes the worker.
    sh, option, script = worker_command(conf)
    env_file = config.env_file()
    assert (sh, option) == ("/bin/sh", "-c")
    assert script == (
        f"set -a && . {env_file} && exec {render.environment_program('celery')} "
        "--app deploy.worker worker --beat --concurrency 2 --loglevel INFO"
    )
    for program in ("nginx", "redis", "redis-cache", "smtp-sink"):
        assert f"[program:{program}]" in conf
    assert "WEB_CONCURRENCY" not in env_file.read_text()


def test_a_stacks_fields_become_gunicorn_options_and_programs(tmp_path):
    config = Stack(
        "functional",
        tmp_path,
        workers=1,
        worker_class="sync",
        max_requests=0,
        wsgi_app="bench.hello:app",
        gunicorn_args=("--preload",),
        worker_args=("--concurrency", "1"),
        redis_port=6399,
        cache_redis_port=6398,
        cache_memory="8mb",
    )
    render.render(config)
    conf = config.supervisord_conf.read_text()
    assert gunicorn_command(conf)[3:] == [
        "--worker-class",
        "sync",
        "--max-requests",
        "0",
        "--preload",
        "bench.hello:app",
    ]
    assert "WEB_CONCURRENCY=1\n" in config.env_file().read_text()
    assert worker_command(conf)[2].endswith("--loglevel INFO --concurrency 1")
    queue, cache = (config.redis_conf(name).read_text() for name in ("redis", "redis-cache"))
    assert "\nport 6399\n" in queue and "\nport 6398\n" in cache
    assert "\nmaxmemory 8mb\n" in cache
    assert (tmp_path / "redis").is_dir() and (tmp_path / "redis-cache").is_dir()


def test_a_stacks_redis_runs_deploys_configs_with_a_password_no_command_line_shows(tmp_path):
    config = Stack("functional", tmp_path)
    render.render(config)
    password = config.redis_password()
    assert len(password) >= 32
    conf = config.supervisord_conf.read_text()
    assert password not in conf
    for name, shipped in render.REDIS_CONFIGS.items():
        rendered = config.redis_conf(name)
        assert f"command={system_program('redis-server') or 'redis-server'} {rendered}\n" in conf
        assert stat.S_IMODE(rendered.stat().st_mode) == 0o600
        lines = set(rendered.read_text().splitlines())
        # The shipped config's rules hold locally; only ports, paths and saving differ.
        shipped_lines = set((render.DEPLOY / "redis" / shipped).read_text().splitlines())
        kept = {"bind 127.0.0.1 -::1", "protected-mode yes"}
        kept |= {line for line in shipped_lines if line.startswith("maxmemory")}
        assert kept <= lines, name
        assert f"requirepass {password}" in lines
        assert f"port {config.redis_ports[name]}" in lines
        assert 'save ""' in lines and "appendonly no" in lines
        assert f'dir "{tmp_path / name}"' in lines
    # Every Redis URL the app and the worker get carries the password.
    for url in (config.redis_url, config.broker_url, config.cache_url):
        assert url.startswith(f"redis://:{password}@127.0.0.1:"), url
        assert f"={url}\n" in config.env_file().read_text()
    assert f"@127.0.0.1:{config.cache_redis_port}/" in config.cache_url


def test_gunicorn_workers_default_to_twice_the_cores_plus_one(monkeypatch, tmp_path):
    empty = tmp_path / "inkpot.env"
    empty.write_text("")
    settings = load_gunicorn_conf(monkeypatch, empty)
    assert settings["workers"] == 2 * os.cpu_count() + 1
    assert settings["worker_class"] == "gevent"
    assert settings["bind"] == ["127.0.0.1:8000"]
    assert settings["control_socket_disable"] is True


def test_gunicorn_env_file_values_win_and_reach_the_workers(monkeypatch, tmp_path):
    env_file = tmp_path / "inkpot.env"
    env_file.write_text(
        "# a comment\n\nWEB_CONCURRENCY=3\nexport LAYOUT='divisional'\n"
        'SECRET_KEY="with = sign"\nGUNICORN_BIND=127.0.0.1:9001,127.0.0.1:9002\n'
    )
    settings = load_gunicorn_conf(monkeypatch, env_file, WEB_CONCURRENCY="9")
    assert settings["workers"] == 3
    assert settings["bind"] == ["127.0.0.1:9001", "127.0.0.1:9002"]
    assert "LAYOUT=divisional" in settings["raw_env"]
    assert "SECRET_KEY=with = sign" in settings["raw_env"]


def test_gunicorn_refuses_an_env_file_it_cannot_read(monkeypatch, tmp_path):
    with pytest.raises(FileNotFoundError):
        load_gunicorn_conf(monkeypatch, tmp_path / "missing.env")
    broken = tmp_path / "broken.env"
    broken.write_text("WEB_CONCURRENCY 3\n")
    with pytest.raises(ValueError, match="expected KEY=value"):
        load_gunicorn_conf(monkeypatch, broken)
