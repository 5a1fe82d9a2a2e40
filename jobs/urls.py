from django.urls import path

from jobs import copy_views, views

app_name = "jobs"

urlpatterns = [
    path("<id:job_id>/", views.job_detail, name="detail"),
    path("<id:job_id>/cancel/", views.job_cancel, name="cancel"),
    path("<id:job_id>/retry/", views.job_retry, name="retry"),
    path("<id:job_id>/items/<id:item_id>/retry/", views.job_retry, name="retry_item"),
]

# Under connections/<connection_id>/flows/, in the flows' namespace ("flows:bulk"): a job starts
# from the flows list.
flow_patterns = [
    path("bulk/", views.bulk_start, name="bulk"),
    path("import/", copy_views.flow_import, name="import"),
]

connection_patterns = [
    path("connections/<id:connection_id>/jobs/", views.connection_jobs, name="connection_jobs"),
]
