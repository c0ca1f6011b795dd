"""deploy/README.md, parsed: its shell commands, and what the shipped configs name.

The guide's blocks become commands (who runs them, with what arguments); the
supervisor and nginx configs give the paths root writes to or trusts; together
they give the owners and modes a server has once the guide is followed.
"""

import configparser
import re
import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath

from deploy import LAYOUTS, render

GUIDE = render.DEPLOY / "README.md"
ENV_EXAMPLE = render.DEPLOY / "inkpot.env.example"
NGINX_SITE = render.DEPLOY / "nginx" / "inkpot.conf"
SUPERVISOR_CONFS = sorted((render.DEPLOY / "supervisor").glob("*.conf"))
WRAPPER = render.DEPLOY / "inkpot-flask"
REDIS_CONFS = sorted((render.DEPLOY / "redis").glob("*.conf"))
# Where the guide's part for a server begins; what comes before runs on a laptop.
SERVER_PART = "## Install on a fresh server"
# sudo's secure_path on Debian and Ubuntu: where `sudo NAME` finds a command.
SUDO_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
# The operator's own user, who is neither root nor the app's.
OPERATOR = "operator"


@dataclass
class Block:
    section: str
    text: str
    on_server: bool


@dataclass
class Command:
    actor: str  # root (sudo), another user (sudo -u), or the operator
    argv: list[str]

    def __str__(self) -> str:
        return shlex.join(self.argv)


def shell_blocks(guide: str) -> list[Block]:
    """Every ```sh block, with the heading it sits under."""
    blocks, section, on_server = [], "", False
    fence: list[str] | None = None  # the lines of the fenced block being read
    language = ""
    for line in guide.splitlines():
        if fence is not None:
            if line.strip() == "```":
                if language == "sh":
                    blocks.append(Block(section, "\n".join(fence), on_server))
                fence = None
            else:
                fence.append(line)
        elif line.strip().startswith("```"):
            fence, language = [], line.strip().removeprefix("```")
        elif line.startswith("#"):
            section = line.lstrip("#").strip()
            on_server = on_server or line == SERVER_PART
    return blocks


def commands_of(block: Block) -> list[Command]:
    """The simple commands of a block, split at newlines, `&&`, `||`, `|` and `;`."""
    found = []
    for line in block.text.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        argv: list[str] = []
        for token in [*lexer, ";"]:
            if token in {"&&", "||", "|", ";"}:
                if argv:
                    found.append(as_run(argv))
                argv = []
            else:
                argv.append(token)
    return found


def as_run(argv: list[str]) -> Command:
    if argv[0] != "sudo":
        return Command(OPERATOR, argv)
    if argv[1] == "-u":
        return Command(argv[2], argv[3:])
    return Command("root", argv[1:])


def guide_commands(on_server: bool = True) -> list[Command]:
    blocks = shell_blocks(GUIDE.read_text())
    return [c for b in blocks if b.on_server or not on_server for c in commands_of(b)]


def named(program: str) -> list[Command]:
    return [c for c in guide_commands() if c.argv[0] == program]


# --- What the shipped configs name ----------------------------------------------


def supervisor_programs() -> dict[str, dict[str, str]]:
    programs = {}
    for conf in SUPERVISOR_CONFS:
        parser = configparser.RawConfigParser(comment_prefixes=(";", "#"))
        parser.read(conf)
        for section in parser.sections():
            if section.startswith("program:"):
                programs[section.removeprefix("program:")] = dict(parser[section])
    return programs


def supervisor_log_files() -> set[PurePosixPath]:
    return {
        PurePosixPath(value)
        for program in supervisor_programs().values()
        for key, value in program.items()
        if key.endswith("_logfile")
    }


def supervisor_paths() -> set[PurePosixPath]:
    """Every absolute path in a program's command, folder, environment and log files."""
    paths = set()
    for program in supervisor_programs().values():
        words = [*shlex.split(program["command"]), program.get("directory", "")]
        words += re.findall(r'="([^"]*)"', program.get("environment", ""))
        paths |= {PurePosixPath(word) for word in words if word.startswith("/")}
    return paths | supervisor_log_files()


def redis_directives(conf) -> dict[str, str]:
    """A Redis config's directives, name → value (the last one wins, as in Redis)."""
    directives = {}
    for line in conf.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.strip().partition(" ")
            directives[name.lower()] = value.strip()
    return directives


def app_user() -> str:
    (user,) = {program["user"] for program in supervisor_programs().values()}
    return user


# Directives that name a file or folder nginx (its root master, or its workers) opens.
NGINX_PATH_DIRECTIVE = re.compile(
    r"^\s*(access_log|error_log|include|alias|root|proxy_cache_path|ssl_certificate"
    r"|ssl_certificate_key|pid|\w+_temp_path)\s+\"?([^\s\";]+)",
    re.MULTILINE,
)


def nginx_paths(text: str) -> dict[str, set[PurePosixPath]]:
    """The paths of each directive of an nginx config, comments left out."""
    paths: dict[str, set[PurePosixPath]] = {}
    for directive, value in NGINX_PATH_DIRECTIVE.findall(text):
        paths.setdefault(directive, set()).add(PurePosixPath(value))
    return paths


def code_folder() -> PurePosixPath:
    (folder,) = {program["directory"] for program in supervisor_programs().values()}
    return PurePosixPath(folder)


def static_location_paths() -> set[PurePosixPath]:
    """The folders nginx serves static files from, as on the server (the code's own)."""
    paths = set()
    for layout in LAYOUTS:
        rendered = render.static_locations(layout).replace(
            str(render.REPOSITORY), str(code_folder())
        )
        paths |= set().union(*nginx_paths(rendered).values())
    return paths


def paths_root_trusts() -> set[PurePosixPath]:
    """What root writes (log files), runs or reads as trustworthy (code, configs, env file)."""
    return (
        supervisor_paths()
        | set().union(*nginx_paths(NGINX_SITE.read_text()).values())
        | static_location_paths()
        | {path for path, entry in guide_ownership().items() if entry.owner == "root"}
    )


# --- The owners and modes the guide's commands leave behind ----------------------


@dataclass
class Entry:
    owner: str
    group: str
    mode: int


def options(argv: list[str], with_values: str) -> tuple[dict[str, str], list[str]]:
    """Short options (those in with_values take a value) and the positional arguments."""
    found, positional, words = {}, [], iter(argv)
    for word in words:
        if word.startswith("-") and len(word) > 1:
            for position, letter in enumerate(word[1:], start=1):
                if letter in with_values:
                    found[letter] = word[position + 1 :] or next(words)
                    break
                found[letter] = ""
        else:
            positional.append(word)
    return found, positional


def guide_ownership() -> dict[PurePosixPath, Entry]:
    """Owner, group and mode of every path the server part creates, as its commands leave them."""
    state: dict[PurePosixPath, Entry] = {}
    cwd = PurePosixPath("/root")

    def created(path: str, actor: str, owner=None, group=None, mode=None, default=0o755):
        entry = Entry(owner or actor, group or owner or actor, int(mode or "0", 8) or default)
        if owner or group or mode:  # install's -o, -g and -m apply to an existing path too
            state[cwd / path] = entry
        else:  # a path made again (a second `make`) keeps its first owner
            state.setdefault(cwd / path, entry)

    for command in guide_commands():
        name, args, actor = command.argv[0], command.argv[1:], command.actor
        if name == "cd":
            cwd = cwd / args[0]
        elif name == "git" and args[0] == "clone":
            created(options(args[1:], "")[1][-1], actor)
        elif name == "make":
            created(".venv", actor)
        elif name == "install":
            opts, paths = options(args, "ogm")
            targets = paths if "d" in opts else paths[-1:]
            for path in targets:
                created(path, actor, opts.get("o"), opts.get("g"), opts.get("m"))
        elif name == "mkdir":
            opts, paths = options(args, "m")
            for path in paths:
                created(path, actor, mode=opts.get("m"))
        elif name in {"cp", "ln"}:
            created(options(args, "")[1][-1], actor, default=0o644)
        elif name == "tee":
            for path in options(args, "")[1]:
                created(path, actor, default=0o644)
        elif name == "chown":
            owner, _, group = options(args, "")[1][0].partition(":")
            for path in options(args, "")[1][1:]:
                entry = state.setdefault(cwd / path, Entry("root", "root", 0o755))
                entry.owner, entry.group = owner, group or entry.group
        elif name == "chmod":
            mode, *paths = options(args, "")[1]
            assert re.fullmatch(r"0?[0-7]{3}", mode), f"{command}: give modes in octal"
            for path in paths:
                state.setdefault(cwd / path, Entry("root", "root", 0o755)).mode = int(mode, 8)
        elif name == "adduser" and "--no-create-home" not in args:
            home = args[args.index("--home") + 1]
            created(home, args[-1])
    return state


def app_may_change(entry: Entry | None, user: str) -> bool:
    if entry is None:  # not made by the guide: the system's, root's
        return False
    return (
        entry.owner == user
        or (entry.group == user and bool(entry.mode & 0o020))
        or bool(entry.mode & 0o002)
    )
