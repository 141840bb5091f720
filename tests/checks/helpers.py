import struct
import zlib
from datetime import timedelta

from duban.checks import services
from duban.tasks import lights


def png_bytes() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def pdf_bytes(text: str = "evidence") -> bytes:
    return f"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {text}\ntrailer << /Root 1 0 R >>\n%%EOF\n".encode()


def make_check(cast, *, mode="open", units=None, title="农村人居环境整治专项督查"):
    today = lights.today()
    return services.check_create(actor=cast.supervisor, title=title, mode=mode, scope="special", stage="process",
                                 start_date=today, end_date=today + timedelta(days=2),
                                 units=units or [cast.bajiao], team=[])
