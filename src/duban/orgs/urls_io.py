from django.urls import path

from duban.orgs import views_io

app_name = "orgs_io"
urlpatterns = [
    path("", views_io.directory_io, name="directory_io"),
    path("template.xlsx", views_io.directory_template, name="directory_template"),
    path("export.xlsx", views_io.directory_export, name="directory_export"),
    path("import/", views_io.directory_import, name="directory_import"),
]
