"""The Q&A board's rules, on SQLite and PostgreSQL: who sees what, who may do what, search."""

from dataclasses import asdict

import pytest
from rooms import Room

from vibrastic.platform.classroom.people import remove_member
from vibrastic.platform.qa import board
from vibrastic.platform.qa.board import BoardError, NotAllowed


def test_anonymous_question_hides_the_author_from_classmates_only(room: Room) -> None:
    tid = room.ask("ada", anonymous=True)
    seen_by = {n: board.thread(room.engine, room.v[n], tid) for n in ("ada", "bob", "ta", "prof")}
    assert seen_by["bob"].author == "Anonymous"
    assert seen_by["bob"].posts[0].author == "Anonymous"
    assert seen_by["ada"].author == "You (anonymous to classmates)"
    assert seen_by["ta"].author == seen_by["prof"].author == "Ada (anonymous to classmates)"
    # nowhere in what a classmate receives: lists, search, the thread itself
    for data in (asdict(seen_by["bob"]),
                 [asdict(t) for t in board.threads(room.engine, room.v["bob"], room.course)],
                 [asdict(t) for t in board.search(room.engine, room.v["bob"], room.course,
                                                  "sigma")]):
        assert "Ada" not in str(data) and "ada@" not in str(data)


def test_code_attached_from_a_challenge_is_for_the_asker_and_staff(room: Room) -> None:
    tid = room.ask("ada", attached_code="def sigma(n):\n    return 4\n",
                   attached_verdict={"status": "fail", "score": 0})
    assert board.thread(room.engine, room.v["ada"], tid).attached_code.startswith("def sigma")
    assert board.thread(room.engine, room.v["prof"], tid).attached_verdict == {
        "status": "fail", "score": 0}
    bob_view = board.thread(room.engine, room.v["bob"], tid)
    assert bob_view.attached_code is None and bob_view.attached_verdict is None
    shared = room.ask("bob", title="My momentum loop diverges", attached_code="x = 1\n",
                      share_attachment=True)
    assert board.thread(room.engine, room.v["ada"], shared).attached_code == "x = 1\n"


def test_private_threads_are_for_the_author_and_staff(room: Room) -> None:
    tid = room.ask("ada", title="A private question to staff", private=True)
    assert [t.id for t in board.threads(room.engine, room.v["bob"], room.course)] == []
    with pytest.raises(BoardError, match=f"no thread {tid} that you can see"):
        board.thread(room.engine, room.v["bob"], tid)
    with pytest.raises(BoardError, match="that you can see"):
        board.reply(room.engine, room.v["bob"], tid, "peek")
    assert board.search(room.engine, room.v["bob"], room.course, "private question") == []
    assert [t.id for t in board.threads(room.engine, room.v["ta"], room.course)] == [tid]


def test_people_outside_the_course_see_and_post_nothing(room: Room) -> None:
    tid = room.ask("ada")
    with pytest.raises(NotAllowed, match="on this course's roster"):
        room.ask("eve")
    with pytest.raises(BoardError, match="that you can see"):
        board.thread(room.engine, room.v["eve"], tid)


def test_staff_only_actions(room: Room) -> None:
    tid = room.ask("ada")
    answer = board.reply(room.engine, room.v["bob"], tid, "range(1, n + 1)")
    with pytest.raises(NotAllowed, match="only instructors and TAs can post announcements"):
        room.ask("ada", title="Class is cancelled", kind="announcement")
    for action in (lambda v: board.moderate(room.engine, v, tid, pinned=True),
                   lambda v: board.moderate(room.engine, v, tid, hidden=True),
                   lambda v: board.endorse(room.engine, v, answer),
                   lambda v: board.merge(room.engine, v, tid, room.ask("prof", title="Sigma")),
                   lambda v: board.export(room.engine, v, room.course)):
        with pytest.raises(NotAllowed):
            action(room.v["bob"])
        action(room.v["ta"])


def test_answers_endorsement_resolution_and_filters(room: Room) -> None:
    tid = room.ask("ada")
    assert [t.id for t in board.threads(room.engine, room.v["bob"], room.course,
                                        show="unanswered")] == [tid]
    learner_answer = board.reply(room.engine, room.v["bob"], tid, "Use range(1, n + 1).")
    staff_answer = board.reply(room.engine, room.v["prof"], tid, "Bob is right.")
    board.reply(room.engine, room.v["ada"], tid, "Thanks!", parent_id=learner_answer)
    board.endorse(room.engine, room.v["ta"], learner_answer)
    view = board.thread(room.engine, room.v["ada"], tid)
    by_id = {p.id: p for p in view.posts}
    assert by_id[staff_answer].staff_answer and not by_id[learner_answer].staff_answer
    assert by_id[learner_answer].endorsed
    assert [p.kind for p in view.posts] == ["opening", "answer", "answer", "comment"]
    assert board.threads(room.engine, room.v["ada"], room.course, show="unanswered") == []
    with pytest.raises(NotAllowed, match="only the asker or staff"):
        board.resolve(room.engine, room.v["bob"], tid)
    board.resolve(room.engine, room.v["ada"], tid)
    assert board.threads(room.engine, room.v["ada"], room.course, show="unresolved") == []
    assert board.open_questions(room.engine, room.v["ada"], room.course, "challenge",
                                "sigma") == 0


def test_edits_keep_history_and_deletes_keep_the_record(room: Room) -> None:
    tid = room.ask("ada")
    opening = board.thread(room.engine, room.v["ada"], tid).posts[0].id
    with pytest.raises(NotAllowed, match="only your own posts"):
        board.edit(room.engine, room.v["bob"], opening, "vandalised")
    board.edit(room.engine, room.v["ada"], opening, "Now I get 5, but why?",
               title="Why is sigma(2) five?")
    view = board.thread(room.engine, room.v["bob"], tid)
    assert view.title == "Why is sigma(2) five?" and view.posts[0].edited
    assert "Now I get 5" in view.posts[0].html and view.posts[0].body == ""  # not editable
    assert board.history(room.engine, room.v["ada"], opening) == [
        {"title": "Why does sigma(2) give 5?", "body": "I get 4. Is range(n) wrong?",
         "edited_at": board.history(room.engine, room.v["ada"], opening)[0]["edited_at"]}]
    with pytest.raises(NotAllowed):
        board.history(room.engine, room.v["bob"], opening)
    board.delete(room.engine, room.v["ada"], opening)
    assert board.thread(room.engine, room.v["bob"], tid).posts[0].deleted
    assert board.thread(room.engine, room.v["bob"], tid).posts[0].html == ""
    assert len(board.history(room.engine, room.v["prof"], opening)) == 1


def test_similar_titles_are_suggested_and_duplicates_merge(room: Room) -> None:
    first = room.ask("ada", title="Why does sigma(2) give 5?")
    room.ask("bob", title="Momentum makes my loss explode", target="momentum")
    suggested = board.similar(room.engine, room.v["prof"], room.course, "sigma of 2 is 5??")
    assert [t.id for t in suggested] == [first]
    assert board.similar(room.engine, room.v["ada"], room.course, "why is the") == []
    dup = room.ask("bob", title="sigma(2) should be 5 not 4")
    board.merge(room.engine, room.v["prof"], dup, first)
    assert first in [t.id for t in board.threads(room.engine, room.v["bob"], room.course)]
    assert dup not in [t.id for t in board.threads(room.engine, room.v["bob"], room.course)]
    with pytest.raises(BoardError, match=f"merged into thread {first}"):
        board.reply(room.engine, room.v["ada"], dup, "late answer")
    assert any(n["kind"] == "merged" for n in board.notifications(room.engine, room.v["bob"]))


def test_notifications_reach_staff_and_followers(room: Room) -> None:
    tid = room.ask("ada")
    assert board.unread_count(room.engine, room.v["prof"]) == 1
    assert board.notifications(room.engine, room.v["ta"])[0]["kind"] == "new-question"
    assert board.unread_count(room.engine, room.v["bob"]) == 0
    board.reply(room.engine, room.v["prof"], tid, "Look at range's end.")
    assert board.notifications(room.engine, room.v["ada"])[0]["kind"] == "answer"
    board.mark_read(room.engine, room.v["ada"])
    assert board.unread_count(room.engine, room.v["ada"]) == 0
    board.follow(room.engine, room.v["bob"], tid)
    board.reply(room.engine, room.v["ada"], tid, "Got it")
    assert board.unread_count(room.engine, room.v["bob"]) == 1
    board.ask(room.engine, room.v["prof"], room.course, title="Exam on Friday",
              body="Room 101", kind="announcement")
    assert board.notifications(room.engine, room.v["bob"])[0]["kind"] == "new-announcement"


def test_the_unread_count_is_the_unread_notifications_one_may_still_see(room: Room) -> None:
    """The badge on every page (one COUNT query) agrees with the notification list: hidden
    threads drop out for learners, not for staff; a removed learner sees none."""
    def agree(who: str) -> int:
        listed = len(board.notifications(room.engine, room.v[who], unread_only=True))
        assert board.unread_count(room.engine, room.v[who]) == listed
        return listed

    first = room.ask("ada")
    board.follow(room.engine, room.v["bob"], first)
    second = room.ask("ada", title="Momentum makes my loss explode", target="momentum")
    board.follow(room.engine, room.v["bob"], second)
    board.reply(room.engine, room.v["ada"], first, "More detail")
    board.reply(room.engine, room.v["ada"], second, "More detail")
    assert (agree("bob"), agree("prof"), agree("ta")) == (2, 2, 2)
    board.moderate(room.engine, room.v["prof"], second, hidden=True)
    assert (agree("bob"), agree("prof")) == (1, 2)
    remove_member(room.engine, room.course, room.v["bob"].user_id, by=room.v["prof"].user_id)
    assert agree("bob") == 0
    board.mark_read(room.engine, room.v["prof"], None)
    assert agree("prof") == 0


def test_bad_input_is_named(room: Room) -> None:
    with pytest.raises(BoardError, match="a title needs 5–200 characters; this one has 2"):
        room.ask("ada", title="hi")
    with pytest.raises(BoardError, match="the post is empty"):
        room.ask("ada", body="   ")
    with pytest.raises(BoardError, match="unknown place 'page'"):
        room.ask("ada", target_kind="page")
    with pytest.raises(BoardError, match="at most 20000 characters"):
        room.ask("ada", body="x" * 20_001)
    with pytest.raises(BoardError, match="unknown filter 'new'"):
        board.threads(room.engine, room.v["ada"], room.course, show="new")


def test_posting_is_rate_limited_for_learners(room: Room) -> None:
    tid = room.ask("ada")
    for i in range(board.POSTS_PER_WINDOW - 1):
        board.reply(room.engine, room.v["bob"], tid, f"reply {i}")
    board.reply(room.engine, room.v["bob"], tid, "the last one allowed")
    with pytest.raises(BoardError, match="wait a few minutes"):
        board.reply(room.engine, room.v["bob"], tid, "one too many")
    board.reply(room.engine, room.v["prof"], tid, "staff are not limited")


def test_export_has_every_thread_for_staff(room: Room) -> None:
    a = room.ask("ada", anonymous=True)
    b = room.ask("bob", title="A private question", private=True)
    data = board.export(room.engine, room.v["prof"], room.course)
    assert data["format"] == "vibrastic-qa-export"
    assert sorted(t["id"] for t in data["threads"]) == sorted([a, b])
    assert "Ada (anonymous to classmates)" in str(data)


def test_staff_of_another_course_cannot_reach_its_threads_by_id(room: Room) -> None:
    from vibrastic.platform.classroom.people import create_course

    create_course(room.engine, slug="other-101", title="Other",
                  instructor_id=room.v["eve"].user_id)
    tid = room.ask("ada", private=True)
    eve_as_instructor = board.Viewer(room.v["eve"].user_id, "instructor")  # of her own course
    for action in (lambda: board.thread(room.engine, eve_as_instructor, tid),
                   lambda: board.moderate(room.engine, eve_as_instructor, tid, hidden=True),
                   lambda: board.reply(room.engine, eve_as_instructor, tid, "mine now")):
        with pytest.raises(BoardError, match=f"no thread {tid}"):
            action()


def test_the_asker_of_an_anonymous_thread_stays_anonymous_in_it(room: Room) -> None:
    tid = room.ask("ada", anonymous=True)
    answer = board.reply(room.engine, room.v["bob"], tid, "Use range(1, n + 1).")
    board.reply(room.engine, room.v["ada"], tid, "Thanks, that was it.")
    board.reply(room.engine, room.v["ada"], tid, "Fixed.", parent_id=answer)
    bob_view = board.thread(room.engine, room.v["bob"], tid)
    assert [p.author for p in bob_view.posts] == ["Anonymous", "You", "Anonymous", "Anonymous"]
    assert "Ada" not in str(asdict(bob_view))
    assert board.thread(room.engine, room.v["prof"], tid).posts[2].author == \
        "Ada (anonymous to classmates)"
