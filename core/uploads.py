"""The one upload check: size limit, and type decided by the file's content, not its name.

Also where uploads are stored (a random name, never the uploader's) and how an upload over
the limit is stopped while it streams in, before its body is kept anywhere.
"""

from __future__ import annotations

import uuid
from io import BytesIO

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# Leading bytes of each accepted kind of file.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "pdf": (b"%PDF-",),
    "zip": (b"PK\x03\x04",),
}
_GROUPS = {"image": ("png", "jpeg", "gif", "webp"), "pdf": ("pdf",), "zip": ("zip",), "text": ("text",)}
_MIME = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "text": "text/plain",
}
# The extension a stored file is given, from the type found in its content.
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "text/plain": ".txt",
}
# Every type ``upload_check`` can find: the only types a stored file is ever served as.
KNOWN_TYPES = frozenset(_MIME.values())


class UploadTooLarge(ApplicationError):
    status = 413
    default_code = "upload_too_large"


class UploadTypeRefused(ApplicationError):
    status = 415
    default_code = "unsupported_media_type"


def sniff(head: bytes) -> str | None:
    """The kind of file ``head`` (its first bytes) starts, or None."""
    for kind, signatures in _SIGNATURES.items():
        if head.startswith(signatures):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut off at the end of the sample is still text.
            if exc.start < len(head) - 4:
                return None
        return "text"
    return None


def upload_check(upload: UploadedFile, *, allowed: tuple[str, ...], field: str = "file") -> tuple[UploadedFile, str]:
    """Refuse a file over 10 MB (413) or of a type outside ``allowed`` (415); returns its MIME type."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        message = _("%(name)s is larger than 10 MB.") % {"name": upload.name}
        raise UploadTooLarge(message, errors={field: [message]})
    if not upload.size:
        message = _("%(name)s is empty.") % {"name": upload.name}
        raise ApplicationError(message, code="empty_file", errors={field: [message]})
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    kind = sniff(head)
    accepted = [k for group in allowed for k in _GROUPS[group]]
    if kind not in accepted:
        message = _("%(name)s is not an accepted file type (%(kinds)s).") % {
            "name": upload.name,
            "kinds": ", ".join(sorted({_MIME[k] for k in accepted})),
        }
        raise UploadTypeRefused(message, errors={field: [message]})
    return upload, _MIME[kind]


def stored_name(folder: str, content_type: str) -> str:
    """Where a file is stored: ``folder/YYYY/MM/<random><extension of its checked type>``.

    Never the uploader's name: that is kept on the row for display and as the download's name.
    """
    return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{EXTENSIONS.get(content_type, '')}"


# --- Stopping a large upload while it streams in ------------------------------------------------


class OversizedUpload(UploadedFile):
    """What is left of a file refused while it streamed in: its name and real size, none of its bytes.

    It reaches the form or serializer like any file, so ``upload_check`` refuses it with the usual
    413 (the API) or form error (the pages), and the rest of the request keeps its fields.
    """

    def __init__(self, *, name: str, content_type: str, size: int, charset: str | None) -> None:
        super().__init__(BytesIO(), name=name, content_type=content_type, size=size, charset=charset)


class UploadLimitHandler(FileUploadHandler):
    """Counts each file's bytes as they arrive and keeps none past ``MAX_UPLOAD_BYTES``.

    First in ``FILE_UPLOAD_HANDLERS``: the handlers after it (memory, temporary file) are handed
    a file's chunks only while it is within the limit. Once it is over, what they were handed is
    dropped, the rest of the file is read and thrown away, and the file arrives as an
    ``OversizedUpload``. (The whole request is capped by ``GIGFAIR_MAX_REQUEST_BYTES`` before
    any of it is read: ``core.middleware.RequestSizeLimitMiddleware``.)
    """

    limit = MAX_UPLOAD_BYTES

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.over_limit = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.over_limit:
            return None
        if start + len(raw_data) > self.limit:
            self.over_limit = True
            self._drop_what_the_others_hold()
            return None
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.over_limit:
            return None  # the next handler hands over the file it kept
        return OversizedUpload(
            name=self.file_name, content_type=self.content_type, size=file_size, charset=self.charset
        )

    def _drop_what_the_others_hold(self) -> None:
        handlers = list(self.request.upload_handlers) if self.request is not None else []
        for handler in handlers[handlers.index(self) + 1 :] if self in handlers else ():
            # Their own clean-up: the temporary file handler closes and deletes its file.
            handler.upload_interrupted()
