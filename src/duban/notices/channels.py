"""The external channels: email, SMS, DingTalk and WeCom group robots.

Each sender takes a prepared ``Message`` (plain data, no ORM objects) and either returns a short
success detail or raises ``DeliveryError``. They run in worker threads, outside any transaction,
with short timeouts, so a slow or broken endpoint holds up only its own message.

* DingTalk custom robot: POST JSON ``{"msgtype": "markdown", "markdown": {"title", "text"}}`` to
  the robot's webhook; with 加签 the URL gets ``timestamp`` (ms) and ``sign`` = urlencode(base64(
  HMAC-SHA256(key=secret, msg="<timestamp>\\n<secret>"))). Success is ``{"errcode": 0}``.
* WeCom group robot: POST JSON ``{"msgtype": "markdown", "markdown": {"content"}}`` to
  ``.../cgi-bin/webhook/send?key=...``. Success is ``{"errcode": 0}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from duban.notices import conf

log = logging.getLogger("duban.notices")


class DeliveryError(Exception):
    pass


@dataclass(frozen=True)
class Message:
    delivery_id: int
    channel: str
    target: str  # email address, phone number, or webhook url
    title: str
    text: str
    url: str  # absolute link to what the notice is about ("" when none)
    secret: str = ""


# --- webhook addresses -------------------------------------------------------------------------
def _is_public(ip: ipaddress._BaseAddress) -> bool:
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
                or ip.is_unspecified)


def validate_webhook_url(url: str, *, allow_private: bool | None = None) -> str:
    """Only http(s); unless allowed (development/test), every address the host resolves to must
    be public (no loopback, private, link-local: the server must not be turned against its own
    network). Raises ValidationError with a clear message."""
    url = (url or "").strip()
    allow_private = conf.allow_private_webhooks() if allow_private is None else allow_private
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"webhook_url": _("Webhook 地址必须以 http:// 或 https:// 开头并包含主机名。")})
    if parts.username or parts.password:
        raise ValidationError({"webhook_url": _("Webhook 地址不能包含用户名或密码。")})
    if allow_private:
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise ValidationError({"webhook_url": _("无法解析 Webhook 主机名 %(host)s。") % {"host": parts.hostname}}) \
            from None
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if not _is_public(ip):
            raise ValidationError({"webhook_url": _(
                "Webhook 地址 %(host)s 解析为内网或本机地址 %(ip)s,生产环境不允许向非公网地址发送。")
                % {"host": parts.hostname, "ip": ip}})
    return url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # a redirect could lead inside
        raise DeliveryError(_("Webhook 返回重定向 %(code)s,已拒绝跟随") % {"code": code})


_opener = urllib.request.build_opener(_NoRedirect)


def _post_json(url: str, payload: dict) -> dict:
    try:
        validate_webhook_url(url)  # again at delivery: DNS may have changed since it was saved
    except ValidationError as exc:
        raise DeliveryError("; ".join(exc.messages)) from None
    data = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "duban-notices/1"})
    try:
        with _opener.open(request, timeout=conf.webhook_timeout()) as response:
            body = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(_("连接失败:%(reason)s") % {"reason": reason}) from None
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        raise DeliveryError(_("无法解析的应答:%(body)s") % {"body": body[:100]}) from None
    if not isinstance(answer, dict) or answer.get("errcode", 0) != 0:
        raise DeliveryError(_("机器人拒绝:%(answer)s") % {"answer": str(answer)[:200]})
    return answer


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def dingtalk_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def _markdown(message: Message) -> str:
    lines = [f"### {message.title}", "", message.text]
    if message.url:
        details = _("查看详情")
        lines += ["", f"[{details}]({message.url})"]
    return "\n".join(line for line in lines if line is not None)


def send_dingtalk(message: Message) -> str:
    payload = {"msgtype": "markdown", "markdown": {"title": message.title[:64], "text": _markdown(message)}}
    _post_json(dingtalk_url(message.target, message.secret), payload)
    return "errcode 0"


def send_wecom(message: Message) -> str:
    payload = {"msgtype": "markdown", "markdown": {"content": _markdown(message)[:4000]}}
    _post_json(message.target, payload)
    return "errcode 0"


def send_email(message: Message) -> str:
    body = message.text + (f"\n\n{message.url}" if message.url else "")
    connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or conf.webhook_timeout())
    email = EmailMessage(subject=message.title, body=body, to=[message.target], connection=connection)
    try:
        sent = email.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - SMTP, socket and backend errors all mean "try again later"
        raise DeliveryError(_("邮件发送失败:%(reason)s") % {"reason": exc}) from None
    if sent != 1:
        raise DeliveryError(_("邮件未被接受"))
    return "email accepted"


# --- SMS ---------------------------------------------------------------------------------------
class BaseSmsBackend:
    """Interface of an SMS gateway: ``send(phone, text)`` raises DeliveryError on failure."""

    def send(self, phone: str, text: str) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Writes the message to stdout (development and demo)."""

    def send(self, phone: str, text: str) -> str:
        sys.stdout.write(f"[SMS to {phone}] {text}\n")
        sys.stdout.flush()
        return "console"


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in ``outbox`` (tests)."""

    outbox: list = []  # noqa: RUF012 - shared on purpose, like django.core.mail.outbox

    def send(self, phone: str, text: str) -> str:
        LocmemSmsBackend.outbox.append((phone, text))
        return "locmem"


def send_sms(message: Message) -> str:
    backend = import_string(conf.sms_backend())()
    text = f"【督办】{message.title}" + (f" {message.url}" if message.url else "")
    return backend.send(message.target, text[:300])


SENDERS = {"email": send_email, "sms": send_sms, "dingtalk": send_dingtalk, "wecom": send_wecom}


def deliver(message: Message) -> str:
    return SENDERS[message.channel](message)
