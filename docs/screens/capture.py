"""Regenerate docs/screens/: each main page at 1366×768 (desk) and 390×844 (phone), as the
demo accounts see it (`make screens`).

It loads the demo into a throw-away SQLite data dir, serves it the way `make run` does (DEBUG
off, gunicorn + whitenoise, no worker) on a free loopback port, and drives Debian's Chromium
through Playwright. Only the visible screen is captured, so each PNG stays small.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DUBAN = str(Path(sys.executable).with_name("duban"))
CHROMIUM = os.environ.get("DUBAN_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "Xidu-Kaiju-2017"  # the published demo password (docs/demo.md)
SIZES = {"desk": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
# (file name, demo account or None for signed out, path; "{task}" = the account's first task)
SHOTS = [
    ("01-login", None, "/accounts/login/"),
    ("02-liaison-home", "bajiao_b", "/"),
    ("03-liaison-todo", "bajiao_b", "/tasks/todo/"),
    ("04-liaison-task", "bajiao_b", "{task}"),
    ("05-liaison-notices", "bajiao_b", "/notices/"),
    ("06-supervisor-home", "duchashi", "/"),
    ("07-supervisor-list", "duchashi", "/tasks/list/"),
    ("08-supervisor-todo", "duchashi", "/tasks/todo/"),
    ("09-supervisor-orders", "duchashi", "/supervision/listed/"),
    ("10-leader-home", "shuji", "/"),
    ("11-leader-dashboard", "shuji", "/dashboard/"),
    ("12-not-found", "bajiao_b", "/tasks/99999999/"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="duban-screens-"))
    env = {**os.environ, "DUBAN_DATA_DIR": str(data), "DUBAN_DEBUG": "false", "DUBAN_ENV": "development"}
    env.pop("DATABASE_URL", None)
    for args in (["migrate", "--noinput", "-v0"], ["demo"]):
        subprocess.run([DUBAN, *args], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen([DUBAN, "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", "1"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"])
            for size, viewport in SIZES.items():
                contexts = {}
                for name, who, path in SHOTS:
                    if who not in contexts:
                        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=viewport)
                        page = context.new_page()
                        if who:
                            page.goto(base + "/accounts/login/")
                            page.get_by_label("用户名").fill(who)
                            page.get_by_label("密码").fill(PASSWORD)
                            page.get_by_role("button", name="登录").click()
                            page.wait_for_url(lambda url: "/accounts/login/" not in url)
                        contexts[who] = page
                    page = contexts[who]
                    if "{task}" in path:
                        page.goto(base + "/tasks/todo/")
                        hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
                        path = next(h for h in hrefs if re.fullmatch(r"/tasks/\d+/", h))
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    target = out / f"{name}-{size}.png"
                    page.screenshot(path=str(target))
                    print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
                          f"  {target.stat().st_size // 1024} KB")
                for page in contexts.values():
                    page.context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screens")
