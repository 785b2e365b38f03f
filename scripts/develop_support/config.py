"""The development configuration directory and what scripts/develop remembers in it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
import json
import os
from pathlib import Path
import socket
from typing import Any

HA_PORT_ENV = "PRINTERNIZER_DEV_HA_PORT"
STATE_FILE = ".printernizer-develop.json"
# Home Assistant moves `http:` into .storage/http on the first start (YAML is ignored after
# that); scripts/develop confirms the move and then drops the block between these lines.
HTTP_BEGIN = "# scripts/develop: http (first start only)"
HTTP_END = "# scripts/develop: end of http"
HTTP_MOVED = (
    "# http: Home Assistant keeps these settings in .storage/http; "
    "`scripts/develop --port N` changes the port.\n"
)

CONFIGURATION_YAML = f"""\
# Home Assistant for developing the Printernizer integration, written by scripts/develop on the
# first run. Edit it freely: it is not written again while it exists.
#
# Instead of default_config, only what the integration's development needs: Home Assistant runs
# with --skip-pip so that it never installs packages into the project's .venv, and
# default_config's network discovery, voice and cloud parts would only fail and log here.
frontend:
config:
history:
logbook:
automation: !include automations.yaml
script:
scene:
person:
sun:
system_health:
my:

{HTTP_BEGIN}
http:
  server_host: 127.0.0.1
  server_port: !env_var {HA_PORT_ENV} 8123
{HTTP_END}

logger:
  default: warning
  logs:
    custom_components.printernizer: debug
"""

AUTOMATIONS_YAML = """\
# An example automation: break the simulator's database (see README, Development) and a
# notification appears in Home Assistant's sidebar.
- id: printernizer_server_not_healthy
  alias: Printernizer server not healthy
  description: Written by scripts/develop as an example.
  triggers:
    - trigger: state
      entity_id: sensor.printernizer_server_status
      to:
        - degraded
        - unhealthy
  actions:
    - action: persistent_notification.create
      data:
        notification_id: printernizer_server_status
        title: Printernizer
        message: "The Printernizer server is {{ trigger.to_state.state }}."
"""


@dataclass
class DevState:
    """What the last run left: the simulator's port and the entry that points at it."""

    simulator_port: int | None = None
    entry_id: str | None = None
    ha_port: int | None = None  # the port Home Assistant's stored HTTP settings have
    server_url: str | None = None  # the URL the entry points at (simulator or --server)

    @classmethod
    def load(cls, config_dir: Path) -> DevState:
        """Read the state file; a missing or unreadable one is an empty state."""
        try:
            data: dict[str, Any] = json.loads((config_dir / STATE_FILE).read_text())
        except OSError, ValueError:
            return cls()
        return cls(
            simulator_port=data.get("simulator_port"),
            entry_id=data.get("entry_id"),
            ha_port=data.get("ha_port"),
            server_url=data.get("server_url"),
        )

    def save(self, config_dir: Path) -> None:
        """Write the state file."""
        (config_dir / STATE_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")


def prepare_config_dir(config_dir: Path, integration: Path) -> None:
    """Create the config directory on the first run and link the integration into it."""
    config_dir.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("configuration.yaml", CONFIGURATION_YAML),
        ("automations.yaml", AUTOMATIONS_YAML),
    ):
        path = config_dir / name
        if not path.exists():
            path.write_text(text)
    link = config_dir / "custom_components" / integration.name
    link.parent.mkdir(exist_ok=True)
    if link.is_symlink() and link.resolve() == integration.resolve():
        return
    if link.is_symlink() or link.exists():
        if not link.is_symlink():
            msg = f"{link} exists and is not a link to {integration}; move it away"
            raise SystemExit(msg)
        link.unlink()
    link.symlink_to(os.path.relpath(integration.resolve(), link.parent.resolve()))


def drop_http_yaml(config_dir: Path) -> bool:
    """Remove the `http:` block written for the first start; False if it is not there."""
    path = config_dir / "configuration.yaml"
    text = path.read_text()
    start, end = text.find(HTTP_BEGIN), text.find(HTTP_END)
    if start < 0 or end < start:
        return False
    end = text.index("\n", end) + 1 if "\n" in text[end:] else len(text)
    path.write_text(text[:start] + HTTP_MOVED + text[end:])
    return True


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a TCP server could bind `host:port` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port
