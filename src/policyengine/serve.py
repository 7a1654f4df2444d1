"""``policyengine serve``: run the decision service and explorer page on uvicorn.

Binds to 127.0.0.1 unless told otherwise. Needs the ``server`` extra
(``pip install 'housing-policyengine[server]'``); without it the command says so and exits 2.
SIGHUP reloads the policies (atomically; a failed reload keeps the old set); ``--reload`` also
reloads whenever a policy file changes.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import PolicyEngineError

INSTALL_HINT = "pip install 'housing-policyengine[server]'"
DEFAULT_LOG = "policyengine-decisions.sqlite"
WATCH_SECONDS = 2.0


def _read_secret(path: str, what: str) -> bytes:
    try:
        secret = Path(path).read_bytes().strip()
    except OSError as exc:
        raise PolicyEngineError(f"cannot read the {what} file {path}: {exc.strerror}") from None
    if not secret:
        raise PolicyEngineError(f"the {what} file {path} is empty")
    return secret


def _listen(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family = infos[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted connections inherit it: a response written in two parts (head, body) is not
        # held back by Nagle's algorithm waiting for the client's delayed ACK (40 ms a request)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(2048)  # queued from now on, before uvicorn starts accepting
    except OSError as exc:
        raise PolicyEngineError(f"cannot listen on {host}:{port}: {exc.strerror or exc}"
                                ) from None
    return sock


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from .server import ServerOptions, create_app
    except ModuleNotFoundError as exc:
        print(f"error: policyengine serve needs the 'server' extra ({exc.name} is not "
              f"installed): {INSTALL_HINT}", file=sys.stderr)
        return 2
    from .decision_log import open_decision_log

    token = _read_secret(args.token_file, "token") if args.token_file else None
    key = (_read_secret(args.redaction_key_file, "redaction key")
           if args.redaction_key_file else None)
    log = None
    if args.decision_log != "none":
        log = open_decision_log(args.decision_log, redaction_key=key,
                                retention_days=args.retention_days)
    elif key is not None or args.retention_days is not None:
        raise PolicyEngineError("--redaction-key-file and --retention-days apply to a decision "
                                "log; drop them or give --decision-log")
    options = ServerOptions(
        token=token, max_body_bytes=args.max_body_bytes, cors_origins=tuple(args.cors_origin),
        decision_log=log, watch_seconds=WATCH_SECONDS if args.reload else 0.0,
        reload_on_sighup=True,
    )
    app = create_app(args.policies, options)
    sock = _listen(args.host, args.port)
    host, port = sock.getsockname()[:2]
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s: %(message)s")
    where = (f"{log.format} decision log {args.decision_log}"
             + (" (facts redacted)" if key else "")
             + (f", kept {args.retention_days} days" if args.retention_days else "")
             if log else "no decision log")
    print(f"policyengine serving on http://{host}:{port}/ ({where}"
          f"{', bearer token required' if token else ''})", file=sys.stderr, flush=True)
    if token is None and host not in ("127.0.0.1", "::1", "localhost"):
        print("warning: listening beyond this machine without --token-file: anyone who can "
              "reach it can take decisions", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level=args.log_level, server_header=False,
                            access_log=args.access_log)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        if log is not None:
            log.close()
    return 0


def add_cli(sub: Any, policies_option: Callable[[Any], None]) -> None:
    """Add ``policyengine serve``; works without the server extra (the command then says so)."""
    p = sub.add_parser(
        "serve",
        help="run the HTTP decision service and the decision explorer page",
        description="Serve decisions over HTTP (/v1, /openapi.json) and the decision explorer "
                    f"page (/). Needs the 'server' extra: {INSTALL_HINT}",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: "
                   "127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 = any free)")
    p.add_argument("--token-file", metavar="FILE", default=None,
                   help="require this bearer token (the file's content) on every request")
    p.add_argument("--cors-origin", metavar="ORIGIN", action="append", default=[],
                   help="allow browser calls from this origin (repeatable; default: none)")
    p.add_argument("--max-body-bytes", type=int, default=1_000_000, metavar="N",
                   help="refuse request bodies over N bytes with 413 (default: 1000000)")
    p.add_argument("--decision-log", metavar="PATH", default=DEFAULT_LOG,
                   help="log every decision served: SQLite, or JSON lines for *.jsonl "
                        f"(default: {DEFAULT_LOG}; 'none' for no log)")
    p.add_argument("--redaction-key-file", metavar="FILE", default=None,
                   help="log facts only as their HMAC-SHA256 under this key")
    p.add_argument("--retention-days", type=int, default=None, metavar="N",
                   help="delete logged decisions older than N days (default: keep)")
    p.add_argument("--reload", action="store_true",
                   help="reload the policies whenever a policy file changes (SIGHUP always "
                        "reloads)")
    p.add_argument("--log-level", default="info",
                   choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--no-access-log", dest="access_log", action="store_false",
                   help="do not log each request line")
    policies_option(p)
    p.set_defaults(handler=_cmd_serve)
