"""Evidence files (佐证材料): checked by content, stored under server-generated names, verified on
every read.

What is accepted is decided by the bytes, not by the name or the browser's Content-Type: the
magic bytes (``filetype``) must name an allowed type and agree with the extension, and then each
type must pass its own allow-list check (issue 11):

* PDF: no active content — JavaScript, launch actions, embedded files, forms scripts (XFA),
  rich media or automatic actions (``/JS /JavaScript /Launch /EmbeddedFile(s) /RichMedia /XFA
  /AA``, and an ``/OpenAction`` that is one of those), looked for in the raw bytes with name
  escapes (``/J#61vaScript``) undone, and inside compressed object streams (inflated first);
* Office Open XML (docx, xlsx, pptx) and OFD: zips whose structure is checked (entry count,
  uncompressed size, the part that makes a docx a docx) before anything is extracted, with no
  macros (``vbaProject.bin``, a macro-enabled content type) and no ActiveX parts;
* images (jpg, png, HEIC/HEIF from phones): Pillow must decode the whole picture and find the
  format the extension names (HEIC through pillow-heif);
* legacy Office (OLE2 .doc/.xls/.ppt, which may carry macros that cannot be checked) is refused
  with a message saying to save it as docx/xlsx/pptx or PDF;
* markup anywhere in a PDF or an image (an HTML/PDF polyglot, a script) is refused. Stored names are ``evidence/<yyyy>/<mm>/<uuid>`` — the user's
name is kept only as data — and the SHA-256 taken at upload is re-checked on download.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import uploads

MAX_ZIP_ENTRIES = 2000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_RATIO = 200  # a larger compression ratio is a zip bomb, not a document
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "pdf": "application/pdf",
    "heic": "image/heic",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "ofd": "application/ofd",
}
EXTENSIONS = {"jpg": "jpg", "jpeg": "jpg", "heif": "heic", **{k: k for k in CONTENT_TYPES if k != "jpg"}}
# What a file input offers (the <input accept>): the camera and the photo library beside files, of
# the kinds kept here. Listing image/jpeg and image/png makes iPhones send their HEIC photos as JPEG;
# the content check above still decides.
ACCEPT = "image/*,image/jpeg,image/png,.jpg,.jpeg,.png,.heic,.heif,.pdf,.docx,.xlsx,.pptx,.ofd"
LEGACY_OFFICE = frozenset({"doc", "xls", "ppt", "dot", "xlt", "pot", "pps"})
# PDF names that make a document do something when it is opened or clicked.
PDF_ACTIVE = re.compile(rb"/(?:JS|JavaScript|Launch|EmbeddedFiles?|RichMedia|XFA|AA|SubmitForm|ImportData|GoToE)(?![A-Za-z0-9])")
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
PDF_OBJECT_STREAM = re.compile(rb"<<((?:(?!>>\s*stream).)*?/Type\s*/ObjStm.*?)>>\s*stream\r?\n(.*?)\r?\n?endstream",
                               re.DOTALL)
MACRO_PARTS = re.compile(r"(?:^|/)(?:vbaProject\.bin|vbaData\.xml|activeX/|macros/)", re.IGNORECASE)
# The part that makes a zip this kind of document.
ZIP_MARKERS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml",
               "ofd": "OFD.xml"}
MARKUP = re.compile(rb"<\s*(?:html|script|svg|body|iframe|object|embed)\b|javascript:", re.IGNORECASE)


class EvidenceIntegrityError(Exception):
    """The stored file no longer matches the digest taken at upload (FU-04): ``actual`` is the
    digest of what is stored now (None when the file is missing)."""

    def __init__(self, evidence_id, actual: str | None = None, missing: bool = False):
        super().__init__(evidence_id)
        self.evidence_id, self.actual, self.missing = evidence_id, actual, missing


@dataclass(frozen=True)
class CheckedFile:
    original_name: str
    file_type: str
    content_type: str
    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def safe_display_name(name: str) -> str:
    """The user's file name, kept for display only: no path, no control characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return name.strip()[:200] or "file"


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _read(upload) -> bytes:
    limit = settings.DUBAN_MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_large(upload)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large(upload)
    return data


def _too_large(upload) -> ValidationError:
    return ValidationError(
        _("文件“%(name)s”超过 %(mb)s MB 的上限。")
        % {"name": safe_display_name(getattr(upload, "name", "")),
           "mb": round(settings.DUBAN_MAX_UPLOAD_BYTES / 1024 / 1024, 1)},
        code="too_large",
    )


def _refuse(name: str) -> ValidationError:
    return ValidationError(
        _("文件“%(name)s”的内容与扩展名不符或类型不允许;只接受 jpg、png、HEIC 照片、pdf、Word(docx)、Excel(xlsx)、"
          "PowerPoint(pptx) 和 OFD 文件。")
        % {"name": name},
        code="bad_type",
    )


def _refuse_active(name: str) -> ValidationError:
    return ValidationError(
        _("文件“%(name)s”含有脚本、宏、自动操作或嵌入文件,不予接受;请另存为普通文档(如“打印为 PDF”)后再上传。")
        % {"name": name},
        code="active_content",
    )


def _refuse_legacy(name: str) -> ValidationError:
    return ValidationError(
        _("文件“%(name)s”是旧版 Office 格式(doc/xls/ppt),可能含有无法检查的宏,不予接受;请另存为 docx、xlsx、pptx "
          "或 PDF 后再上传。") % {"name": name},
        code="legacy_office",
    )


def _zip_kind(data: bytes, name: str) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ValidationError(_("文件“%(name)s”内部条目过多,已拒绝。") % {"name": name}, code="zip_bomb")
    total = sum(info.file_size for info in infos)
    if total > MAX_ZIP_UNCOMPRESSED or total > MAX_ZIP_RATIO * max(len(data), 1):
        raise ValidationError(_("文件“%(name)s”解压后过大,已拒绝。") % {"name": name}, code="zip_bomb")
    names = {info.filename for info in infos}
    if any(MACRO_PARTS.search(n) for n in names):
        raise _refuse_active(name)
    if "[Content_Types].xml" in names:
        info = archive.getinfo("[Content_Types].xml")
        if info.file_size > 1024 * 1024:
            return None
        types = archive.read(info).lower()
        if b"macroenabled" in types or b"vbaproject" in types or b"activex" in types:
            raise _refuse_active(name)
    for kind, marker in ZIP_MARKERS.items():
        if marker in names and (kind == "ofd" or "[Content_Types].xml" in names):
            return kind
    return None


def _unescape_names(data: bytes) -> bytes:
    return PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def _pdf_has_active_content(data: bytes) -> bool:
    """True when the PDF could run something: an active name in the raw bytes (name escapes
    undone), or inside a compressed object stream (PDF 1.5 hides whole dictionaries there), which
    is inflated and searched the same way. An object stream that cannot be inflated within the
    limits counts as active: it could hide anything."""
    if PDF_ACTIVE.search(_unescape_names(data)):
        return True
    for match in PDF_OBJECT_STREAM.finditer(data):
        if b"/FlateDecode" not in match.group(1) or b"/DecodeParms" in match.group(1):
            return True
        try:
            inflater = zlib.decompressobj()
            content = inflater.decompress(match.group(2), MAX_ZIP_UNCOMPRESSED)
        except zlib.error:
            return True
        if inflater.unconsumed_tail or PDF_ACTIVE.search(_unescape_names(content)):
            return True
    return False


def _image_ok(data: bytes, kind: str) -> bool:
    """Pillow decodes the whole picture and finds the format the extension names."""
    from PIL import Image

    if kind == "heic":
        try:
            import pillow_heif
        except ImportError:  # pragma: no cover - pillow-heif is a dependency
            return False
        pillow_heif.register_heif_opener()
    expected = {"jpg": "JPEG", "png": "PNG", "heic": "HEIF"}[kind]
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > 80_000_000:
                return False  # a decompression bomb, not a photo
            image.load()
            return image.format == expected or (kind == "heic" and image.format in ("HEIF", "HEIC", "AVIF"))
    except Exception:  # noqa: BLE001 - whatever Pillow cannot read is not an accepted picture
        return False


def check_upload(upload) -> CheckedFile:
    """Validate one uploaded file by size and content; raise ValidationError (Chinese) if refused."""
    name = safe_display_name(getattr(upload, "name", ""))
    data = _read(upload)
    if not data:
        raise ValidationError(_("文件“%(name)s”是空文件。") % {"name": name}, code="empty")
    extension = _extension(name)
    if data.startswith(OLE2_MAGIC) or extension in LEGACY_OFFICE:
        raise _refuse_legacy(name)
    claimed = EXTENSIONS.get(extension)
    if claimed is None:
        raise _refuse(name)
    guess = filetype.guess(data[:8192])
    detected = guess.extension if guess else None
    if detected in ("zip", "docx", "xlsx", "pptx") or data.startswith(b"PK\x03\x04"):
        actual = _zip_kind(data, name)
    elif detected == "jpg" and data.startswith(b"\xff\xd8\xff"):
        actual = "jpg"
    elif detected == "png" and data.startswith(b"\x89PNG\r\n\x1a\n"):
        actual = "png"
    elif detected in ("heic", "avif") and data[4:8] == b"ftyp":
        actual = "heic"
    elif detected == "pdf" and data.startswith(b"%PDF-"):
        actual = "pdf"
    else:
        actual = None
    if actual is None or actual != claimed:
        raise _refuse(name)
    if actual in ("pdf", "jpg", "png", "heic") and MARKUP.search(data):
        raise _refuse(name)  # a polyglot a browser could render as HTML
    if actual == "pdf" and _pdf_has_active_content(data):
        raise _refuse_active(name)
    if actual in ("jpg", "png", "heic") and not _image_ok(data, actual):
        raise _refuse(name)
    return CheckedFile(name, actual, CONTENT_TYPES[actual], data, hashlib.sha256(data).hexdigest())


def check_uploads(uploads) -> list[CheckedFile]:
    """Check every file first, so one bad file refuses the whole submission before anything is stored."""
    checked, errors = [], []
    for upload in uploads or []:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            errors.extend(exc.messages if not hasattr(exc, "error_list") else exc.error_list)
    if errors:
        raise ValidationError(errors)
    return checked


def storage_name_for(file_type: str) -> str:
    now = timezone.now()
    return f"evidence/{now:%Y}/{now:%m}/{uuid.uuid4().hex}.{file_type}"


@contextmanager
def stored(files: list[CheckedFile]):
    """Store files and yield their storage names; if the block raises (the database insert or
    anything after it in the service failed), delete them again so no orphan is left. Services
    use this as the outermost transaction, so nothing can roll back after the block ends; a file
    left behind by a crash in between is listed by ``orphans()``."""
    names = []
    try:
        for f in files:
            # a full disk: StorageFull (507) with the part written removed (core.uploads.save_whole)
            names.append(uploads.save_whole(storage_name_for(f.file_type), ContentFile(f.data)))
        yield names
    except BaseException:
        _delete(names)
        raise


def _delete(names) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # pragma: no cover - best effort; the scrub lists leftovers
            pass


def read_verified(evidence) -> bytes:
    """The file's bytes if its SHA-256 still matches; otherwise raise EvidenceIntegrityError
    (services.evidence_open records and reports it)."""
    try:
        with default_storage.open(evidence.storage_name, "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError):
        data = None
    if data is not None and hashlib.sha256(data).hexdigest() == evidence.sha256:
        return data
    raise EvidenceIntegrityError(evidence.pk, actual=hashlib.sha256(data).hexdigest() if data is not None else None,
                                 missing=data is None)


def scrub(queryset=None) -> list[int]:
    """The ids of every evidence row whose file is missing or altered (read-only)."""
    from duban.tasks.models import Evidence

    bad = []
    for evidence in (queryset if queryset is not None else Evidence.objects.all()).iterator():
        try:
            with default_storage.open(evidence.storage_name, "rb") as handle:
                digest = hashlib.sha256()
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        except (FileNotFoundError, OSError):
            bad.append(evidence.pk)
            continue
        if digest.hexdigest() != evidence.sha256:
            bad.append(evidence.pk)
    return bad


def orphans() -> list[str]:
    """Stored evidence files that no row names (a crash between storing and committing)."""
    from duban.tasks.models import Evidence

    found = []

    def walk(prefix):
        dirs, files = default_storage.listdir(prefix)
        for f in files:
            found.append(f"{prefix}/{f}")
        for d in dirs:
            walk(f"{prefix}/{d}")

    try:
        walk("evidence")
    except (FileNotFoundError, NotImplementedError):
        return []
    known = set(Evidence.objects.filter(storage_name__in=found).values_list("storage_name", flat=True))
    return [name for name in found if name not in known]
