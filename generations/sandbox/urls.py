"""Paths mirror the real providers' under /sandbox/<slug>/, so an adapter whose base URL points
here runs unchanged (the base URL settings include the protocol prefix, e.g. /volc/v1)."""

from django.urls import path

from generations.sandbox import views

app_name = "sandbox"

urlpatterns = []
for slug in ("kie", "apikley"):
    urlpatterns += [
        path(f"{slug}/api/v1/jobs/createTask", views.create, {"provider": slug}, name=f"{slug}-create"),
        path(
            f"{slug}/api/v1/jobs/recordInfo",
            views.task,
            {"provider": slug, "query": "taskId"},
            name=f"{slug}-task",
        ),
    ]
for slug, prefix in (("kkiai", "volc/v1"), ("ark", "api/v3")):
    urlpatterns += [
        path(
            f"{slug}/{prefix}/contents/generations/tasks",
            views.create,
            {"provider": slug},
            name=f"{slug}-create",
        ),
        path(
            f"{slug}/{prefix}/contents/generations/tasks/<str:task_id>",
            views.task,
            {"provider": slug},
            name=f"{slug}-task",
        ),
    ]
# Older docs (and the seed) use /kyyAiPower, newer ones /kyyReactApiServer: the sandbox takes both.
for prefix in ("kyyAiPower", "kyyReactApiServer"):
    urlpatterns += [
        path(
            f"aizfw/{prefix}/v1/seedance/videos",
            views.create,
            {"provider": "aizfw"},
            name=f"aizfw-create-{prefix}",
        ),
        path(
            f"aizfw/{prefix}/v1/result/<str:task_id>",
            views.task,
            {"provider": "aizfw"},
            name=f"aizfw-task-{prefix}",
        ),
    ]
urlpatterns += [
    path(
        "jiekou/v3/async/seedance-v1.5-pro-i2v",
        views.create,
        {"provider": "jiekou", "endpoint": "i2v"},
        name="jiekou-create-i2v",
    ),
    path(
        "jiekou/v3/async/seedance-v1.5-pro-t2v",
        views.create,
        {"provider": "jiekou", "endpoint": "t2v"},
        name="jiekou-create-t2v",
    ),
    path(
        "jiekou/v3/async/task-result",
        views.task,
        {"provider": "jiekou", "query": "task_id"},
        name="jiekou-task",
    ),
]
