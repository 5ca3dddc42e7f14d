def test_the_survey_world_is_built(srv):
    assert srv.survey.groups.count() == 2
    assert srv.officials_q.questions.count() == 3
    assert srv.citizens_q.questions.first().options.get(code="X").excluded
