"""The worker's periodic deliberation job: joint-meeting reminders (hourly)."""

from civicgrid.core import outbox


@outbox.periodic(3600, name="deliberation.joint_reminders")
def joint_reminders():
    from .services.joint import send_joint_reminders

    return send_joint_reminders()
