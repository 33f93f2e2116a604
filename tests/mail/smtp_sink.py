"""A loopback SMTP server for the mail tests.

Usage: smtp_sink.py FOLDER [--port N]

Accepts every message and stores it, exactly as received, as one file in FOLDER (written
under a temporary name, then renamed, so a reader never sees half a message). Prints the
port it listens on as the first line of standard output, then serves until it is killed.
Port 0 (the default) picks a free port; a fixed port lets a test stop the server and
start it again where the desk expects it.
"""

import argparse
import asyncio
import os
import pathlib
import time
import uuid

from aiosmtpd.smtp import SMTP


class Folder:
    def __init__(self, path: pathlib.Path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.eml"
        partial = self.path / f".{name}.partial"
        with open(partial, "wb") as out:
            out.write(envelope.original_content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, self.path / name)
        return "250 Message accepted for delivery"


async def serve(folder: pathlib.Path, port: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    handler = Folder(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="smtp-sink.test"),
        host="127.0.0.1",
        port=port,
        reuse_address=True,
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=pathlib.Path)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.folder, args.port))


if __name__ == "__main__":
    main()
