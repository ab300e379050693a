"""Paths of named URLs reversed once per process (avain.core.paths): always the path ``reverse`` gives."""

from django.urls import get_script_prefix, reverse, set_script_prefix

from avain.core.paths import path_for, path_maker


def test_a_path_is_the_reversed_path_with_or_without_an_id():
    for name in ("home", "logout", "set_language", "work_queue"):
        assert path_for(name) == reverse(name)
    path = path_maker()
    for name in ("portal_account", "portal_home", "portal_access_log", "case_account"):
        for pk in (1, 42, 918273645, 10**15):
            assert path_for(name, pk) == path(name, pk) == reverse(name, args=[pk])


def test_each_script_prefix_has_its_own_paths():
    prefix = get_script_prefix()
    assert path_for("portal_account", 5) == "/my/5/account/"
    set_script_prefix("/avain/")
    try:
        assert path_for("portal_account", 5) == "/avain/my/5/account/" == reverse("portal_account", args=[5])
        assert path_for("home") == "/avain/"
    finally:
        set_script_prefix(prefix)
    assert path_for("portal_account", 5) == "/my/5/account/"
