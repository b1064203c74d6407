"""The in-app inbox: notifications written by the worker, the unread count in the top bar, marking
messages read (only one's own)."""

from django.urls import reverse

from civicgrid.cases.models import InboxMessage
from civicgrid.core import outbox


def notified(city, people, report):
    """A dispatched case whose notifications the worker has sent."""
    from civicgrid.cases import services

    case = report()
    outbox.drain()  # the report reaches the grid worker
    case = services.dispatch(case, people.dispatcher, city.dept)
    outbox.drain()  # the dispatch reaches the department
    return case


def test_a_dispatch_reaches_the_department_inbox_with_the_unread_count_in_the_top_bar(
    client, city, people, report
):
    case = notified(city, people, report)
    message = InboxMessage.objects.get(user=people.handler)
    assert message.case == case and message.read_at is None
    client.force_login(people.handler)
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("cases:inbox")}"' in home and '<span class="badge red">1</span>' in home
    inbox = client.get(reverse("cases:inbox"))
    assert list(inbox.context["page"].object_list) == [message]
    assert reverse("cases:staff_case", args=[case.pk]) in inbox.content.decode()


def test_marking_one_message_read_and_then_all(client, city, people, report):
    notified(city, people, report)
    notified(city, people, report)
    first, second = InboxMessage.objects.filter(user=people.handler).order_by("id")
    client.force_login(people.handler)
    client.post(reverse("cases:inbox_read"), {"message": first.pk})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at and second.read_at is None
    unread = client.get(reverse("cases:inbox"), {"unread": "1"})
    assert list(unread.context["page"].object_list) == [second]
    client.post(reverse("cases:inbox_read"), {"all": "1"})
    assert not InboxMessage.objects.filter(user=people.handler, read_at__isnull=True).exists()
    home = client.get(reverse("home")).content.decode()
    assert '<span class="badge red">' not in home


def test_nobody_marks_someone_elses_messages_read(client, city, people, report):
    notified(city, people, report)
    message = InboxMessage.objects.get(user=people.handler)
    client.force_login(people.other_handler)
    client.post(reverse("cases:inbox_read"), {"message": message.pk})
    client.post(reverse("cases:inbox_read"), {"all": "1"})
    message.refresh_from_db()
    assert message.read_at is None
    assert list(client.get(reverse("cases:inbox")).context["page"].object_list) == []


def test_the_inbox_needs_a_login(client):
    response = client.get(reverse("cases:inbox"))
    assert response.status_code == 302 and "/login/" in response.url
