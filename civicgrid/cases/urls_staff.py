from django.urls import path

from .views import photos, staff, staff_actions, staff_inbox, staff_place, staff_queues

# Staff pages: queues, the case page and its actions, search, the inbox.
urlpatterns = [
    path("work/", staff_queues.queue, name="queue"),
    path("work/search/", staff.search, name="search"),
    path("work/<int:pk>/", staff.case_detail, name="staff_case"),
    path("work/<int:pk>/contact/", staff.unmask_contact, name="staff_unmask"),
    path("work/<int:pk>/act/<slug:action>/", staff_actions.act, name="staff_act"),
    path("work/<int:pk>/place/", staff_place.pick_place, name="staff_pick_place"),
    path("work/concentrated/", staff_place.proposals, name="proposals"),
    path("work/concentrated/<int:pk>/<slug:decision>/", staff_place.decide_proposal, name="decide_proposal"),
    path("photo/<int:pk>/", photos.photo, name="photo"),
    path("follow/<str:token>/photo/<int:pk>/", photos.follow_photo, name="follow_photo"),
    path("inbox/", staff_inbox.inbox, name="inbox"),
    path("inbox/read/", staff_inbox.inbox_read, name="inbox_read"),
]
