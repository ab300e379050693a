from django.urls import include, path

from avain.accounts import views as account_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    # The client's budget account is the page opened most, so its pattern comes before the apps' lists: Django tries
    # the patterns in order, and going through the lists before it cost more than a database query (bench/README.md).
    path("my/<int:client_id>/account/", account_views.portal_account, name="portal_account"),
    path("", include("avain.core.urls")),
    path("", include("avain.people.urls")),
    path("", include("avain.planning.urls")),
    path("", include("avain.accounts.urls")),
    path("", include("avain.followup.urls")),
    path("", include("avain.evaluation.urls")),
    path("", include("avain.timeuse.urls")),
    path("", include("avain.feedback.urls")),
    path("", include("avain.research.urls")),
    path("", include("avain.catalogue.urls")),
    # Demo only: the views answer 404 unless AVAIN_DEMO is on.
    path("demo/personas/", views.personas, name="personas"),
    path("demo/act-as/", views.act_as, name="act_as"),
]
