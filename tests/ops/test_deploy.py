"""deploy/: the nginx site and the systemd units stay in step with the app (issue 11, item 6)."""

import re
import shlex
import shutil
import subprocess
from configparser import ConfigParser
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import load_command_class

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SITE = DEPLOY / "nginx" / "duban.conf"


def _directive(text: str, name: str) -> list[str]:
    return re.findall(rf"^\s*{name}\s+([^;]+);", text, flags=re.MULTILINE)


def test_nginx_buffers_requests_and_limits_bodies_like_the_app():
    text = SITE.read_text()
    mib = 1024 * 1024
    assert _directive(text, "client_max_body_size") == [f"{settings.DUBAN_MAX_UPLOAD_BYTES // mib + 1}m"]
    assert _directive(text, "proxy_request_buffering") == ["on"]
    assert _directive(text, "client_body_timeout") and _directive(text, "client_header_timeout")
    assert _directive(text, "ssl_protocols") == ["TLSv1.2 TLSv1.3"]
    headers = " ".join(_directive(text, "add_header"))
    for header in ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"):
        assert header in headers
    # X-Forwarded-For is overwritten with the peer, never appended to what the client sent
    assert _directive(text, "proxy_set_header X-Forwarded-For") == ["$remote_addr"]


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "duban.test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                    reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_accepts_the_site(tmp_path):
    cert, key = _self_signed(tmp_path)
    site = SITE.read_text().replace("/etc/ssl/duban/fullchain.pem", str(cert)).replace(
        "/etc/ssl/duban/privkey.pem", str(key)).replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "duban.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;\n"
        f"include {tmp_path}/duban.conf; }}\n")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr


def _unit(name: str) -> ConfigParser:
    parser = ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / name)
    return parser


def test_the_web_unit_uses_duban_serve_flags_that_exist():
    web = _unit("duban-web.service")
    argv = shlex.split(web["Service"]["ExecStart"])
    assert argv[0].endswith("/duban") and argv[1] == "serve"
    parser = load_command_class("duban.core", "serve").create_parser("duban", "serve")
    options = parser.parse_args(argv[2:])  # exits (fails the test) on a flag serve does not have
    assert options.host == "127.0.0.1"  # only nginx reaches the app server
    assert options.no_worker  # the worker has its own unit
    assert web["Service"]["EnvironmentFile"] == "/etc/duban/duban.env"
    assert web["Service"]["NoNewPrivileges"] == "yes" and web["Service"]["ProtectSystem"] == "strict"


def test_the_backup_timer_starts_a_verified_backup():
    service = _unit("duban-backup.service")
    argv = shlex.split(service["Service"]["ExecStart"])
    assert argv[1] == "backup"
    parser = load_command_class("duban.ops", "backup").create_parser("duban", "backup")
    options = parser.parse_args(argv[2:])
    assert options.verify_after and options.keep > 0
    assert service["Service"]["UMask"] == "0077"
    assert _unit("duban-backup.timer")["Timer"]["OnCalendar"]
    worker = _unit("duban-worker.service")
    assert shlex.split(worker["Service"]["ExecStart"])[1] == "worker"
