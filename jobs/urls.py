from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("<id:job_id>/", views.job_detail, name="detail"),
    path("<id:job_id>/cancel/", views.job_cancel, name="cancel"),
    path("<id:job_id>/retry/", views.job_retry, name="retry"),
    path("<id:job_id>/items/<id:item_id>/retry/", views.job_retry, name="retry_item"),
]
