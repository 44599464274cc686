import pytest

from salesops.celery import app as celery_app


@pytest.fixture(autouse=True)
def eager_celery_unless_real_worker(request):
    """Unit tests run tasks in process even where a real broker is configured (CI);
    tests marked ``real_worker`` talk to a real worker through that broker instead."""
    if request.node.get_closest_marker("real_worker"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
