"""Make the missing posters of succeeded jobs (those copied before posters existed, or whose
poster step was interrupted): `manage.py make_posters [--limit N]`. Safe to run again."""

from django.core.management.base import BaseCommand

from generations import posters
from generations.models import Generation, Status


class Command(BaseCommand):
    help = "Decode a poster frame for each succeeded job with a video and no still (generations.posters)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="At most this many jobs.")

    def handle(self, limit=None, **options):
        missing = (
            Generation.objects.filter(
                status=Status.SUCCEEDED, poster_file="", last_frame_file="", hidden_at=None
            )
            .exclude(video_file="")
            .order_by("-created_at")
            .values_list("pk", flat=True)
        )
        ids = list(missing[:limit] if limit else missing)
        made = sum(1 for pk in ids if posters.make_poster(pk))
        self.stdout.write(f"{made} poster(s) made, {len(ids) - made} could not be made.")
