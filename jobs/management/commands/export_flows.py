import json

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from flows_app import find, transfer
from flows_app.api import ApiError, connect
from flows_app.images import copy_image
from flows_app.models import Connection


class Command(BaseCommand):
    help = "Write a connection's flows as a file of flows (docs/EXPORT.md), as the list's Export JSON does."

    def add_arguments(self, parser):
        parser.add_argument("connection", type=int, help="The connection's id.")
        parser.add_argument(
            "--query", default="", help="The list's query, as in its address (e.g. 'website=3&status=on')."
        )
        parser.add_argument(
            "--embed-images", action="store_true", help="Put each image in the file instead of its address."
        )
        parser.add_argument("--output", "-o", help="The file to write (default: standard output).")

    def handle(self, *, connection, query, embed_images, output, **options):
        found = Connection.objects.filter(pk=connection).first()
        if found is None:
            raise CommandError(f"No connection #{connection}.")
        api = connect(found)
        problems = []

        def embedded(flow):
            upload, problem = copy_image(api, flow)
            if problem:
                # Its address is kept instead: the file says where the image was.
                problems.append(f"Flow #{flow.id}: its image is referenced, not embedded: {problem}")
            return upload

        try:
            flows = find.find_flows(api, QueryDict(query)).flows
            document = transfer.document(
                flows, api.directory(), found.label, embedded if embed_images else None
            )
        except ApiError as error:
            raise CommandError(f"The flows could not be read: {error.message}") from None
        text = json.dumps(document, ensure_ascii=False, indent=1)
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text)
        else:
            self.stdout.write(text)
        for problem in problems:
            self.stderr.write(problem)
        self.stderr.write(f"{len(flows)} flows exported.")
