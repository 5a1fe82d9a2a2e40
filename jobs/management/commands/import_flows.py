from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from flows_app import transfer
from flows_app.access import EDITOR, member_access, scoped
from flows_app.api import ApiError, connect
from flows_app.models import Connection
from jobs import copies
from jobs.copy_views import planned, start
from jobs.models import BulkJob


class Command(BaseCommand):
    help = (
        "Import a file of flows (docs/EXPORT.md) onto a website of a connection, as the import page "
        "does: checked, shown as a dry run, then created by the worker as a job, paused."
    )

    def add_arguments(self, parser):
        parser.add_argument("connection", type=int, help="The target connection's id.")
        parser.add_argument("file", help="The exported file.")
        parser.add_argument("--website", type=int, required=True, help="The target website's id.")
        parser.add_argument(
            "--user", required=True, help="Whose rights it runs with (an editor of the connection)."
        )
        parser.add_argument(
            "--segment",
            action="append",
            default=[],
            metavar="WEBSITE:SEGMENT=TARGET",
            help="An audience without a segment of its name on the target: 'all' or a segment id.",
        )
        parser.add_argument("--links", choices=copies.LINK_CHOICES, help="Links to the file's website.")
        parser.add_argument("--dry-run", action="store_true", help="Check and show; create nothing.")

    def handle(self, *, connection, file, website, user, segment, links, dry_run, **options):
        target = Connection.objects.filter(pk=connection).first()
        person = get_user_model().objects.filter(username=user).first()
        access = target and person and member_access(target, person)
        if not access or not access.can(EDITOR):
            raise CommandError(f"{user} is no editor of connection #{connection}.")
        try:
            found = transfer.read(Path(file).read_bytes())
        except (OSError, transfer.Problem) as error:
            raise CommandError(str(error)) from None
        for number, name, field, message in found.problems:
            self.stderr.write(f"Flow {number} ({name}) · {field}: {message}")
        if found.problems:
            raise CommandError(f"{len(found.problems)} problems: nothing was imported.")
        answers = {"website": str(website), "links": links or ""}
        for answer in segment:
            question, _, value = answer.partition("=")
            answers[f"segment_{question.replace(':', '_')}"] = value
        sources = [copies.Source(*flow) for flow in found.flows]
        try:
            plan, _directory = planned(scoped(connect(target), access), sources, found.directory, answers)
        except ApiError as error:
            raise CommandError(f"The target could not be read: {error.message}") from None
        for item in plan.items:
            outcome = "already there" if item.exists else "new, paused" if item.values else "to choose"
            self.stdout.write(f"{item.source.values['name']}: {outcome}")
        if not all(chosen for _site, _name, chosen, _field in plan.websites):
            self.stderr.write(f"Website #{website} is not one {user} may write to.")
        for question in plan.segments:
            if not question.chosen:
                self.stderr.write(
                    f"No segment “{question.name}” on the target: --segment {question.website_id}:{question.segment}=all or =<id>"
                )
        for name, change in plan.links:
            self.stderr.write(f"{name}: {change.url} -> {change.replacement} (--links replace or keep)")
        if not plan.ready:
            raise CommandError("Answer the questions above: nothing was imported.")
        if dry_run:
            return
        job, _created = start(
            target,
            person,
            plan,
            lambda item: copies.origin(Path(file).name, item.source.id, item.source.values["name"]),
            BulkJob.Action.IMPORT,
            file=Path(file).name,
        )
        self.stdout.write(f"Job {job.pk} started: the worker creates the flows (manage.py worker).")
