import pytest
from django.core.exceptions import ImproperlyConfigured

from smsmode.env import email_settings, env_bool, env_int, env_list


def test_env_bool_accepts_only_true_or_false(monkeypatch):
    for value, expected in [
        ("True", True),
        ("true", True),
        ("1", True),
        ("False", False),
        ("0", False),
    ]:
        monkeypatch.setenv("FLAG", value)
        assert env_bool("FLAG", not expected) is expected
    monkeypatch.setenv("FLAG", "yes")
    with pytest.raises(ImproperlyConfigured):
        env_bool("FLAG", True)
    monkeypatch.delenv("FLAG")
    assert env_bool("FLAG", True) is True


def test_env_int_and_list(monkeypatch):
    monkeypatch.setenv("N", "12")
    assert env_int("N", 1) == 12
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(ImproperlyConfigured):
        env_int("N", 1)
    monkeypatch.setenv("HOSTS", "a.test, b.test,,")
    assert env_list("HOSTS", []) == ["a.test", "b.test"]


def test_email_url_console_by_default():
    assert email_settings("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")


def test_email_url_smtp_with_tls_and_credentials():
    conf = email_settings("smtp://user%40shop.test:p%40ss@mail.shop.test:587?tls=1")
    assert conf["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert conf["EMAIL_HOST"] == "mail.shop.test"
    assert conf["EMAIL_PORT"] == 587
    assert conf["EMAIL_HOST_USER"] == "user@shop.test"
    assert conf["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert conf["EMAIL_USE_TLS"] is True
    assert conf["EMAIL_USE_SSL"] is False


def test_email_url_smtps_defaults_to_port_465():
    conf = email_settings("smtps://mail.shop.test")
    assert conf["EMAIL_PORT"] == 465
    assert conf["EMAIL_USE_SSL"] is True


def test_email_url_refuses_unknown_schemes():
    with pytest.raises(ImproperlyConfigured):
        email_settings("pigeon://loft")
