from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render

from civicgrid.people import policy

from .models import Area


@login_required
def browse(request):
    """Start from the user's broadest area; with several, list them."""
    areas = policy.home_areas(request.user)
    if len(areas) == 1:
        return redirect("areas:detail", areas[0].code)
    return render(request, "areas/browse.html", {"areas": areas})


@login_required
def detail(request, code):
    area = get_object_or_404(Area, code=code)
    if not policy.can_view_area(request.user, area):
        raise PermissionDenied
    children = policy.visible_areas(request.user, area.children.all())
    return render(
        request,
        "areas/detail.html",
        {"area": area, "ancestors": area.ancestors(), "children": children},
    )
