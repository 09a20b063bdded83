"""ui/boot.py: the server's websockets send small messages at once (TCP_NODELAY)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A listener bound the way uvicorn binds Streamlit's (proto 0), one connection already open, then the
# fix, then a connection accepted by asyncio: both must have Nagle's algorithm off.
SCRIPT = textwrap.dedent("""
    import asyncio, json, socket
    from ui.boot import send_messages_at_once

    def nodelay(sock):
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, like uvicorn's bind_socket
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    early_client = socket.create_connection(("127.0.0.1", port))
    early, _ = listener.accept()
    before = nodelay(early)
    first, again = send_messages_at_once(), send_messages_at_once()

    async def accepted_by_asyncio():
        seen = asyncio.get_running_loop().create_future()
        def on_connect(reader, writer):
            seen.set_result(nodelay(writer.get_extra_info("socket")))
        server = await asyncio.start_server(on_connect, sock=listener)
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        result = await seen
        writer.close()
        server.close()
        return result

    print(json.dumps({"before": before, "early": nodelay(early), "later": asyncio.run(accepted_by_asyncio()),
                      "first": first, "again": again}))
""")


def test_connections_open_before_and_after_the_fix_send_at_once():
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["before"] == 0, "the test must start from asyncio's unfixed behaviour (proto 0 listener)"
    assert result["early"] == 1, "a connection open before the fix (the first visitor's) gets TCP_NODELAY"
    assert result["later"] == 1, "a connection asyncio accepts after the fix gets TCP_NODELAY"
    assert result["first"] is True and result["again"] is False, "the fix is applied once per process"
