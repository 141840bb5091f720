from django.urls import include, path
from django.views.i18n import set_language

from duban.api.api import api
from duban.core import urls as core_urls
from duban.tasks.views import home

urlpatterns = [
    # The home page lives with its data in tasks (core imports no app); it keeps the name core:home.
    path("", include(([path("", home, name="home"), *core_urls.urlpatterns], "core"))),
    path("accounts/", include("duban.accounts.urls")),
    path("orgs/", include("duban.orgs.urls")),
    path("orgs/io/", include("duban.orgs.urls_io")),
    path("notices/", include("duban.notices.urls")),
    path("tasks/", include("duban.tasks.urls")),
    path("intake/", include("duban.intake.urls")),
    path("supervision/", include("duban.supervision.urls")),
    path("checks/", include("duban.checks.urls")),
    path("meetings/", include("duban.meetings.urls")),
    path("datacheck/", include("duban.datacheck.urls")),
    path("accountability/", include("duban.accountability.urls")),
    path("inspections/", include("duban.inspections.urls")),
    path("evaluation/", include("duban.evaluation.urls")),
    path("dashboard/", include("duban.dashboard.urls")),
    path("indicators/", include("duban.indicators.urls")),
    path("resources/", include("duban.resources.urls")),
    path("petitions/", include("duban.petitions.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/", api.urls),
]

handler400 = "duban.core.views.bad_request"
handler404 = "duban.core.views.not_found"
handler403 = "duban.core.views.forbidden"
handler500 = "duban.core.views.server_error"
