"""Uploads stay in memory: Django never spools a user's file to a temporary file. (Only an image
that passed every check may be kept on disk, as a draft: flows_app/drafts.py.)

Django's default handlers move a file larger than FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary
file. This handler keeps at most that many bytes in memory and only counts the rest: the file's
size stays the real one, so that the form refuses it as too large (FILE_UPLOAD_MAX_MEMORY_SIZE is
above IMAGE_MAX_BYTES) while its bytes never touch the disk and memory stays bounded.
"""

import io

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class MemoryOnlyUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        self.room = settings.FILE_UPLOAD_MAX_MEMORY_SIZE

    def receive_data_chunk(self, raw_data, start):
        kept = raw_data[: max(self.room, 0)]
        self.buffer.write(kept)
        self.room -= len(kept)
        return None

    def file_complete(self, file_size):
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
