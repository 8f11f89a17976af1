"""``vibrastic classroom …`` and ``vibrastic worker``: set up a classroom, grade its checks.

Thin: parse, call ``vibrastic.platform.classroom``, print. The database comes from
``--database-url`` or ``VIBRASTIC_DATABASE_URL`` (default: a SQLite file in the vibrastic home).
Exit codes: 0 on success, 2 on bad input (the message says what was wrong and what is expected).
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console

classroom_app = typer.Typer(no_args_is_help=True)  # its help line: COMMANDS in vibrastic.faces.cli
console = Console()
err = Console(stderr=True, soft_wrap=True)

DatabaseOption = Annotated[str | None, typer.Option(
    "--database-url", envvar="VIBRASTIC_DATABASE_URL",
    help="sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DB "
         "(default: classroom.db in the vibrastic home).")]


def database_url(given: str | None) -> str:
    """The classroom's database URL: the option, the environment, or the default SQLite file."""
    if given:
        return given
    from vibrastic.platform.paths import home_dir

    return f"sqlite:///{home_dir() / 'classroom.db'}"


def _usage(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    return typer.Exit(2)


def _engine(url: str):  # type: ignore[no-untyped-def]
    from vibrastic.platform.database import DatabaseURLError, connect

    try:
        return connect(url)
    except DatabaseURLError as exc:
        raise _usage(str(exc)) from None
    except Exception as exc:  # the server is down, the password is wrong, …
        raise _usage(f"cannot open the database {_safe(url)}: {type(exc).__name__}: "
                     f"{str(exc).splitlines()[0] if str(exc) else ''}") from None


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unreadable URL)"


@classroom_app.command("init")
def init(
    database: DatabaseOption = None,
    email: Annotated[str | None, typer.Option(help="The first instructor's e-mail.")] = None,
    name: Annotated[str | None, typer.Option(help="Their name, as learners see it.")] = None,
    username: Annotated[str | None, typer.Option(help="Their username.")] = None,
    password: Annotated[str | None, typer.Option(
        envvar="VIBRASTIC_INSTRUCTOR_PASSWORD", hide_input=True,
        help="Their password (at least 10 characters; asked for when not given).")] = None,
    course: Annotated[str, typer.Option(help="The course's short name, used in its URL.")]
    = "vibrastic101",
    title: Annotated[str | None, typer.Option(help="The course's title.")] = None,
) -> None:
    """Create the classroom database (or bring it up to date), a course and its first instructor.

    Every value can be given as an option (for scripts); missing ones are asked for.
    """
    from vibrastic.platform.classroom.accounts import PasswordRejected
    from vibrastic.platform.classroom.people import ClassroomError, create_course, create_user
    from vibrastic.platform.course import load_course

    url = database_url(database)
    engine = _engine(url)
    email = email or typer.prompt("Instructor's e-mail")
    name = name or typer.prompt("Instructor's name")
    username = username or typer.prompt("Username", default=email.split("@")[0].lower())
    if password is None:
        password = typer.prompt("Password (at least 10 characters)", hide_input=True,
                                confirmation_prompt=True)
    try:
        user_id = create_user(engine, email=email, name=name, username=username,
                              password=password)
        create_course(engine, slug=course, title=title or load_course().title,
                      instructor_id=user_id)
    except (ClassroomError, PasswordRejected) as exc:
        raise _usage(str(exc)) from None
    console.print(f"Classroom ready in {_safe(url)}: course [bold]{course}[/bold] with "
                  f"instructor {email.strip().lower()}.", highlight=False)
    console.print("Next: vibrastic classroom serve" + (
        "" if url.startswith("sqlite") else "   and, on each grading host: vibrastic worker"),
        highlight=False)


def worker(
    database: DatabaseOption = None,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Checks graded at once "
                                                                 "(one per core).")] = 1,
    once: Annotated[bool, typer.Option("--once", help="Grade what is queued, then exit.")]
    = False,
    nice: Annotated[int, typer.Option(min=0, max=19, help=(
        "CPU priority of the grading sandboxes, 0 (normal) to 19 (lowest). The default lets a "
        "web server on the same host answer pages first; 0 suits a host that only grades."))]
    = 10,
) -> None:
    """A grading worker: grades the classroom's queued checks in sandboxes until stopped."""
    url = database_url(database)
    engine = _engine(url)
    if engine.dialect.name != "postgresql":
        raise _usage("grading workers need a PostgreSQL classroom database "
                     "(postgresql+psycopg://…); with SQLite, `vibrastic classroom serve` "
                     "grades checks itself")
    from vibrastic.platform.classroom.grading import GraderPool, requeue_stale, run_worker
    from vibrastic.platform.grader.grade import GraderError

    requeue_stale(engine)
    console.print(f"vibrastic worker (pid {os.getpid()}): warming {concurrency} sandbox(es) for "
                  f"{_safe(url)} …", highlight=False)

    def ready(graders: GraderPool) -> None:
        console.print(f"ready: {len(graders.graders)} warm sandbox(es) "
                      f"({graders.graders[0].sandbox_label}, nice {nice}); grading checks"
                      + (" until the queue is empty" if once else "; Ctrl-C stops"),
                      highlight=False)

    try:
        run_worker(engine, concurrency=concurrency, wait=not once, on_ready=ready,
                   nice=nice)
    except GraderError as exc:
        err.print(f"[red]error:[/red] the grading sandbox could not start, so this worker takes "
                  f"no checks (they stay queued for another worker): {exc}", highlight=False)
        raise typer.Exit(1) from None


@classroom_app.command("serve")
def serve(
    database: DatabaseOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every network; "
                                           "put a TLS proxy in front).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    secure_cookies: Annotated[bool | None, typer.Option(
        "--secure-cookies/--no-secure-cookies",
        help="Send session cookies over HTTPS only (default: on, except on 127.0.0.1).")]
    = None,
    grading_workers: Annotated[int | None, typer.Option(
        min=1, max=64, help="Checks graded at once in this process (SQLite only; default: "
                            "one per core). With PostgreSQL, run `vibrastic worker`.")] = None,
    trusted_proxies: Annotated[str, typer.Option(
        "--trusted-proxies", help="Addresses of reverse proxies whose X-Forwarded-For names the "
                                  "learner's address (comma-separated, or *), so sign-in "
                                  "throttling counts per learner, not per proxy.")]
    = "127.0.0.1",
    processes: Annotated[int | None, typer.Option(
        min=1, max=32, help="Web processes sharing the port; any of them serves any request "
                            "(PostgreSQL only; default: one per core, at most 4).")] = None,
) -> None:
    """Start the classroom: the web course with accounts, roster, dashboard and gradebook."""
    import json

    import uvicorn

    from vibrastic.faces.cli.serve import _port_free
    from vibrastic.faces.web.app import SERVE_SETTINGS
    from vibrastic.platform.database import POOL_VARIABLE

    url = database_url(database)
    engine = _engine(url)  # the database is reachable and migrated before the server starts
    on_postgres = engine.dialect.name == "postgresql"
    if (processes or 1) > 1 and not on_postgres:
        raise _usage("several web processes need PostgreSQL: on SQLite the live updates and "
                     "the grading run inside the one process; drop --processes or use "
                     "--database-url postgresql+psycopg://…")
    count = processes or (min(4, os.cpu_count() or 1) if on_postgres else 1)
    if not _port_free(host, port):
        raise _usage(f"cannot listen on {host}:{port}: the port is in use or the address is "
                     "not this machine's; pick another with --port")
    loopback = host in ("127.0.0.1", "localhost", "::1")
    secure = (not loopback) if secure_cookies is None else secure_cookies
    shown = f"[{host}]" if ":" in host else host
    public = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{port}"
    os.environ[SERVE_SETTINGS] = json.dumps({
        "database_url": url, "secure_cookies": secure, "grading_workers": grading_workers,
        "warm_grading": True})
    if count > 1:  # PostgreSQL allows 100 connections by default: the processes share them
        os.environ.setdefault(POOL_VARIABLE, str(max(5, 20 // count)))
    console.print(f"The classroom is at [bold]{public}/[/bold] (database {_safe(url)}, "
                  f"{count} web process{'es' if count > 1 else ''}); Ctrl+C stops it.",
                  highlight=False)
    if secure and public.startswith("http://"):
        console.print("Session cookies are HTTPS-only: serve it behind a TLS proxy, or use "
                      "--no-secure-cookies on a trusted network.", highlight=False)
    uvicorn.run("vibrastic.faces.web.app:classroom_app", factory=True, workers=count,
                host=host, port=port, log_level="warning", proxy_headers=True,
                forwarded_allow_ips=trusted_proxies)


@classroom_app.command("digest")
def digest(
    database: DatabaseOption = None,
    base_url: Annotated[str, typer.Option(help="The classroom's address, for the links in the "
                                               "e-mails.")] = "http://127.0.0.1:8000",
) -> None:
    """E-mail each person their unread Q&A news (run it daily, e.g. from cron).

    The SMTP server comes from VIBRASTIC_SMTP_HOST (and _PORT, _USER, _PASSWORD, _FROM,
    _STARTTLS=1); each notification is mailed at most once.
    """
    from vibrastic.platform.qa.digest import SmtpSettings, send_digests

    smtp = SmtpSettings.from_env()
    if smtp is None:
        raise _usage("no SMTP server configured: set VIBRASTIC_SMTP_HOST (and, as needed, "
                     "VIBRASTIC_SMTP_PORT, _USER, _PASSWORD, _FROM, _STARTTLS=1)")
    engine = _engine(database_url(database))
    try:
        sent = send_digests(engine, smtp, base_url)
    except OSError as exc:
        raise _usage(f"cannot send mail through {smtp.host}:{smtp.port}: {exc}") from None
    console.print(f"{sent} digest e-mail(s) sent through {smtp.host}:{smtp.port}.",
                  highlight=False)
