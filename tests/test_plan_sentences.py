"""Plan warnings are worded once and remembered: the remembered sentence still follows the language."""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale

from drafting.services.planning import Meeting, PlanWarning, Problem, describe


def test_a_remembered_warning_follows_the_language(app) -> None:
    warning = PlanWarning(Problem.MEETS_AFTER_DEADLINE, municipality="Eslöv", body="kommunstyrelse",
                          on=date(2031, 3, 12), latest=date(2031, 3, 10),
                          alternatives=(Meeting("arbetsutskott", date(2031, 3, 3)),))
    with app.test_request_context():
        with force_locale("sv"):
            swedish = describe(warning)
            assert describe(warning) == swedish  # the second time from memory, the same words
        with force_locale("en"):
            english = describe(warning)
        with force_locale("sv"):
            again = describe(warning)
    assert "sammanträder" in swedish and "2031" in swedish
    assert english != swedish and "sammanträder" not in english
    assert again == swedish
