"""Accounts, sessions, courses, sections, roles and the roster, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import Engine

from vibrastic.platform.classroom.accounts import LoginThrottle, PasswordRejected
from vibrastic.platform.classroom.people import (
    ClassroomError,
    NotAllowed,
    SignInThrottled,
    accept_invitation,
    add_section,
    create_course,
    create_user,
    import_roster,
    join_with_code,
    make_password_reset,
    remove_member,
    role_in,
    session_user,
    set_role,
    sign_in,
    sign_out,
    sign_out_everywhere,
    use_password_reset,
)
from vibrastic.platform.classroom.roster import parse_roster
from vibrastic.platform.database import DatabaseURLError, connect, tables

PASSWORD = "correct horse battery"


@pytest.fixture
def engine(database_url: str) -> Engine:
    return connect(database_url)


@pytest.fixture
def prof(engine: Engine) -> int:
    return create_user(engine, email="Prof@Example.org", name="Prof", username="prof",
                       password=PASSWORD)


@pytest.fixture
def course(engine: Engine, prof: int) -> int:
    return create_course(engine, slug="ai-101", title="AI 101 at ITS", instructor_id=prof)


def test_a_new_database_gets_every_table(engine: Engine) -> None:
    assert {"users", "courses", "sections", "memberships", "invitations", "login_sessions",
            "password_resets", "grade_overrides", "login_failures",
            "alembic_version"} <= tables(engine)


def test_bad_database_urls_are_named() -> None:
    with pytest.raises(DatabaseURLError, match="SQLite or PostgreSQL, not 'mysql'"):
        connect("mysql://x@localhost/db")
    with pytest.raises(DatabaseURLError, match="postgresql\\+psycopg://"):
        connect("postgresql+psycopg2://x@localhost/db")
    with pytest.raises(DatabaseURLError, match="cannot read the database URL"):
        connect("::not a url::")


def test_sign_in_gives_a_session_that_sign_out_ends(engine: Engine, prof: int) -> None:
    throttle = LoginThrottle()
    signed = sign_in(engine, " PROF@example.org ", PASSWORD, throttle, client="127.0.0.1")
    user, csrf = session_user(engine, signed.token)
    assert user.id == prof and user.username == "prof" and csrf == signed.csrf_token
    assert session_user(engine, signed.token + "x") is None
    assert session_user(engine, None) is None
    sign_out(engine, signed.token)
    assert session_user(engine, signed.token) is None


def test_sign_out_everywhere_ends_every_session(engine: Engine, prof: int) -> None:
    throttle = LoginThrottle()
    a, b = (sign_in(engine, "prof@example.org", PASSWORD, throttle) for _ in range(2))
    assert sign_out_everywhere(engine, prof) == 2
    assert session_user(engine, a.token) is None and session_user(engine, b.token) is None


def test_wrong_passwords_are_refused_the_same_way_and_throttled(engine: Engine,
                                                                prof: int) -> None:
    throttle = LoginThrottle(per_pair=2, per_account=3, per_client=4, window=60)
    for email in ("prof@example.org", "nobody@example.org"):  # the same message for both
        with pytest.raises(ClassroomError, match="do not match an account"):
            sign_in(engine, email, "wrong password!", throttle, client="10.9.9.9")
    with pytest.raises(ClassroomError, match="do not match an account"):
        sign_in(engine, "prof@example.org", "wrong password!", throttle, client="10.9.9.9")
    # this account from this address has failed twice: even a right password from it waits
    with pytest.raises(SignInThrottled, match="too many failed sign-ins; try again in") as exc:
        sign_in(engine, "prof@example.org", PASSWORD, throttle, client="10.9.9.9")
    assert 0 < exc.value.retry_after <= 60
    with pytest.raises(ClassroomError, match="do not match an account"):
        sign_in(engine, "prof@example.org", "wrong password!", throttle, client="10.1.1.1")
    # the account has failed three times, from two addresses: it waits everywhere
    with pytest.raises(SignInThrottled):
        sign_in(engine, "prof@example.org", PASSWORD, throttle, client="10.2.2.2")
    assert sign_in(engine, "prof@example.org", PASSWORD, LoginThrottle(per_account=10),
                   client="10.2.2.2").user_id == prof


def test_accounts_are_checked(engine: Engine, prof: int) -> None:
    with pytest.raises(ClassroomError, match="e-mail address already has an account"):
        create_user(engine, email="prof@example.org", name="P", username="p2", password=PASSWORD)
    with pytest.raises(ClassroomError, match="username already has an account"):
        create_user(engine, email="p2@example.org", name="P", username="PROF", password=PASSWORD)
    with pytest.raises(ClassroomError, match="cannot be a username"):
        create_user(engine, email="p3@example.org", name="P", username="<b>", password=PASSWORD)
    with pytest.raises(ClassroomError, match="not an e-mail address"):
        create_user(engine, email="p3", name="P", username="p3", password=PASSWORD)
    with pytest.raises(PasswordRejected, match="at least 10 characters"):
        create_user(engine, email="p3@example.org", name="P", username="p3", password="short")


def test_join_codes_enrol_learners_in_their_section(engine: Engine, prof: int,
                                                    course: int) -> None:
    code = add_section(engine, course, "Monday", by=prof)
    ada = create_user(engine, email="ada@example.org", name="Ada", username="ada",
                      password=PASSWORD)
    assert join_with_code(engine, ada, code.lower()[:4] + "-" + code.lower()[4:]) == course
    assert role_in(engine, course, ada) == "learner"
    with pytest.raises(ClassroomError, match="no section has that join code"):
        join_with_code(engine, ada, "NOPE2345")
    with pytest.raises(NotAllowed, match="needs the role instructor"):
        add_section(engine, course, "Tuesday", by=ada)
    with pytest.raises(ClassroomError, match="already has a section 'Monday'"):
        add_section(engine, course, "Monday", by=prof)


def test_roster_import_invites_and_enrols(engine: Engine, prof: int, course: int) -> None:
    ada = create_user(engine, email="ada@example.org", name="Ada", username="ada",
                      password=PASSWORD)
    rows = parse_roster(b"email,name,section\nada@example.org,Ada,A\nbob@example.org,Bob,B\n")
    outcome = import_roster(engine, course, rows, by=prof)
    assert outcome["enrolled"] == 1 and set(outcome["invited"]) == {"bob@example.org"}
    assert outcome["sections"] == ["A", "B"]
    assert role_in(engine, course, ada) == "learner"
    bob = accept_invitation(engine, outcome["invited"]["bob@example.org"], username="bob",
                            password=PASSWORD)
    assert role_in(engine, course, bob) == "learner"
    with pytest.raises(ClassroomError, match="invitation link is not valid"):
        accept_invitation(engine, outcome["invited"]["bob@example.org"], username="bob2",
                          password=PASSWORD)
    with pytest.raises(NotAllowed):
        import_roster(engine, course, rows, by=ada)


def test_roles_and_removal_keep_an_instructor_and_the_record(engine: Engine, prof: int,
                                                             course: int) -> None:
    ta = create_user(engine, email="ta@example.org", name="TA", username="ta", password=PASSWORD)
    join_with_code(engine, ta, add_section(engine, course, "S", by=prof))
    set_role(engine, course, ta, "ta", by=prof)
    assert role_in(engine, course, ta) == "ta"
    with pytest.raises(NotAllowed):
        set_role(engine, course, prof, "learner", by=ta)
    with pytest.raises(ClassroomError, match="at least one instructor"):
        set_role(engine, course, prof, "learner", by=prof)
    with pytest.raises(ClassroomError, match="unknown role 'admin'"):
        set_role(engine, course, ta, "admin", by=prof)
    with pytest.raises(ClassroomError, match="last instructor cannot be removed"):
        remove_member(engine, course, prof, by=prof)
    remove_member(engine, course, ta, by=prof)
    assert role_in(engine, course, ta) is None


def test_an_instructor_resets_a_learners_password(engine: Engine, prof: int,
                                                  course: int) -> None:
    ada = create_user(engine, email="ada@example.org", name="Ada", username="ada",
                      password=PASSWORD)
    join_with_code(engine, ada, add_section(engine, course, "S", by=prof))
    old = sign_in(engine, "ada@example.org", PASSWORD, LoginThrottle())
    with pytest.raises(NotAllowed):
        make_password_reset(engine, course, prof, by=ada)
    token = make_password_reset(engine, course, ada, by=prof)
    use_password_reset(engine, token, "a brand new password")
    assert session_user(engine, old.token) is None  # every old session ended
    sign_in(engine, "ada@example.org", "a brand new password", LoginThrottle())
    with pytest.raises(ClassroomError, match="reset link is not valid"):
        use_password_reset(engine, token, "another new password")
