from django.conf import settings

from civicgrid.core import nav


def civicgrid(request):
    from civicgrid.people.policy import home_role_label

    user = request.user
    return {
        "CIVICGRID_TILE_URL": settings.CIVICGRID_TILE_URL,
        "role_label": home_role_label(user) if user.is_authenticated else "",
        "nav_extra": nav.items_for(user),
    }
