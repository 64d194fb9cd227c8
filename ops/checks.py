"""System checks for `manage.py check --deploy`."""

from django.core.checks import Error, Tags, register

from ops.static_files import missing_manifest


@register(Tags.staticfiles, deploy=True)
def static_files_collected(app_configs, **kwargs):
    problem = missing_manifest()
    return [Error(problem, id="ops.E001")] if problem else []
