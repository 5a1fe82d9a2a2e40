from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("<int:job_id>/", views.job_detail, name="detail"),
    path("<int:job_id>/cancel/", views.job_cancel, name="cancel"),
    path("<int:job_id>/retry/", views.job_retry, name="retry"),
    path("<int:job_id>/items/<int:item_id>/retry/", views.job_retry, name="retry_item"),
]
