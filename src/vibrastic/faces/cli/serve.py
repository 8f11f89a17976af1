"""``vibrastic serve``: the web course on this machine (Uvicorn running the FastAPI app)."""

from __future__ import annotations

import socket
import threading
import webbrowser
from typing import Annotated

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine "
                                           "only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    open_browser: Annotated[bool, typer.Option("--open/--no-open",
                                               help="Open the course in a browser.")] = True,
    quick: Annotated[bool, typer.Option("--quick", help="Execute lessons with smaller "
                                                        "training (VIBRASTIC_QUICK=1).")] = False,
) -> None:
    """Start the web course: lessons with their figures, labs, challenges with an editor."""
    import uvicorn

    from vibrastic.faces.web import WebConfig, create_app

    if not _port_free(host, port):
        err.print(f"[red]error:[/red] cannot listen on {host}:{port}: the port is in use or the "
                  f"address is not this machine's; pick another with --port")
        raise typer.Exit(2)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{port}/"
    config = WebConfig()  # notebooks fetch the wheel from the address they were loaded from
    if quick:
        config.quick_lessons = True
    app = create_app(config)
    console.print(f"Vibrastic 101 is at [bold]{url}[/bold]  (Ctrl+C stops it)")
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning")
