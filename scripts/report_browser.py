"""Open a report in headless Chromium over the DevTools protocol: did every chart draw, did any script fail,
did the page reach for the network; and a full-page screenshot.

Chromium (Debian's `chromium`) is started with a fresh profile and a debugging port it picks itself; the
protocol is plain JSON over a WebSocket (`websocket-client`), so no Node.js, driver binary or browser
download is involved. A development tool, not part of the product: scripts/screenshot_report.py and
tests/test_report.py drive it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transforms.report.page import CHART_ATTRIBUTE, CHART_CLASS

# Without the background-networking flags Chromium phones home at start-up, which this machine refuses.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
)
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
# The debugging endpoint is on this machine: never through an HTTP proxy from the environment.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

_CHARTS_STATE = f"""(() => {{
  const charts = [...document.querySelectorAll('.{CHART_CLASS}')];
  return JSON.stringify({{
    expected: charts.map(c => c.getAttribute('{CHART_ATTRIBUTE}')),
    drawn: charts.filter(c => c.querySelector('svg.main-svg')).map(c => c.getAttribute('{CHART_ATTRIBUTE}')),
    headings: [...document.querySelectorAll('section > h2')].map(h => [h.parentElement.id, h.textContent]),
  }});
}})()"""


class BrowserError(RuntimeError):
    """Chromium could not be started or did not answer."""


@dataclass
class PageCheck:
    """What a page did in the browser."""

    charts: list[str] = field(default_factory=list)
    drawn: list[str] = field(default_factory=list)
    # (section id, heading text) of every <section><h2>.
    headings: list[tuple[str, str]] = field(default_factory=list)
    # Uncaught exceptions, console errors and error log entries.
    errors: list[str] = field(default_factory=list)
    # Requests for anything but the file itself and inline data.
    external_requests: list[str] = field(default_factory=list)

    @property
    def undrawn(self) -> list[str]:
        return [c for c in self.charts if c not in self.drawn]


def chromium_binary() -> str:
    """The Chromium executable: $CHROMIUM, else `chromium` (Debian) or `chromium-browser` on PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)  # type: ignore[return-value]
    raise BrowserError(
        "no Chromium found: install Debian's chromium (apt-get install chromium) or set $CHROMIUM"
    )


class _DevTools:
    """One page target's DevTools connection: commands with ids, events collected while waiting."""

    def __init__(self, url: str, timeout: float) -> None:
        try:
            import websocket  # websocket-client, a dev dependency
        except ImportError as exc:
            raise BrowserError("the browser check needs websocket-client: pip install -e '.[dev]'") from exc
        self._socket = websocket.create_connection(url, timeout=timeout, suppress_origin=True)
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        command_id = self._next_id
        self._socket.send(json.dumps({"id": command_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == command_id:
                if "error" in message:
                    raise BrowserError(f"{method} failed: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for_event(self, method: str, since: int, timeout: float) -> None:
        """Wait for `method` among the events from index `since` on."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e["method"] == method for e in self.events[since:]):
                return
            self.call("Runtime.evaluate", expression="1")  # pumps the events that arrived meanwhile
            time.sleep(0.1)
        raise BrowserError(f"no {method} within {timeout:.0f}s")

    def close(self) -> None:
        self._socket.close()


@contextmanager
def chromium_page(width: int = 1400, height: int = 1000, timeout: float = 60.0) -> Iterator[_DevTools]:
    """A headless Chromium with one page, connected over DevTools; stopped (and its profile removed) after."""
    profile = tempfile.mkdtemp(prefix="report-chromium-")
    process = subprocess.Popen(
        [chromium_binary(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
         "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    devtools = None
    try:
        port = _debugging_port(Path(profile), process, timeout)
        devtools = _DevTools(_page_socket(port, timeout), timeout)
        for domain in ("Page", "Runtime", "Log", "Network"):
            devtools.call(f"{domain}.enable")
        yield devtools
    finally:
        if devtools is not None:
            devtools.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


def check_page(path: str | Path, timeout: float = 60.0) -> PageCheck:
    """Load a local HTML file, wait until every chart drew (or `timeout`), and report what happened."""
    with chromium_page(timeout=timeout) as page:
        _load(page, path, timeout)
        state = _wait_for_charts(page, timeout)
        return PageCheck(
            charts=state["expected"],
            drawn=state["drawn"],
            headings=[tuple(h) for h in state["headings"]],
            errors=_errors(page.events),
            external_requests=_external_requests(page.events),
        )


def screenshot(path: str | Path, png: str | Path, width: int = 1400, timeout: float = 60.0) -> Path:
    """A PNG of the whole page (every chart drawn), `width` CSS pixels wide."""
    with chromium_page(width=width, timeout=timeout) as page:
        _load(page, path, timeout)
        _wait_for_charts(page, timeout)
        size = page.call("Page.getLayoutMetrics")["cssContentSize"]
        shot = page.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1},
        )
    out = Path(png)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base64.b64decode(shot["data"]))
    return out


def _load(page: _DevTools, path: str | Path, timeout: float) -> None:
    since = len(page.events)
    page.call("Page.navigate", url=Path(path).resolve().as_uri())
    page.wait_for_event("Page.loadEventFired", since, timeout)


def _wait_for_charts(page: _DevTools, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        result = page.call("Runtime.evaluate", expression=_CHARTS_STATE, returnByValue=True)
        state = json.loads(result["result"]["value"])
        if len(state["drawn"]) == len(state["expected"]) or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def _errors(events: list[dict[str, Any]]) -> list[str]:
    errors = []
    for event in events:
        params = event.get("params", {})
        if event["method"] == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            errors.append(details.get("exception", {}).get("description") or details.get("text", "exception"))
        elif event["method"] == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(
                " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            )
        elif event["method"] == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
    return errors


def _external_requests(events: list[dict[str, Any]]) -> list[str]:
    urls = (e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent")
    return [url for url in urls if not url.startswith(LOCAL_SCHEMES)]


def _debugging_port(profile: Path, process: subprocess.Popen, timeout: float) -> int:
    """Chromium writes the port it chose to <profile>/DevToolsActivePort."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrowserError(f"chromium exited with status {process.returncode} before it opened its port")
        if marker.exists():
            first_line = marker.read_text().splitlines()[:1]
            if first_line and first_line[0].isdigit():
                return int(first_line[0])
        time.sleep(0.1)
    raise BrowserError(f"chromium did not open a debugging port within {timeout:.0f}s")


def _page_socket(port: int, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _NO_PROXY.open(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as response:
            targets = json.load(response)
        pages = [t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page"]
        if pages:
            return pages[0]
        time.sleep(0.1)
    raise BrowserError("chromium has no page target")
