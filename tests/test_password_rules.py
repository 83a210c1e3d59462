"""Password rules after NIST SP 800-63B: at least 10 characters of any kind, not the
username nor containing it, not one of the 100,000 most common passwords (a list
shipped with the portal, read once), refused with a message next to the field."""

import gzip

from portal.accounts.passwords import COMMON_PASSWORDS_FILE, common_passwords, password_problem
from portal.accounts.tables import User, UserSession
from portal.web import i18n
from tests.conftest import PASSWORD, field_error, post_form
from tests.test_admin_routes import new_user_form
from tests.test_volunteers_routes import apply_form
from tests.unchanged import nothing_changes

CONTAINS_USERNAME = "Choose a password that does not contain the username."
COMMON = "This password is one of the most common ones, which are tried first. Choose another."


def test_the_rules():
    i18n.activate("en")
    assert password_problem("volunteer3", "volunteer3") == CONTAINS_USERNAME
    assert password_problem("my-Volunteer3-2026", "volunteer3") == CONTAINS_USERNAME
    assert password_problem("1qaz2wsx3edc", "someone") == COMMON
    assert password_problem("PASSWORD123", "someone") == COMMON  # whatever the case
    assert password_problem("short", "x") == "Use at least 10 characters."
    for fine in (PASSWORD, "守望相助 平安社区 2026", "a long enough password", "          1"):
        assert password_problem(fine, "someone") is None, fine


def test_the_list_is_the_top_100000_read_once():
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        assert sum(1 for _ in lines) == 100_000
    assert common_passwords() is common_passwords()
    assert 2000 < len(common_passwords()) < 3000 and all(len(entry) >= 10 for entry in common_passwords())


async def test_ones_own_new_password_is_checked(client_for):
    volunteer, user_id = await client_for("volunteer", username="volunteer3")
    async with nothing_changes((User, user_id), (UserSession, UserSession.user == user_id)):
        for new, message in (("volunteer3", CONTAINS_USERNAME), ("my-volunteer3!", CONTAINS_USERNAME), ("qwertyuiop", COMMON)):
            refused = await post_form(volunteer, "/account/password", {"current_password": PASSWORD, "new_password": new, "confirm_password": new})
            assert refused.status_code == 422 and field_error(refused.text, "new_password") == message, new


async def test_an_administrator_cannot_give_a_weak_first_password(client_for, area):
    admin, _ = await client_for("admin")
    async with nothing_changes(also=(User,)):
        for password, message in (("li.ming-2026", CONTAINS_USERNAME), ("1234567890", COMMON)):
            refused = await post_form(admin, "/admin/users/new", new_user_form(area, password=password))
            assert refused.status_code == 422 and field_error(refused.text, "password") == message, password
            assert 'value="li.ming"' in refused.text  # the input comes back


async def test_an_applicant_cannot_choose_a_weak_password(client, area):
    async with nothing_changes(also=(User,)):
        for password, message in (("xiaomei1234", CONTAINS_USERNAME), ("iloveyou123", COMMON)):
            refused = await post_form(client, "/volunteer/apply", await apply_form(client, area, password=password))
            assert refused.status_code == 422 and field_error(refused.text, "password") == message, password
