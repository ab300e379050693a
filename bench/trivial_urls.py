"""The project's URLs plus one trivial view, for the benchmarks only: the reference a page's server time is compared
with, served through the same middleware (session, authentication, second factor, CSP...) as every page."""

from django.http import HttpResponse
from django.urls import include, path


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial, name="bench_trivial"),
    path("", include("avain.urls")),
]
