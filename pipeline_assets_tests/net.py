"""Which addresses a local port listens on, read from the kernel (/proc/net/tcp, tcp6)."""

import socket
from pathlib import Path

LISTEN = "0A"


def listening_addresses(port: int) -> set[str]:
    """Every local address with a socket listening on ``port`` ("127.0.0.1", "0.0.0.0", "::"...)."""
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == LISTEN and int(hex_port, 16) == port:
                # The kernel prints each 32-bit word of the address in host (little-endian) order.
                raw = b"".join(bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, len(address), 8))
                found.add(socket.inet_ntop(family, raw))
    return found
