"""The server's WebSocket at /ws: subscriptions, replies and printer_status pushes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import itertools
import json
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType, web

from .common import drop, dumps_ws, not_found
from .faults import FaultKind

if TYPE_CHECKING:
    from .printers import SimPrinter
    from .server import Simulator

API = "/api/v1"
# Loop iterations a WebSocket close handshake may take before the transport is cut.
_WS_CLOSE_SPINS = 200


@dataclass
class WsClient:
    """One connected WebSocket client."""

    id: int
    ws: web.WebSocketResponse
    request: web.Request
    subscriptions: set[str] = field(default_factory=set)


class WebSocketHub:
    """The connected clients of one simulator and what they subscribed to."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self.clients: dict[int, WsClient] = {}
        self._ids = itertools.count(1)
        self.changed = asyncio.Event()

    def printer_status_message(self, printer: SimPrinter) -> dict[str, Any]:
        """The `printer_status` push for one printer, as the server sends it."""
        bed, nozzle = printer.temperatures()
        has_job = printer.reports_job
        return {
            "type": "printer_status",
            "printer_id": printer.id,
            "data": {
                "printer_id": printer.id,
                "status": printer.status,
                "message": printer.status_message(),
                "temperature_bed": bed,
                "temperature_nozzle": nozzle,
                "progress": int(printer.progress) if has_job else 0,
                "current_job": printer.job_name if has_job else None,
                "current_job_file_id": None,
                "current_job_has_thumbnail": True if has_job else None,
                "current_job_thumbnail_url": (
                    f"{API}/printers/{printer.id}/thumbnail" if has_job else None
                ),
                "timestamp": self._sim.clocks.ts(),
            },
        }

    async def push_printer_status(self, printer: SimPrinter) -> int:
        """Send `printer_status` to the printer's subscribers; returns how many got it."""
        subscribers = [
            c for c in self.clients.values() if printer.id in c.subscriptions
        ]
        if not subscribers:
            return 0
        message = self.printer_status_message(printer)
        sent = 0
        for client in subscribers:
            silent = self._sim._ws_fault(FaultKind.WS_SILENT)
            if silent is not None:
                silent.record_hit()
                continue
            if await self._send(client, message):
                sent += 1
        return sent

    async def close_all(self, code: int) -> int:
        """Close every connection; returns how many were closed."""
        clients = list(self.clients.values())
        await asyncio.gather(*(self.close(client, code) for client in clients))
        return len(clients)

    async def close(self, client: WsClient, code: int) -> None:
        """Close with a close frame; cut the transport if the peer doesn't answer."""
        ws = client.ws
        if ws.closed:
            self._forget(client)
            return
        task = asyncio.create_task(ws.close(code=code, message=b"server closing"))
        try:
            if self._sim.realtime:
                await asyncio.wait({task}, timeout=2)
            else:
                for _ in range(_WS_CLOSE_SPINS):
                    if task.done():
                        break
                    await asyncio.sleep(0)
        finally:
            if not task.done():
                transport = client.request.transport
                if transport is not None:
                    transport.abort()
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            self._forget(client)

    def _forget(self, client: WsClient) -> None:
        if self.clients.pop(client.id, None) is not None:
            self.changed.set()

    async def _send(self, client: WsClient, message: dict[str, Any]) -> bool:
        if client.ws.closed:
            return False
        try:
            await client.ws.send_str(dumps_ws(message))
        except ConnectionError, RuntimeError:
            return False
        return True

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The /ws route: a plain GET is a 404, an upgrade becomes a client."""
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return not_found()
        if not self._sim._accepting:
            return drop(request)
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        client = WsClient(next(self._ids), ws, request)
        self.clients[client.id] = client
        self.changed.set()
        try:
            dropping = self._sim._ws_fault(FaultKind.WS_DROP)
            if dropping is not None:
                dropping.record_hit()
                await self.close(client, WSCloseCode.GOING_AWAY)
                return ws
            async for msg in ws:
                silent = self._sim._ws_fault(FaultKind.WS_SILENT)
                if msg.type is WSMsgType.PING:
                    if silent is not None:
                        silent.record_hit()
                    else:
                        await ws.pong(msg.data)
                    continue
                if msg.type is not WSMsgType.TEXT:
                    continue
                if silent is not None:
                    silent.record_hit()
                    continue
                await self._message(client, msg.data)
        finally:
            self._forget(client)
        return ws

    async def _message(self, client: WsClient, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            await self._send(
                client, {"type": "error", "message": "Invalid JSON format"}
            )
            return
        if not isinstance(message, dict):
            message = {"type": None}
        kind = message.get("type")
        printer_id = message.get("printer_id")
        if kind == "ping":
            await self._send(client, {"type": "pong"})
        elif kind == "subscribe_printer":
            if printer_id:
                client.subscriptions.add(str(printer_id))
                self.changed.set()
                await self._send(
                    client, {"type": "subscribed", "printer_id": printer_id}
                )
        elif kind == "unsubscribe_printer":
            if printer_id:
                client.subscriptions.discard(str(printer_id))
                self.changed.set()
                await self._send(
                    client, {"type": "unsubscribed", "printer_id": printer_id}
                )
        else:
            await self._send(
                client, {"type": "error", "message": f"Unknown message type: {kind}"}
            )
