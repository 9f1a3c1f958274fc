"""A CSV file a person uploads through a page's form (invitations, operational measures): the
form's one file field, read as UTF-8 text. What is wrong with the file itself comes back as
the page's message in the person's language; what is wrong with its rows is the service's."""

from __future__ import annotations

from flask import request

from hub.i18n import gettext


class UploadRefused(Exception):
    """No file was chosen, or it is not UTF-8 text: ``message`` says which, translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def uploaded_csv(field: str = "file") -> tuple[str, str]:
    """(file name, text) of the file in the form's ``field``."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        raise UploadRefused(gettext("Choose a CSV file to upload."))
    try:
        return upload.filename, upload.read().decode("utf-8")
    except UnicodeDecodeError:
        raise UploadRefused(gettext("The file is not UTF-8 text.")) from None
