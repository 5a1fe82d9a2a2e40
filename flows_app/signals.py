"""A connection's creator is its first admin, whichever code path creates it (the form, /admin/,
the demo command, a test fixture): a connection nobody can administer could never be shared."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from flows_app.models import Connection, Membership, Role


@receiver(post_save, sender=Connection, dispatch_uid="creator-is-admin")
def creator_is_admin(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        Membership.objects.get_or_create(
            connection=instance, user_id=instance.owner_id, defaults={"role": Role.ADMIN}
        )
