from django.urls import path

from . import views, views_cobuilding

app_name = "volunteering"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("activities/", views.activities, name="activities"),
    path("activities/new", views.activity_new, name="activity_new"),
    path("activities/<int:pk>/", views.activity, name="activity"),
    path("activities/<int:pk>/sign-up", views.activity_sign_up, name="sign_up"),
    path("activities/<int:pk>/withdraw", views.activity_withdraw, name="withdraw"),
    path("activities/<int:pk>/check-in", views.activity_check_in, name="check_in"),
    path("activities/<int:pk>/check-out", views.activity_check_out, name="check_out"),
    path("activities/<int:pk>/roll/<int:signup_pk>", views.roll_tick, name="roll_tick"),
    path("activities/<int:pk>/confirm", views.activity_confirm_all, name="confirm_all"),
    path("rewards/<int:pk>/redeem", views.redeem, name="redeem"),
    path("redemptions/<int:pk>/", views.redemption, name="redemption"),
    path("redemptions/<int:pk>/cancel", views.redemption_cancel, name="redemption_cancel"),
    path("shops/", views.shops, name="shops"),
    path("shops/<int:pk>/", views.shop, name="shop"),
    path("figures/", views.figures, name="figures"),
    path("cobuilding/", views_cobuilding.index, name="cobuilding"),
    path("cobuilding/community/<str:code>/", views_cobuilding.community, name="cobuilding_community"),
    path("cobuilding/units/<int:pk>/", views_cobuilding.unit, name="cobuilding_unit"),
    path("cobuilding/needs/<int:pk>/pair", views_cobuilding.pair, name="cobuilding_pair"),
    path("cobuilding/projects/<int:pk>/move", views_cobuilding.move, name="cobuilding_move"),
]
